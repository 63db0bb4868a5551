import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { Tracer } from "../tracer.js";
import { TracepointSpecError } from "./fields.js";
import { UnknownTracepointError } from "./registry.js";
import { STANDARD_TRACEPOINTS } from "./standard.js";

function enabledNames(tracer: Tracer): string[] {
  return tracer.registry
    .all()
    .filter((tp) => tp.enabled)
    .map((tp) => tp.name);
}

describe("TracepointRegistry", () => {
  it("defines the standard set with sequential ids, all disabled", () => {
    const tracer = new Tracer({ vcpus: 2 });
    const all = tracer.registry.all();
    expect(all.map((tp) => tp.name)).toEqual(STANDARD_TRACEPOINTS.map((spec) => spec.name));
    expect(all.map((tp) => tp.id)).toEqual(all.map((_, i) => i));
    expect(enabledNames(tracer)).toEqual([]);
    for (const name of [
      "hart.trap",
      "sbi.call",
      "mmio.access",
      "irq.raise",
      "tlb.flush",
      "sched.steal",
      "hart.wfi",
    ]) {
      expect(tracer.registry.find(name)).toBeDefined();
    }
  });

  it("enables by exact name, glob, class and list, and disables the same ways", () => {
    const tracer = new Tracer({ vcpus: 1 });
    expect(tracer.enable("hart.trap")).toBe(1);
    expect(enabledNames(tracer)).toEqual(["hart.trap"]);
    expect(tracer.enable("sched.*")).toBe(5);
    expect(tracer.enable({ class: "irq" })).toBe(3);
    expect(enabledNames(tracer).filter((name) => name.startsWith("irq."))).toHaveLength(3);
    expect(tracer.disable("class:sched")).toBe(5);
    expect(enabledNames(tracer).some((name) => name.startsWith("sched."))).toBe(false);
    expect(tracer.enable("timer.?ire,*.request")).toBe(2);
    expect(tracer.registry.get("timer.fire").enabled).toBe(true);
    expect(tracer.registry.get("timer.program").enabled).toBe(false);
    expect(tracer.registry.get("virtio.request").enabled).toBe(true);
    tracer.disable([{ name: "hart.trap" }, "class:irq"]);
    expect(enabledNames(tracer)).toEqual(["timer.fire", "virtio.request"]);
  });

  it("a * in a glob also spans dots", () => {
    const tracer = new Tracer({ vcpus: 1 });
    tracer.registry.define({ name: "dev.uart.tx", class: "dev", kind: "point", fields: [] });
    expect(tracer.registry.select("dev.*").map((tp) => tp.name)).toEqual(["dev.uart.tx"]);
    expect(tracer.registry.select("*.tx").map((tp) => tp.name)).toEqual(["dev.uart.tx"]);
  });

  it("a glob that matches nothing selects nothing, an unknown exact name throws", () => {
    const tracer = new Tracer({ vcpus: 1 });
    expect(tracer.enable("nothing.*")).toBe(0);
    expect(tracer.enable("class:nope")).toBe(0);
    expect(() => tracer.enable("hart.trapp")).toThrow(UnknownTracepointError);
  });

  it("mirrors modes into the shared flag bytes", () => {
    const tracer = new Tracer({ vcpus: 1 });
    const trap = tracer.tracepoint("hart.trap");
    tracer.enable("hart.trap", "count");
    expect(trap.mode).toBe("count");
    expect(trap.capture).toBe(false);
    expect(tracer.registry.flags[trap.id]).toBe(1);
    tracer.enable("hart.trap");
    expect(tracer.registry.flags[trap.id]).toBe(2);
    tracer.disable("hart.trap");
    expect(tracer.registry.flags[trap.id]).toBe(0);
    expect(trap.enabled).toBe(false);
  });

  it("count mode counts and measures latency without writing records", () => {
    const tracer = new Tracer({ vcpus: 2, clock: new ManualClock() });
    const sbi = tracer.tracepoint("sbi.call");
    tracer.enable("sbi.call", "count");
    sbi.emit(1, 250, 0x10, 0, 0, 0, 0, 0, 0);
    sbi.emit(1, 750, 0x10, 0, 0, 0, 0, 0, 0);
    expect(sbi.counts[1]).toBe(2);
    expect(sbi.latency?.summary().mean).toBe(500);
    expect(tracer.drain().length).toBe(0);
  });

  it("an emit on a disabled tracepoint has no effect", () => {
    const tracer = new Tracer({ vcpus: 1 });
    const wfi = tracer.tracepoint("hart.wfi");
    wfi.emit(0, 5, 0x1000, 0);
    expect(wfi.total).toBe(0);
    expect(tracer.drain().length).toBe(0);
  });

  it("interns strings once and resolves enum labels", () => {
    const tracer = new Tracer({ vcpus: 1 });
    const a = tracer.registry.intern("virtio-blk0");
    expect(tracer.registry.intern("uart0")).toBe(a + 1);
    expect(tracer.registry.intern("virtio-blk0")).toBe(a);
    expect(tracer.registry.string(a)).toBe("virtio-blk0");
    expect(tracer.tracepoint("sched.block").enumValue("reason", "wfi")).toBe(0);
    expect(() => tracer.tracepoint("sched.block").enumValue("reason", "nap")).toThrow(RangeError);
  });

  it("rejects malformed specs", () => {
    const tracer = new Tracer({ vcpus: 1, tracepoints: [] });
    expect(() => tracer.registry.define({ name: "Bad", class: "x", kind: "point", fields: [] })).toThrow(
      TracepointSpecError,
    );
    expect(() =>
      tracer.registry.define({
        name: "x.span",
        class: "x",
        kind: "span",
        fields: [{ name: "n", type: "u32" }],
      }),
    ).toThrow(TracepointSpecError);
    expect(() =>
      tracer.registry.define({
        name: "x.late",
        class: "x",
        kind: "point",
        fields: [
          { name: "n", type: "u32" },
          { name: "v", type: "f64" },
        ],
      }),
    ).toThrow(TracepointSpecError);
    const tooWide = Array.from({ length: 4 }, (_, i) => ({ name: `f${i}`, type: "u64" as const }));
    expect(() =>
      tracer.registry.define({ name: "x.wide", class: "x", kind: "point", fields: tooWide }),
    ).toThrow(TracepointSpecError);
    tracer.registry.define({ name: "x.ok", class: "x", kind: "point", fields: [] });
    expect(() => tracer.registry.define({ name: "x.ok", class: "x", kind: "point", fields: [] })).toThrow();
  });

  it("types emit arity from the field list", () => {
    const tracer = new Tracer({ vcpus: 1 });
    const claim = tracer.tracepoint("irq.claim");
    tracer.enable("irq.claim");
    claim.emit(0, 1, 10);
    // @ts-expect-error irq.claim has two u32 fields, not three
    claim.emit(0, 1, 10, 3);
    const trap = tracer.tracepoint("hart.trap");
    // durNs, cause, epc lo/hi, tval lo/hi, from
    trap.emit(0, 10, 8, 0x1000, 0, 0, 0, 1);
    expect(claim.total).toBe(2);
  });
});
