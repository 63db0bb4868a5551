import { describe, expect, it } from "vitest";
import { MipBit } from "./mip.js";
import {
  PLIC_CONTEXT_BASE,
  PLIC_CONTEXT_CLAIM,
  PLIC_CONTEXT_STRIDE,
  PLIC_CONTEXT_THRESHOLD,
  PLIC_ENABLE_BASE,
  PLIC_ENABLE_STRIDE,
  PLIC_PENDING_BASE,
  PLIC_PRIORITY_BASE,
  Plic,
  plicContext,
  plicMmioSize,
} from "./plic.js";
import { fakeHarts } from "./test-doubles.js";

function setup(hartCount = 2, sourceCount = 95) {
  const harts = fakeHarts(hartCount);
  const plic = new Plic({ hartCount, sourceCount }, harts);
  const priority = (id: number, p: number) => plic.write(PLIC_PRIORITY_BASE + 4 * id, 4, p);
  const enable = (context: number, id: number, on = true) => {
    const offset = PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * context + 4 * (id >>> 5);
    const word = plic.read(offset, 4);
    plic.write(offset, 4, on ? (word | (1 << (id & 31))) >>> 0 : word & ~(1 << (id & 31)));
  };
  const threshold = (context: number, t: number) =>
    plic.write(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * context + PLIC_CONTEXT_THRESHOLD, 4, t);
  const claimReg = (context: number) =>
    PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * context + PLIC_CONTEXT_CLAIM;
  const claim = (context: number) => plic.read(claimReg(context), 4);
  const complete = (context: number, id: number) => plic.write(claimReg(context), 4, id);
  const pendingWord = (word: number) => plic.read(PLIC_PENDING_BASE + 4 * word, 4);
  return { harts, plic, priority, enable, threshold, claim, complete, pendingWord };
}

