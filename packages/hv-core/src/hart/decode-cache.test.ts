import { describe, expect, it } from "vitest";
import * as A from "./test-asm.testing.js";
import { csr, makeHart, poke, RAM_BASE } from "./test-asm.testing.js";

const PAGE_B = RAM_BASE + 0x2000;

describe("self-modifying code", () => {
  it("a store into the running page changes the next execution of that instruction", () => {
    const prog = [
      A.addi(6, 0, 0),
      A.addi(5, 0, 1), // patched to addi x5, x0, 42
      A.add(7, 7, 5),
      A.bne(6, 0, 16),
      A.sw(11, 10, 0),
      A.addi(6, 0, 1),
      A.jal(0, -20),
    ];
    const fx = makeHart({ program: prog });
    fx.hart.setX(10, RAM_BASE + 4);
    fx.hart.setX(11, A.addi(5, 0, 42));
    fx.hart.run(10);
    expect(fx.hart.getX(7)).toBe(43);
    expect(fx.hart.pc).toBe(RAM_BASE + 28);
  });

  const callTwice = (patch: number) => [
    A.jalr(1, 12, 0),
    A.add(7, 7, 5),
    patch,
    A.jalr(1, 12, 0),
    A.add(7, 7, 5),
  ];

  it("a store into another, already decoded page changes what runs there", () => {
    const fx = makeHart({ program: callTwice(A.sw(11, 12, 0)) });
    poke(fx, PAGE_B, [A.addi(5, 0, 1), A.jalr(0, 1, 0)]);
    fx.hart.setX(12, PAGE_B);
    fx.hart.setX(11, A.addi(5, 0, 42));
    fx.hart.run(9);
    expect(fx.hart.getX(7)).toBe(43);
  });

  it("a page written before it was first run still sees later stores", () => {
    // The first store fills the write TLB for page B; decoding B must take that entry away.
    const fx = makeHart({ program: [A.sw(0, 12, 0x100), ...callTwice(A.sw(11, 12, 0))] });
    poke(fx, PAGE_B, [A.addi(5, 0, 1), A.jalr(0, 1, 0)]);
    fx.hart.setX(12, PAGE_B);
    fx.hart.setX(11, A.addi(5, 0, 42));
    fx.hart.run(10);
    expect(fx.hart.getX(7)).toBe(43);
  });

  it("an AMO that rewrites code is seen too", () => {
    // amoxor flips addi x5, x0, 1 into addi x5, x0, 3 (immediate bit 21)
    const fx = makeHart({ program: callTwice(A.amoxor_w(0, 11, 12)) });
    poke(fx, PAGE_B, [A.addi(5, 0, 1), A.jalr(0, 1, 0)]);
    fx.hart.setX(12, PAGE_B);
    fx.hart.setX(11, 1 << 21);
    fx.hart.run(9);
    expect(fx.hart.getX(7)).toBe(4);
  });

  it("a store to the very next instruction is seen when execution reaches it", () => {
    const fx = makeHart({ program: [A.sw(11, 10, 4), A.addi(5, 0, 1)] });
    fx.hart.setX(10, RAM_BASE);
    fx.hart.setX(11, A.addi(5, 0, 42));
    fx.hart.run(2);
    expect(fx.hart.getX(5)).toBe(42);
  });

  describe("partial overwrites of decoded instructions", () => {
    // Page B holds c.nop at +0 and addi x5, x0, 1 at +2 (so the 4-byte one is 2-byte aligned).
    const target = () => [A.c_nop(), A.addi(5, 0, 1), A.jalr(0, 1, 0)];
    const newImm = A.addi(5, 0, 0x7f1);
    const cases: [string, A.Prog, number][] = [
      ["sh of the upper half", [A.sh(11, 12, 4)], newImm >>> 16],
      ["sb of the top byte", [A.sb(11, 12, 5)], newImm >>> 24],
      ["sw of the whole instruction at a 2-byte offset", [A.sw(11, 12, 2)], newImm],
      ["misaligned sd over two instructions", [A.sd(11, 12, 1)], 0],
    ];
    for (const [name, patch, value] of cases) {
      it(name, () => {
        const fx = makeHart({ program: [A.jalr(1, 12, 0), A.add(7, 7, 5), ...patch, A.jalr(1, 12, 0)] });
        poke(fx, PAGE_B, target());
        fx.hart.setX(12, PAGE_B);
        if (name.startsWith("misaligned")) {
          // bytes 1..8: the high byte of c.nop, all of the addi, the low byte of the jalr
          const bytes = new Uint8Array(16);
          bytes.set(A.program([A.c_nop(), newImm, A.jalr(0, 1, 0)]));
          const v = new DataView(bytes.buffer).getBigUint64(1, true);
          fx.hart.setX(11, v);
        } else fx.hart.setX(11, value);
        fx.hart.run(5 + patch.length + 3);
        expect(fx.hart.getX(7)).toBe(1);
        expect(fx.hart.getX(5)).toBe(0x7f1);
      });
    }
  });

  it("a store straddling into a code page updates the code at its start", () => {
    const fx = makeHart({ program: [A.jalr(1, 12, 0), A.sd(11, 12, -4), A.jalr(1, 12, 0)] });
    poke(fx, PAGE_B, [A.addi(5, 0, 1), A.jalr(0, 1, 0)]);
    fx.hart.setX(12, PAGE_B);
    fx.hart.setX(11, BigInt(A.addi(5, 0, 77)) << 32n);
    fx.hart.run(6);
    expect(fx.hart.getX(5)).toBe(77);
  });

  it("fence.i picks up code written behind the hart's back", () => {
    const fx = makeHart({ program: [A.jalr(1, 12, 0), A.fence_i(), A.jalr(1, 12, 0)] });
    poke(fx, PAGE_B, [A.addi(5, 0, 1), A.jalr(0, 1, 0)]);
    fx.hart.setX(12, PAGE_B);
    fx.hart.run(3);
    expect(fx.hart.getX(5)).toBe(1);
    // A device-style write: memory changes, nothing is told.
    fx.mem.writeBytes(PAGE_B, A.program([A.addi(5, 0, 9)]));
    fx.hart.run(3);
    expect(fx.hart.getX(5)).toBe(9);
  });

  it("invalidateCode drops the decoded copy of a host-written range", () => {
    const fx = makeHart({ program: [A.addi(5, 5, 1), A.jal(0, -4)] });
    fx.hart.run(4);
    expect(fx.hart.getX(5)).toBe(2);
    fx.mem.writeBytes(RAM_BASE, A.program([A.addi(5, 5, 100)]));
    fx.hart.invalidateCode(RAM_BASE, 4);
    fx.hart.run(2);
    expect(fx.hart.getX(5)).toBe(102);
  });

  it("a jump into the upper half of a 32-bit instruction decodes that half on its own", () => {
    // lui x5, 0x43150 has c.li x6, 5 as its upper 16 bits.
    const lui = A.lui(5, 0x43150);
    expect(lui >>> 16).toBe(A.c_li(6, 5));
    const fx = makeHart({ program: [lui, A.jal(0, -2)] });
    fx.hart.run(3);
    expect(fx.hart.getXBig(5)).toBe(0x4315_0000n);
    expect(fx.hart.getX(6)).toBe(5);
    expect(fx.hart.pc).toBe(RAM_BASE + 4);
  });
});

