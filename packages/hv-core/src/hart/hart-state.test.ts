import { describe, expect, it } from "vitest";
import { GuestMemory } from "../memory/guest-memory.js";
import type { Hart } from "./hart.js";
import { HartStateError } from "./hart-state.js";
import * as A from "./test-asm.testing.js";
import { makeHart, RAM_BASE } from "./test-asm.testing.js";

const DATA = RAM_BASE + 0x8000;
const MSCRATCH = 0x340;
const FS_INITIAL = 1 << 13;

/** A loop mixing integer, FP, memory, CSR and LR work, then `j .`. */
const loop: A.Prog = [
  A.li(5, DATA),
  A.li(6, 500),
  A.addi(7, 7, 3), // loop:
  A.mul(8, 7, 7),
  A.add(9, 9, 8),
  A.fcvt_d_l(1, 9),
  A.fadd_d(2, 2, 1),
  A.fdiv_d(3, 2, 1),
  A.sd(9, 5, 0),
  A.ld(10, 5, 0),
  A.csrw(MSCRATCH, 10),
  A.lr_d(11, 5),
  A.addi(6, 6, -1),
  A.bne(6, 0, -40),
  A.jal(0, 0),
];

function fresh(): Hart {
  const { hart } = makeHart({ program: loop });
  hart.mstatus = FS_INITIAL;
  return hart;
}

function ram(hart: Hart): Uint8Array {
  return hart.mem.readBytes(hart.mem.ramBase, hart.mem.ramSize);
}

describe("hart saveState / restoreState", () => {
  it("a run split by save and restore into a fresh hart ends like an uninterrupted run", () => {
    const whole = fresh();
    whole.run(7000);

    const first = fresh();
    first.run(2345);
    const state = JSON.parse(JSON.stringify(first.saveState()));
    expect(state.reservation).not.toBeNull();

    // A fresh hart on fresh memory: RAM is carried over as a snapshot would.
    const memory = new GuestMemory({ ramSize: first.mem.ramSize });
    memory.writeBytes(memory.ramBase, ram(first));
    const { hart: second } = makeHart({});
    const target = new (second.constructor as typeof Hart)({
      memory,
      bus: second.bus,
      clock: second.clock,
    });
    target.restoreState(state);
    target.run(7000 - 2345);

    // Budgets end at block boundaries, so the spin at the end may have run a few more times.
    const { instret: _a, ...restored } = target.saveState();
    const { instret: _b, ...expected } = whole.saveState();
    expect(restored).toEqual(expected);
    expect(target.getXBig(9)).toBe(whole.getXBig(9));
    expect(target.getXBig(9)).not.toBe(0n);
    // Byte comparison: a deep-equality walk over 1 MiB would dominate the test's time.
    expect(Buffer.from(ram(target)).equals(Buffer.from(ram(whole)))).toBe(true);
  });

  it("restoring drops decoded code and translations from before", () => {
    const hart = fresh();
    hart.run(100);
    const state = hart.saveState();
    // Overwrite the loop's first instruction with `j .`: the stale decode must not run.
    hart.mem.writeBytes(RAM_BASE + 8 * 4, A.program([A.jal(0, 0)]));
    const before = hart.getXBig(9);
    hart.restoreState({ ...state, pc: (RAM_BASE + 32).toString(16).padStart(16, "0") });
    hart.run(50);
    expect(hart.getXBig(9)).toBe(before);
  });

  it("rejects a malformed or other-version state without changing the hart", () => {
    const hart = fresh();
    hart.run(100);
    const state = hart.saveState();
    const pc = hart.pc;
    expect(() => hart.restoreState({ ...state, version: 2 } as never)).toThrow(HartStateError);
    expect(() => hart.restoreState({ ...state, x: state.x.slice(1) })).toThrow(/32 registers/);
    expect(() => hart.restoreState({ ...state, pc: "zz" })).toThrow(/pc/);
    expect(() => hart.restoreState({ ...state, priv: 2 })).toThrow(/reserved/);
    expect(() => hart.restoreState({ ...state, hartId: 1 })).toThrow(/hart 1/);
    expect(hart.pc).toBe(pc);
  });
});
