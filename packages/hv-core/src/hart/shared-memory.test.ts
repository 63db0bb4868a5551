import { afterEach, describe, expect, it, vi } from "vitest";
import { MmioBus } from "../memory/bus.js";
import { GuestMemory } from "../memory/guest-memory.js";
import { Hart } from "./hart.js";
import * as A from "./test-asm.testing.js";
import {
  csr,
  FixedClock,
  makeHart,
  operandPairs,
  program,
  RAM_BASE,
  read64,
  unit,
  write64,
} from "./test-asm.testing.js";

const DATA = RAM_BASE + 0x3000;

type AmoEnc = (rd: number, rs2: number, rs1: number) => number;
const AMOS: [string, AmoEnc][] = [
  ["amoswap.w", A.amoswap_w],
  ["amoadd.w", A.amoadd_w],
  ["amoxor.w", A.amoxor_w],
  ["amoand.w", A.amoand_w],
  ["amoor.w", A.amoor_w],
  ["amomin.w", A.amomin_w],
  ["amomax.w", A.amomax_w],
  ["amominu.w", A.amominu_w],
  ["amomaxu.w", A.amomaxu_w],
  ["amoswap.d", A.amoswap_d],
  ["amoadd.d", A.amoadd_d],
  ["amoxor.d", A.amoxor_d],
  ["amoand.d", A.amoand_d],
  ["amoor.d", A.amoor_d],
  ["amomin.d", A.amomin_d],
  ["amomax.d", A.amomax_d],
  ["amominu.d", A.amominu_d],
  ["amomaxu.d", A.amomaxu_d],
];

// Every pair of the edge values (0, ±1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 2^63, ...) plus random ones.
const PAIRS = operandPairs(29, 200);

/** rd and the doubleword at DATA after `inst` on each pair, on a hart over shared or private memory. */
function amoOutcomes(inst: number, shared: boolean): string[] {
  const fx = makeHart({ shared });
  expect(fx.hart.sharedMemory).toBe(shared);
  const go = unit(fx, [inst]);
  return PAIRS.map(([m, b]) => {
    write64(fx.mem, DATA, m);
    go({ 10: DATA, 11: b });
    return `${m.toString(16)} ${b.toString(16)}: rd ${fx.hart.getXBig(12).toString(16)} mem ${read64(fx.mem, DATA).toString(16)}`;
  });
}

describe("AMOs on shared memory", () => {
  for (const [name, enc] of AMOS) {
    it(`${name} gives the same rd and memory as on private memory`, () => {
      const inst = enc(12, 11, 10);
      expect(amoOutcomes(inst, true)).toEqual(amoOutcomes(inst, false));
    });
  }

  it("amoadd.d carries into the high word", () => {
    const fx = makeHart({ shared: true, program: [A.amoadd_d(12, 11, 10)] });
    write64(fx.mem, DATA, 0xffff_ffffn);
    fx.hart.setX(10, DATA);
    fx.hart.setX(11, 1n);
    fx.hart.run(1);
    expect(read64(fx.mem, DATA)).toBe(0x1_0000_0000n);
    expect(fx.hart.getXBig(12)).toBe(0xffff_ffffn);
  });

  it("misaligned and out-of-RAM AMOs still trap", () => {
    const fx = makeHart({ shared: true, program: [A.amoadd_d(12, 11, 10)] });
    fx.hart.setX(10, DATA + 4);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(6n);
    const fy = makeHart({ shared: true, program: [A.lr_w(12, 10)] });
    fy.hart.setX(10, 0x2000);
    fy.hart.run(1);
    expect(csr(fy.hart, 0x342)).toBe(5n);
  });
});