describe("PLIC", () => {
  it("maps contexts 2h / 2h+1 to M / S mode of hart h", () => {
    expect(plicContext(0, "M")).toBe(0);
    expect(plicContext(0, "S")).toBe(1);
    expect(plicContext(3, "S")).toBe(7);
    expect(plicMmioSize(8)).toBe(0x20_0000 + 16 * 0x1000);
  });

  it("starts quiet: priorities, enables, thresholds and pending all zero", () => {
    const { plic, harts, pendingWord } = setup();
    expect(plic.read(PLIC_PRIORITY_BASE + 4 * 10, 4)).toBe(0);
    expect(pendingWord(0)).toBe(0);
    plic.irqLine(10).setLevel(true);
    // Pending, but priority 0 never interrupts.
    expect(pendingWord(0)).toBe(1 << 10);
    expect(harts[0]!.pending(MipBit.MEIP)).toBe(false);
    expect(harts[0]!.calls).toEqual([]);
  });

  it("raises SEIP for an enabled source above the S-mode context's threshold", () => {
    const { plic, harts, priority, enable } = setup();
    priority(10, 1);
    enable(plicContext(0, "S"), 10);
    plic.irqLine(10).setLevel(true);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(true);
    expect(harts[0]!.pending(MipBit.MEIP)).toBe(false);
    expect(harts[1]!.calls).toEqual([]);
    plic.irqLine(10).setLevel(false);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
  });

  it("enables per context: only the enabled hart and mode see the source", () => {
    const { plic, harts, priority, enable } = setup();
    priority(5, 3);
    enable(plicContext(1, "M"), 5);
    plic.irqLine(5).setLevel(true);
    expect(harts[1]!.pending(MipBit.MEIP)).toBe(true);
    expect(harts[1]!.pending(MipBit.SEIP)).toBe(false);
    expect(harts[0]!.pending(MipBit.MEIP)).toBe(false);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
    enable(plicContext(1, "M"), 5, false);
    expect(harts[1]!.pending(MipBit.MEIP)).toBe(false);
  });

  it("compares priority strictly above the threshold", () => {
    const { plic, harts, priority, enable, threshold } = setup();
    const ctx = plicContext(0, "S");
    priority(7, 3);
    enable(ctx, 7);
    threshold(ctx, 3);
    plic.irqLine(7).setLevel(true);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
    threshold(ctx, 2);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(true);
    threshold(ctx, 7);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
  });

  it("keeps priority and threshold to 3 bits", () => {
    const { plic, priority, threshold } = setup();
    priority(1, 0xf);
    expect(plic.read(PLIC_PRIORITY_BASE + 4, 4)).toBe(7);
    threshold(0, 9);
    expect(plic.read(PLIC_CONTEXT_BASE + PLIC_CONTEXT_THRESHOLD, 4)).toBe(1);
  });

  it("claims the highest priority first, lowest ID on ties, and 0 when nothing is left", () => {
    const { plic, priority, enable, claim, complete } = setup();
    const ctx = plicContext(0, "S");
    for (const [id, p] of [
      [3, 2],
      [8, 5],
      [40, 5],
      [60, 1],
    ] as const) {
      priority(id, p);
      enable(ctx, id);
      plic.irqLine(id).setLevel(true);
    }
    expect(claim(ctx)).toBe(8);
    expect(claim(ctx)).toBe(40);
    expect(claim(ctx)).toBe(3);
    expect(claim(ctx)).toBe(60);
    expect(claim(ctx)).toBe(0);
    complete(ctx, 8);
    expect(claim(ctx)).toBe(8); // still high: re-sampled on completion
  });

  it("ignores sources disabled or below threshold when claiming", () => {
    const { plic, priority, enable, threshold, claim } = setup();
    const ctx = plicContext(0, "M");
    priority(2, 7);
    priority(4, 1);
    enable(ctx, 4);
    threshold(ctx, 1);
    plic.irqLine(2).setLevel(true); // not enabled
    plic.irqLine(4).setLevel(true); // priority not above threshold
    expect(claim(ctx)).toBe(0);
  });

  it("clears pending on claim and keeps the source quiet until completion", () => {
    const { plic, harts, priority, enable, claim, complete, pendingWord } = setup();
    const ctx = plicContext(0, "S");
    priority(10, 1);
    enable(ctx, 10);
    const line = plic.irqLine(10);
    line.setLevel(true);
    expect(claim(ctx)).toBe(10);
    expect(pendingWord(0) & (1 << 10)).toBe(0);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
    // The device drops and raises its line again while the interrupt is in service.
    line.setLevel(false);
    line.setLevel(true);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
    expect(claim(ctx)).toBe(0);
    complete(ctx, 10);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(true);
    expect(claim(ctx)).toBe(10);
  });

  it("does not re-raise on completion when the level has dropped", () => {
    const { plic, harts, priority, enable, claim, complete, pendingWord } = setup();
    const ctx = plicContext(0, "S");
    priority(1, 1);
    enable(ctx, 1);
    plic.irqLine(1).setLevel(true);
    expect(claim(ctx)).toBe(1);
    plic.irqLine(1).setLevel(false);
    complete(ctx, 1);
    expect(pendingWord(0)).toBe(0);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
  });

  it("ignores a completion for a source not enabled on that context", () => {
    const { plic, priority, enable, claim, complete } = setup();
    const s0 = plicContext(0, "S");
    priority(9, 1);
    enable(s0, 9);
    plic.irqLine(9).setLevel(true);
    expect(claim(s0)).toBe(9);
    complete(plicContext(1, "S"), 9); // wrong context: ignored
    expect(claim(s0)).toBe(0);
    complete(s0, 9);
    expect(claim(s0)).toBe(9);
  });

  it("lets only one context claim a source routed to several", () => {
    const { plic, priority, enable, claim, harts } = setup();
    priority(6, 2);
    enable(plicContext(0, "S"), 6);
    enable(plicContext(1, "S"), 6);
    plic.irqLine(6).setLevel(true);
    expect(harts[0]!.pending(MipBit.SEIP) && harts[1]!.pending(MipBit.SEIP)).toBe(true);
    expect(claim(plicContext(1, "S"))).toBe(6);
    expect(claim(plicContext(0, "S"))).toBe(0);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
  });

  it("lowers the output when the pending source is claimed but keeps it for the next one", () => {
    const { plic, harts, priority, enable, claim } = setup();
    const ctx = plicContext(0, "S");
    priority(1, 1);
    priority(2, 1);
    enable(ctx, 1);
    enable(ctx, 2);
    plic.irqLine(1).setLevel(true);
    plic.irqLine(2).setLevel(true);
    expect(claim(ctx)).toBe(1);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(true);
    expect(claim(ctx)).toBe(2);
    expect(harts[0]!.pending(MipBit.SEIP)).toBe(false);
  });

  it("signals only changes to the hart", () => {
    const { plic, harts, priority, enable } = setup();
    priority(3, 1);
    enable(1, 3);
    plic.irqLine(3).setLevel(true);
    plic.irqLine(3).setLevel(true);
    priority(4, 2);
    expect(harts[0]!.calls).toEqual([[MipBit.SEIP, true]]);
  });

  it("treats pending as read-only and source 0 / unknown sources as absent", () => {
    const { plic, priority, enable, pendingWord, claim } = setup(1, 40);
    plic.write(PLIC_PENDING_BASE, 4, 0xffff_ffff);
    expect(pendingWord(0)).toBe(0);
    priority(0, 7);
    expect(plic.read(PLIC_PRIORITY_BASE, 4)).toBe(0);
    priority(41, 7);
    expect(plic.read(PLIC_PRIORITY_BASE + 4 * 41, 4)).toBe(0);
    plic.write(PLIC_ENABLE_BASE, 4, 0xffff_ffff);
    plic.write(PLIC_ENABLE_BASE + 4, 4, 0xffff_ffff);
    expect(plic.read(PLIC_ENABLE_BASE, 4)).toBe(0xffff_fffe);
    expect(plic.read(PLIC_ENABLE_BASE + 4, 4)).toBe(0x1ff); // sources 32..40
    enable(0, 1);
    plic.write(PLIC_CONTEXT_BASE + PLIC_CONTEXT_CLAIM, 4, 0); // completing 0 is a no-op
    plic.write(PLIC_CONTEXT_BASE + PLIC_CONTEXT_CLAIM, 4, 1000);
    expect(claim(0)).toBe(0);
    expect(() => plic.irqLine(0)).toThrow(RangeError);
    expect(() => plic.irqLine(41)).toThrow(RangeError);
  });

  it("handles sources in the upper words (IDs 32..95)", () => {
    const { plic, harts, priority, enable, claim, pendingWord } = setup();
    priority(95, 4);
    enable(plicContext(1, "S"), 95);
    plic.irqLine(95).setLevel(true);
    expect(pendingWord(2)).toBe((1 << 31) >>> 0);
    expect(harts[1]!.pending(MipBit.SEIP)).toBe(true);
    expect(claim(plicContext(1, "S"))).toBe(95);
  });

  it("never throws on odd guest accesses", () => {
    const { plic } = setup();
    for (const offset of [0, 2, 0x1001, 0x2000 + 0x80 * 4, 0x1f_fffc, 0x20_0000 + 0x1000 * 4, 0x3ff_fffc]) {
      for (const size of [1, 2, 4] as const) {
        expect(() => plic.write(offset, size, 0xffff_ffff)).not.toThrow();
        expect(() => plic.read(offset, size)).not.toThrow();
      }
    }
    expect(plic.read(PLIC_CONTEXT_BASE + 0x1000 * 4 + PLIC_CONTEXT_CLAIM, 4)).toBe(0);
  });

  it("rejects inconsistent configuration", () => {
    expect(() => new Plic({ hartCount: 2 }, fakeHarts(1))).toThrow(RangeError);
    expect(() => new Plic({ hartCount: 1, sourceCount: 0 }, fakeHarts(1))).toThrow(RangeError);
    expect(() => new Plic({ hartCount: 1, sourceCount: 1024 }, fakeHarts(1))).toThrow(RangeError);
  });

  it("saves and restores its state, re-driving the outputs", () => {
    const a = setup();
    a.priority(10, 5);
    a.priority(11, 2);
    a.enable(plicContext(0, "S"), 10);
    a.enable(plicContext(0, "S"), 11);
    a.threshold(plicContext(0, "S"), 1);
    a.plic.irqLine(10).setLevel(true);
    a.plic.irqLine(11).setLevel(true);
    expect(a.claim(plicContext(0, "S"))).toBe(10);
    const state = a.plic.saveState();
    expect(state.type).toBe("sifive-plic");
    expect(state.version).toBe(1);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);

    const b = setup();
    b.plic.restoreState(JSON.parse(JSON.stringify(state)));
    expect(b.harts[0]!.pending(MipBit.SEIP)).toBe(true);
    expect(b.harts[0]!.pending(MipBit.MEIP)).toBe(false);
    expect(b.plic.saveState()).toEqual(state);
    expect(b.claim(plicContext(0, "S"))).toBe(11);
    b.complete(plicContext(0, "S"), 10); // claimed before the snapshot, level still high
    expect(b.claim(plicContext(0, "S"))).toBe(10);
  });

  it("refuses state of another shape", () => {
    const state = setup(2).plic.saveState();
    expect(() => setup(1).plic.restoreState(state)).toThrow(/contexts/);
    expect(() => setup(2).plic.restoreState({ ...state, version: 2 } as never)).toThrow(/v2/);
  });
});