describe("instructions straddling a page boundary", () => {
  const at = RAM_BASE + 0xffa;

  it("a 4-byte instruction at offset 0xffe runs, with the next one on the new page", () => {
    const fx = makeHart({ at, program: [A.c_li(6, 1), A.c_nop(), A.addi(5, 0, 7), A.addi(7, 0, 9)] });
    fx.hart.run(4);
    expect([fx.hart.getX(5), fx.hart.getX(6), fx.hart.getX(7)]).toEqual([7, 1, 9]);
    expect(fx.hart.pc).toBe(RAM_BASE + 0x1006);
    expect(fx.hart.instret).toBe(4);
  });

  it("changing the second half is seen on the next execution", () => {
    const fx = makeHart({ at: RAM_BASE + 0xffe, program: [A.addi(5, 0, 7), A.jal(0, -4)] });
    fx.hart.run(2);
    expect(fx.hart.getX(5)).toBe(7);
    // imm[11:4] lives in the upper half: make it 0x107
    const patched = A.addi(5, 0, 0x107);
    fx.hart.setX(10, RAM_BASE + 0x1000);
    fx.hart.setX(11, patched >>> 16);
    poke(fx, RAM_BASE + 0x1004, [A.sh(11, 10, 0), A.jal(0, -10)]);
    fx.hart.pcLo = (RAM_BASE + 0x1004) | 0;
    fx.hart.run(3);
    expect(fx.hart.getX(5)).toBe(0x107);
  });

  it("a straddling instruction whose second half is outside RAM is a fetch access fault", () => {
    const fx = makeHart({ ram: 1 << 16 });
    const end = RAM_BASE + (1 << 16);
    fx.mem.writeBytes(end - 2, A.program([A.addi(5, 0, 1)]).subarray(0, 2));
    fx.hart.pcLo = (end - 2) | 0;
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(1n);
    expect(csr(fx.hart, 0x341)).toBe(BigInt(end - 2));
    expect(csr(fx.hart, 0x343)).toBe(BigInt(end));
    expect(fx.hart.getX(5)).toBe(0);
  });

  it("a counter read that straddles pages counts the block before it", () => {
    const fx = makeHart({ at: RAM_BASE + 0xff2, program: [A.nop(), A.nop(), A.nop(), A.csrr(10, 0xc02)] });
    fx.hart.run(4);
    expect(fx.hart.pc).toBe(RAM_BASE + 0x1002);
    expect(fx.hart.getX(10)).toBe(3);
  });

  it("an AMO on a code page does not make the next straddling instruction fail to run", () => {
    const fx = makeHart({
      at: RAM_BASE + 0xff6,
      program: [A.amoadd_w(0, 0, 10), A.csrw(0x340, 0), A.addi(5, 0, 7), A.addi(6, 0, 8)],
    });
    fx.hart.setX(10, RAM_BASE + 0x800); // a data word on the (decoded) code page
    expect(fx.hart.run(4)).toBe(4);
    expect([fx.hart.getX(5), fx.hart.getX(6)]).toEqual([7, 8]);
    expect(fx.hart.instret).toBe(4);
    expect(fx.hart.pc).toBe(RAM_BASE + 0x1006);
  });
});