describe("LR/SC on shared memory", () => {
  // The private path has the same cases in atomics.test.ts.
  it("lr.d/sc.d succeeds on an unchanged word and fails after a change", () => {
    const fx = makeHart({
      shared: true,
      program: [
        A.lr_d(11, 10),
        A.addi(12, 11, 1),
        A.sc_d(13, 12, 10), // succeeds
        A.sc_d(14, 12, 10), // no reservation any more
        A.lr_d(11, 10),
        A.sd(0, 10, 0),
        A.sc_d(15, 12, 10), // the word changed
      ],
    });
    write64(fx.mem, DATA, 0x1_ffff_ffffn);
    fx.hart.setX(10, DATA);
    fx.hart.run(4);
    expect([fx.hart.getXBig(11), fx.hart.getXBig(13), fx.hart.getXBig(14)]).toEqual([0x1_ffff_ffffn, 0n, 1n]);
    expect(read64(fx.mem, DATA)).toBe(0x2_0000_0000n);
    fx.hart.run(3);
    expect(fx.hart.getXBig(15)).toBe(1n);
    expect(read64(fx.mem, DATA)).toBe(0n);
  });

  it("lr.w sign-extends and sc.w writes only 32 bits", () => {
    const fx = makeHart({ shared: true, program: [A.lr_w(11, 10), A.sc_w(13, 12, 10)] });
    write64(fx.mem, DATA, 0x1111_1111_8000_0000n);
    fx.hart.setX(10, DATA);
    fx.hart.setX(12, 0xaaaa_aaaa_0000_0007n);
    fx.hart.run(2);
    expect(fx.hart.getXBig(11)).toBe(0xffff_ffff_8000_0000n);
    expect(fx.hart.getXBig(13)).toBe(0n);
    expect(read64(fx.mem, DATA)).toBe(0x1111_1111_0000_0007n);
  });

  /** Two harts over one shared memory, stepped by hand in this thread. */
  function twoHarts(prog0: A.Prog, prog1: A.Prog) {
    const mem = new GuestMemory({ ramSize: 1 << 20, hartCount: 2, shared: true });
    const bus = new MmioBus();
    const clock = new FixedClock();
    const harts = [0, 1].map((hartId) => new Hart({ memory: mem, bus, clock, hartId }));
    mem.writeBytes(RAM_BASE, program(prog0));
    mem.writeBytes(RAM_BASE + 0x1000, program(prog1));
    harts[0].reset(RAM_BASE);
    harts[1].reset(RAM_BASE + 0x1000);
    for (const h of harts) h.setX(10, DATA);
    return { mem, harts };
  }

  it("of two harts holding a reservation on the same word, only the first sc.w succeeds", () => {
    const { mem, harts } = twoHarts(
      [A.lr_w(11, 10), A.addi(12, 11, 1), A.sc_w(13, 12, 10)],
      [A.lr_w(11, 10), A.addi(12, 11, 1), A.sc_w(13, 12, 10)],
    );
    write64(mem, DATA, 41n);
    harts[0].run(2);
    harts[1].run(2);
    harts[0].run(1);
    harts[1].run(1);
    expect([harts[0].getXBig(13), harts[1].getXBig(13)]).toEqual([0n, 1n]);
    expect(read64(mem, DATA)).toBe(42n);
  });

  it("an amoadd.d by another hart between lr.d and sc.d makes the sc.d fail", () => {
    const { mem, harts } = twoHarts(
      [A.lr_d(11, 10), A.addi(12, 11, 1), A.sc_d(13, 12, 10)],
      [A.li(5, 1), A.amoadd_d(0, 5, 10)],
    );
    write64(mem, DATA, 0xffff_ffffn);
    harts[0].run(2);
    harts[1].run(2);
    harts[0].run(1);
    expect(harts[0].getXBig(13)).toBe(1n);
    expect(read64(mem, DATA)).toBe(0x1_0000_0000n);
  });
});

describe("fence on shared memory", () => {
  const fenceRwRw = A.fence();
  const pause = 0x0100000f; // fence w,0
  const fenceRwW = 0x0310000f; // fence rw,w

  for (const shared of [false, true]) {
    it(`fence rw,rw and fence rw,w retire in order; only shared memory needs the host barrier (${shared ? "shared" : "private"})`, () => {
      const fx = makeHart({
        shared,
        program: [A.addi(5, 0, 1), fenceRwRw, A.addi(5, 5, 1), fenceRwW, pause, A.addi(5, 5, 1)],
      });
      const barrier = vi.spyOn(fx.hart, "hostFence");
      expect(fx.hart.run(6)).toBe(6);
      expect(fx.hart.getXBig(5)).toBe(3n);
      expect(fx.hart.pc).toBe(RAM_BASE + 24);
      expect(barrier).toHaveBeenCalledTimes(shared ? 2 : 0);
    });
  }

  it("a fence straddling a page boundary is a barrier too", () => {
    const fx = makeHart({ shared: true, at: RAM_BASE + 0xffe, program: [fenceRwRw, A.addi(5, 0, 7)] });
    const barrier = vi.spyOn(fx.hart, "hostFence");
    expect(fx.hart.run(2)).toBe(2);
    expect(fx.hart.getXBig(5)).toBe(7n);
    expect(barrier).toHaveBeenCalledTimes(1);
  });
});

