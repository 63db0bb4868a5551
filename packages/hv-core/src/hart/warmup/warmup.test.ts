import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MmioBus } from "../../memory/bus.js";
import { GuestMemory } from "../../memory/guest-memory.js";
import { expandCompressed } from "../compressed.js";
import { decodeInto } from "../decode.js";
import { Hart } from "../hart.js";
import { Op } from "../interpreter.js";
import { WARMUP_IMAGE_BASE64 } from "./warmup-image.js";

const image = Uint8Array.from(atob(WARMUP_IMAGE_BASE64), (c) => c.charCodeAt(0));

/** Ops that only exist at run time, or that the warm-up must not execute. */
const NOT_IN_PROGRAM = new Set<number>([
  Op.UNDECODED,
  Op.EXIT_PAGE,
  Op.CROSS_PAGE,
  Op.WFI,
  Op.FENCE_SHARED, // `fence` on harts over shared memory; the warm-up hart's is private
  Op.PAUSE, // `pause` on harts over shared memory, likewise
]);

describe("interpreter warm-up program", () => {
  it("contains every operation the interpreter implements", () => {
    const seen = new Set<number>();
    const slot = new Int32Array(4);
    const view = new DataView(image.buffer);
    for (let off = 0; off + 2 <= image.length; ) {
      const low = view.getUint16(off, true);
      if ((low & 3) === 3 && off + 4 <= image.length) {
        const inst = view.getInt32(off, true);
        decodeInto(slot, 0, inst, inst, 4);
        off += 4;
      } else {
        const inst = expandCompressed(low);
        if (inst !== 0) decodeInto(slot, 0, inst, low, 2);
        else slot[0] = Op.ILLEGAL;
        off += 2;
      }
      seen.add(slot[0]);
    }
    const missing = Object.values(Op)
      .filter((v): v is number => typeof v === "number")
      .filter((op) => !NOT_IN_PROGRAM.has(op) && !seen.has(op))
      .map((op) => Op[op]);
    expect(missing).toEqual([]);
  });

  it("runs both rounds to the end on the warm-up machine, through S-mode and back", () => {
    const memory = new GuestMemory({ ramSize: 64 * 1024 });
    memory.writeBytes(memory.ramBase, image);
    const bus = new MmioBus();
    const registers = new Uint32Array(4);
    bus.map(0x1000_0000, 0x1000, {
      name: "warmup",
      read: (offset) => registers[(offset >>> 2) & 3],
      write: (offset, _size, value) => {
        registers[(offset >>> 2) & 3] = value;
      },
    });
    const hart = new Hart({ memory, bus, clock: { frequencyHz: 10_000_000, now: () => 0 } });
    const causes: number[] = [];
    hart.onTrap = (_h, cause) => causes.push(cause);
    hart.run(20_000);
    // Each round ends with the S-mode ecall (9) that returns to M; nothing after the second.
    expect(causes.filter((c) => c === 9)).toHaveLength(2);
    expect(causes.at(-1)).toBe(9);
    const pc = hart.pc;
    hart.run(1000);
    expect(hart.pc).toBe(pc); // spinning on `done`
    expect(hart.priv).toBe(3);
  });

  it("is what warmup.S assembles to", () => {
    let hasToolchain = true;
    try {
      execFileSync("riscv64-unknown-elf-gcc", ["--version"], { stdio: "ignore" });
    } catch {
      hasToolchain = false;
    }
    if (!hasToolchain) return; // the image is committed; only rebuilding it needs the toolchain
    const dir = mkdtempSync(join(tmpdir(), "warmup-"));
    try {
      const src = join(import.meta.dirname, "warmup.S");
      const elf = join(dir, "w.elf");
      const bin = join(dir, "w.bin");
      execFileSync("riscv64-unknown-elf-gcc", [
        "-march=rv64gc_zba_zbb_zbs",
        "-mabi=lp64d",
        "-nostdlib",
        "-static",
        "-Wl,-Ttext=0",
        "-o",
        elf,
        src,
      ]);
      execFileSync("riscv64-unknown-elf-objcopy", ["-O", "binary", elf, bin]);
      expect(Buffer.from(readFileSync(bin)).equals(Buffer.from(image))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
