import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { HOST_VCPU } from "../ring/record-layout.js";
import { SymbolTable } from "../symbols/symbol-table.js";
import { Tracer } from "../tracer.js";
import { toChromeTrace } from "./chrome-trace.js";
import { foldStacks } from "./folded.js";
import { encodeRecording, RECORDING_VERSION, RecordingFormatError, readRecording } from "./recording.js";

function recordedSession() {
  const clock = new ManualClock(0);
  const tracer = new Tracer({ vm: { id: 3, name: "web" }, vcpus: 2, clock });
  tracer.enable("hart.trap,irq.raise,virtio.request,hart.wfi");
  const trap = tracer.tracepoint("hart.trap");
  const raise = tracer.tracepoint("irq.raise");
  const virtio = tracer.tracepoint("virtio.request");
  const wfi = tracer.tracepoint("hart.wfi");
  const blk = tracer.registry.intern("virtio-blk0");
  tracer.startRecording();
  clock.set(5000);
  trap.emit(0, 2000, 9, 0x8033b052, 0xffffffff, 0, 0, 1);
  clock.set(6000);
  raise.emit(1, 0, 8, 1);
  clock.set(9000);
  virtio.emit(HOST_VCPU, 4000, blk, 0, 1, 0, 512, 0);
  clock.set(9500);
  virtio.emit(HOST_VCPU, 4000, blk, 0, 2, 0, 512, 0);
  clock.set(9600);
  wfi.emit(1, 0, 0x80000000, 0); // zero duration: an instant
  return { tracer, bytes: tracer.stopRecording() };
}

describe("binary recording", () => {
  it("round-trips records, table, strings and metadata", () => {
    const { tracer, bytes } = recordedSession();
    expect(new TextDecoder().decode(bytes.subarray(0, 7))).toBe("MVTRACE");
    const recording = readRecording(bytes);
    expect(recording.version).toBe(RECORDING_VERSION);
    expect(recording.vcpus).toBe(2);
    expect(recording.strings).toEqual(["virtio-blk0"]);
    expect(recording.tracepoints.map((tp) => tp.name)).toEqual(tracer.registry.all().map((tp) => tp.name));
    const events = [...recording.events()];
    expect(events.map((event) => event.name)).toEqual([
      "hart.trap",
      "irq.raise",
      "virtio.request",
      "virtio.request",
      "hart.wfi",
    ]);
    expect(events[0].fields).toMatchObject({ epc: 0xffffffff8033b052n, from: "S", cause: 9 });
    // Encoding the decoded recording again gives the same bytes.
    const again = encodeRecording(recording, recording, recording.records);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it("reads from an unaligned offset", () => {
    const { bytes } = recordedSession();
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(readRecording(padded.subarray(3)).records.length).toBe(5);
  });

  it("rejects bad magic, versions, truncation and corruption", () => {
    const { bytes } = recordedSession();
    const mutated = (at: number, value: (old: number) => number) => {
      const copy = bytes.slice();
      copy[at] = value(copy[at]);
      return copy;
    };
    expect(() => readRecording(mutated(0, () => 0))).toThrow(/magic/);
    expect(() => readRecording(mutated(8, () => 99))).toThrow(/version/);
    expect(() => readRecording(bytes.subarray(0, bytes.length - 1))).toThrow(RecordingFormatError);
    expect(() => readRecording(mutated(bytes.length - 20, (old) => old ^ 1))).toThrow(/checksum/);
  });
});

describe("Chrome trace JSON", () => {
  it("has one track per vCPU, complete events for spans and instants for points", () => {
    const { bytes } = recordedSession();
    const kernel = new SymbolTable([{ name: "start_kernel", address: 0xffffffff8033b04en, size: 0x100n }]);
    const trace = toChromeTrace(readRecording(bytes), {
      symbolize: (address) => {
        const match = kernel.lookup(address);
        return match && `${match.name}+0x${match.offset.toString(16)}`;
      },
    });
    const parsed = JSON.parse(JSON.stringify(trace)) as typeof trace;
    expect(Array.isArray(parsed.traceEvents)).toBe(true);
    for (const event of parsed.traceEvents) {
      expect(typeof event.ph).toBe("string");
      expect(typeof event.ts).toBe("number");
      expect(event.pid).toBe(3);
      expect(typeof event.tid).toBe("number");
      expect(typeof event.name).toBe("string");
    }
    const threadNames = parsed.traceEvents.filter(
      (event) => event.ph === "M" && event.name === "thread_name",
    );
    expect(threadNames.map((event) => [event.tid, event.args?.name])).toEqual([
      [0, "vCPU 0"],
      [1, "vCPU 1"],
      [HOST_VCPU, "host"],
    ]);
    expect(parsed.traceEvents.find((event) => event.name === "process_name")?.args?.name).toBe("VM web");

    const trap = parsed.traceEvents.find((event) => event.name === "hart.trap")!;
    expect(trap).toMatchObject({ ph: "X", ts: 3, dur: 2, tid: 0, cat: "trap" });
    expect(trap.args).toMatchObject({ epc: "0xffffffff8033b052", epcSymbol: "start_kernel+0x4", from: "S" });
    expect(trap.args).not.toHaveProperty("durNs");
    expect(parsed.traceEvents.find((event) => event.name === "irq.raise")).toMatchObject({
      ph: "i",
      s: "t",
      ts: 6,
      tid: 1,
    });
    expect(parsed.traceEvents.find((event) => event.name === "hart.wfi")).toMatchObject({ ph: "i", tid: 1 });
    // Overlapping host requests become async pairs with distinct ids.
    const asyncEvents = parsed.traceEvents.filter((event) => event.name === "virtio.request");
    expect(asyncEvents.map((event) => [event.ph, event.ts, event.tid])).toEqual([
      ["b", 5, HOST_VCPU],
      ["e", 9, HOST_VCPU],
      ["b", 5.5, HOST_VCPU],
      ["e", 9.5, HOST_VCPU],
    ]);
    expect(new Set(asyncEvents.map((event) => event.id)).size).toBe(2);
  });

  it("gives each VM its own process", () => {
    const a = readRecording(recordedSession().bytes);
    const b = {
      ...a,
      vm: { id: 4, name: "db" },
      records: a.records,
      tracepoints: a.tracepoints,
      strings: a.strings,
    };
    const trace = toChromeTrace([a, b]);
    expect(new Set(trace.traceEvents.map((event) => event.pid))).toEqual(new Set([3, 4]));
  });
});

describe("folded stacks", () => {
  it("merges equal stacks, sorts lines and escapes separators", () => {
    expect(
      foldStacks([
        { frames: ["main", "work"], count: 2 },
        { frames: ["main", "idle"] },
        { frames: ["main", "work"] },
        { frames: ["a;b", "c\nd"] },
        { frames: [] },
      ]),
    ).toBe("a_b;c_d 1\nmain;idle 1\nmain;work 3\n");
  });
});