describe("hardware A/D updates on shared memory", () => {
  const V = 1;
  const R = 2;
  const W = 4;
  const X = 8;
  const AC = 64;
  const D = 128;
  const ROOT = RAM_BASE + 0x10_0000;
  const PAGE_A = RAM_BASE + 0x20_0000;
  const PAGE_B = RAM_BASE + 0x20_1000;
  const VA = 0x4000_0000;
  const pte = (pa: number, flags: number) => (BigInt(pa / 4096) << 10n) | BigInt(flags);

  /** A shared-memory S-mode hart: RAM's gigabyte identity mapped, VA in a 4 KiB page of its own. */
  function setup(prog: A.Prog, shared = true) {
    const fx = makeHart({ shared, ram: 4 << 20, program: prog });
    const l1 = ROOT + 0x1000;
    const l0 = ROOT + 0x2000;
    for (const t of [ROOT, l1, l0]) fx.mem.zero(t, 0x1000);
    write64(fx.mem, ROOT + 8 * 2, pte(RAM_BASE, V | R | W | X | AC | D)); // 0x8000_0000, 1 GiB
    write64(fx.mem, ROOT + 8 * 1, pte(l1, V)); // 0x4000_0000
    write64(fx.mem, l1, pte(l0, V));
    const leaf = l0; // VA's PTE: index 0 of every level below the root
    fx.hart.csrWrite(0x180, (ROOT >>> 12) | 0, 8 << 28);
    fx.hart.setPriv(1);
    fx.hart.setX(10, VA);
    return { fx, leaf, leafWord: (fx.mem.ramOffset + (leaf - RAM_BASE)) >>> 2 };
  }

  afterEach(() => vi.restoreAllMocks());

  for (const shared of [false, true]) {
    it(`a load sets A and a store sets A and D (${shared ? "shared" : "private"})`, () => {
      const { fx, leaf } = setup([A.ld(11, 10, 0), A.li(12, 5), A.sd(12, 10, 8)], shared);
      write64(fx.mem, leaf, pte(PAGE_A, V | R | W));
      fx.hart.run(1);
      expect(read64(fx.mem, leaf)).toBe(pte(PAGE_A, V | R | W | AC));
      fx.hart.run(2);
      expect(csr(fx.hart, 0x342)).toBe(0n);
      expect(read64(fx.mem, leaf)).toBe(pte(PAGE_A, V | R | W | AC | D));
      expect(read64(fx.mem, PAGE_A + 8)).toBe(5n);
    });
  }

  /**
   * Makes the walker's first compare-exchange on the leaf PTE see `concurrent` written just
   * before it, as if another hart rewrote the PTE between the walk's read and its A/D update.
   */
  function raceOnLeaf(mem: GuestMemory, leafWord: number, concurrent: bigint): void {
    const real = Atomics.compareExchange;
    let raced = false;
    vi.spyOn(Atomics, "compareExchange").mockImplementation(((
      array: Int32Array,
      index: number,
      expected: number,
      replacement: number,
    ) => {
      if (!raced && array === mem.i32 && index === leafWord) {
        raced = true;
        array[index] = Number(concurrent & 0xffff_ffffn) | 0;
        array[index + 1] = Number(concurrent >> 32n) | 0;
      }
      return real(array, index, expected, replacement);
    }) as typeof Atomics.compareExchange);
  }

  it("a PTE cleared by another hart during the walk is left cleared, and the access faults", () => {
    const { fx, leaf, leafWord } = setup([A.li(12, 5), A.sd(12, 10, 0)]);
    write64(fx.mem, leaf, pte(PAGE_A, V | R | W));
    raceOnLeaf(fx.mem, leafWord, 0n);
    fx.hart.run(2);
    expect(read64(fx.mem, leaf)).toBe(0n);
    expect(csr(fx.hart, 0x342)).toBe(15n); // store/AMO page fault
    expect(read64(fx.mem, PAGE_A)).toBe(0n);
  });

  it("a PTE remapped by another hart during the walk is walked again and updated, not overwritten", () => {
    const { fx, leaf, leafWord } = setup([A.li(12, 5), A.sd(12, 10, 0)]);
    write64(fx.mem, leaf, pte(PAGE_A, V | R | W));
    raceOnLeaf(fx.mem, leafWord, pte(PAGE_B, V | R | W));
    fx.hart.run(2);
    expect(csr(fx.hart, 0x342)).toBe(0n);
    expect(read64(fx.mem, leaf)).toBe(pte(PAGE_B, V | R | W | AC | D));
    expect(read64(fx.mem, PAGE_B)).toBe(5n);
    expect(read64(fx.mem, PAGE_A)).toBe(0n);
  });
});