describe("run budget and retirement", () => {
  it("run(budget) retires exactly budget instructions in a loop", () => {
    const fx = makeHart({ program: [A.addi(5, 5, 1), A.c_addi(6, 1), A.jal(0, -6)] });
    expect(fx.hart.run(1000)).toBe(1000);
    expect(fx.hart.instret).toBe(1000);
    expect(fx.hart.getX(5)).toBe(334);
    expect(fx.hart.getX(6)).toBe(333);
    expect(fx.hart.run(1)).toBe(1);
    expect(fx.hart.getX(6)).toBe(334);
  });

  it("budgets stop in the middle of a straight line and across pages", () => {
    const body = Array.from({ length: 1100 }, () => A.addi(5, 5, 1));
    const fx = makeHart({ program: body });
    for (const n of [7, 1, 1000, 13]) fx.hart.run(n);
    expect(fx.hart.getX(5)).toBe(1021);
    expect(fx.hart.pc).toBe(RAM_BASE + 4 * 1021);
  });

  it("a fault loop (mtvec on unmapped memory) still returns and retires nothing", () => {
    const fx = makeHart({ program: [A.ebreak()] });
    fx.hart.csrLoArr[0x305] = 0x100;
    expect(fx.hart.run(50)).toBe(50);
    expect(fx.hart.instret).toBe(0);
    expect(csr(fx.hart, 0x342)).toBe(1n);
    expect(csr(fx.hart, 0x341)).toBe(0x100n);
  });

  it("a trap loop inside RAM returns too", () => {
    const fx = makeHart({ program: [A.ebreak()] });
    fx.hart.csrLoArr[0x305] = RAM_BASE;
    expect(fx.hart.run(25)).toBe(25);
    expect(fx.hart.instret).toBe(0);
  });

  it("taking an interrupt retires nothing", () => {
    const fx = makeHart({ program: [A.nop(), A.nop()] });
    fx.hart.mie = 1 << 7;
    fx.hart.mstatus = 1 << 3;
    fx.hart.csrLoArr[0x305] = 0x100; // unmapped: only the interrupt and fetch faults happen
    fx.hart.setPending(7, true);
    fx.hart.run(3);
    expect(fx.hart.instret).toBe(0);
    expect(csr(fx.hart, 0x342)).toBe(1n);
  });
});
