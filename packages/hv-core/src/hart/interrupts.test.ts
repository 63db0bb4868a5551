import { describe, expect, it } from "vitest";
import type { Hart } from "./hart.js";
import * as A from "./test-asm.testing.js";
import { csr, M_TRAP, makeHart, RAM_BASE, S_TRAP } from "./test-asm.testing.js";

const MIE = 1 << 3;
const SIE = 1 << 1;
const MPIE = 1 << 7;
const MPP_SHIFT = 11;
const INT = 1n << 63n;
const [SSI, MSI, STI, MTI, SEI, MEI] = [1, 3, 5, 7, 9, 11];

/** A hart spinning on `j .` at RAM_BASE in `priv`, with the given enables. */
function spinning(priv: number, mstatus: number, mie: number, mideleg = 0) {
  const fx = makeHart({ program: [A.jal(0, 0)] });
  fx.hart.mstatus = mstatus;
  fx.hart.mie = mie;
  fx.hart.mideleg = mideleg;
  fx.hart.setPriv(priv);
  return fx;
}
const raise = (h: Hart, ...bits: number[]) => {
  for (const b of bits) h.setPending(b, true);
};

describe("interrupt priority", () => {
  it("MEI > MSI > MTI > SEI > SSI > STI", () => {
    const fx = spinning(3, MIE, 0xaaa);
    const h = fx.hart;
    raise(h, MEI, MSI, MTI, SEI, SSI, STI);
    const order: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      h.setPriv(3);
      h.mstatus = MIE;
      h.pcLo = RAM_BASE | 0;
      h.run(1);
      const c = csr(h, 0x342);
      order.push(c & ~INT);
      expect(c & INT).toBe(INT);
      expect(h.pc).toBe(M_TRAP);
      // Clear the one just taken.
      const bit = Number(c & 0xffn);
      if (bit === SSI) h.mipSw &= ~(1 << SSI);
      else h.setPending(bit, false);
    }
    expect(order).toEqual([11n, 3n, 7n, 9n, 1n, 5n]);
  });

  it("an interrupt for M-mode goes before one for S-mode, whatever their numbers", () => {
    // SSI is delegated, STI is not: in S-mode both are enabled, and M's is taken first (as in
    // Spike and QEMU), although SSI comes before STI in the per-mode order.
    const fx = spinning(1, SIE, (1 << SSI) | (1 << STI), 1 << SSI);
    raise(fx.hart, SSI, STI);
    fx.hart.run(1);
    expect(fx.hart.priv).toBe(3);
    expect(csr(fx.hart, 0x342)).toBe(INT | 5n);
    expect(csr(fx.hart, 0x142)).toBe(0n);
  });

  it("an interrupt records mepc = the interrupted pc, MPIE and MPP", () => {
    const fx = spinning(1, 0, 0xaaa);
    fx.hart.pcLo = (RAM_BASE + 0x40) | 0;
    fx.mem.writeBytes(RAM_BASE + 0x40, A.program([A.jal(0, 0)]));
    raise(fx.hart, MTI);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(INT | 7n);
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE + 0x40));
    expect(csr(fx.hart, 0x343)).toBe(0n);
    expect((fx.hart.mstatus >> MPP_SHIFT) & 3).toBe(1);
    expect(fx.hart.mstatus & MPIE).toBe(0);
    expect(fx.hart.priv).toBe(3);
  });
});

describe("global enables", () => {
  const taken = (priv: number, mstatus: number, mideleg: number, bit: number) => {
    const fx = spinning(priv, mstatus, 0xaaa, mideleg);
    raise(fx.hart, bit);
    fx.hart.run(1);
    return fx.hart.pc === M_TRAP ? "M" : fx.hart.pc === S_TRAP ? "S" : "none";
  };

  it("M-mode takes M interrupts only with mstatus.MIE", () => {
    expect(taken(3, 0, 0, MTI)).toBe("none");
    expect(taken(3, MIE, 0, MTI)).toBe("M");
  });

  it("M interrupts are taken in S and U regardless of MIE", () => {
    expect(taken(1, 0, 0, MEI)).toBe("M");
    expect(taken(0, 0, 0, MSI)).toBe("M");
  });

  it("delegated interrupts: never in M, in S only with SIE, always in U", () => {
    const deleg = 1 << STI;
    expect(taken(3, MIE | SIE, deleg, STI)).toBe("none");
    expect(taken(1, 0, deleg, STI)).toBe("none");
    expect(taken(1, SIE, deleg, STI)).toBe("S");
    expect(taken(0, 0, deleg, STI)).toBe("S");
  });

  it("an interrupt disabled in mie is not taken", () => {
    const fx = spinning(0, MIE, 0xaaa & ~(1 << MTI));
    raise(fx.hart, MTI);
    fx.hart.run(5);
    expect(fx.hart.pc).toBe(RAM_BASE);
  });

  it("a delegated interrupt fills scause/sepc and sets SPP/SPIE", () => {
    const fx = spinning(1, SIE, 0xaaa, 1 << SEI);
    raise(fx.hart, SEI);
    fx.hart.run(1);
    expect(fx.hart.priv).toBe(1);
    expect(csr(fx.hart, 0x142)).toBe(INT | 9n);
    expect(csr(fx.hart, 0x141)).toBe(BigInt(RAM_BASE));
    expect(fx.hart.mstatus & (1 << 8)).toBe(1 << 8);
    expect(fx.hart.mstatus & (1 << 5)).toBe(1 << 5);
    expect(fx.hart.mstatus & SIE).toBe(0);
  });
});

describe("vectored interrupts", () => {
  it("mtvec mode 1 sends interrupt i to base + 4*i", () => {
    const fx = spinning(0, 0, 0xaaa);
    fx.hart.csrLoArr[0x305] = (RAM_BASE + 0x800) | 1;
    fx.mem.writeBytes(RAM_BASE + 0x800 + 4 * 11, A.program([A.jal(0, 0)]));
    raise(fx.hart, MEI);
    fx.hart.run(1);
    expect(fx.hart.pc).toBe(RAM_BASE + 0x800 + 4 * 11);
  });

  it("stvec mode 1 sends a delegated interrupt to base + 4*i", () => {
    const fx = spinning(0, 0, 0xaaa, 1 << SSI);
    fx.hart.csrLoArr[0x105] = (RAM_BASE + 0x900) | 1;
    fx.mem.writeBytes(RAM_BASE + 0x900 + 4, A.program([A.jal(0, 0)]));
    raise(fx.hart, SSI);
    fx.hart.run(1);
    expect(fx.hart.pc).toBe(RAM_BASE + 0x900 + 4);
  });
});

describe("enabling interrupts in software", () => {
  it("csrs mstatus.MIE takes a pending interrupt right after that instruction", () => {
    const fx = makeHart({ program: [A.csrrsi(0, 0x300, 8), A.addi(10, 0, 1), A.addi(11, 0, 1)] });
    fx.hart.mie = 1 << MTI;
    raise(fx.hart, MTI);
    fx.hart.run(3);
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE + 4));
    expect(fx.hart.getX(10)).toBe(0);
  });
});

describe("devices raising interrupts", () => {
  it("an interrupt raised by a device store is taken right after that store", () => {
    const fx = makeHart({ program: [A.sw(0, 10, 0), A.addi(11, 0, 1), A.addi(12, 0, 1)] });
    fx.bus.map(0x1000_0000, 0x100, {
      name: "irq-on-write",
      read: () => 0,
      write: () => fx.hart.setPending(MEI, true),
    });
    fx.hart.setX(10, 0x1000_0000);
    fx.hart.mie = 1 << MEI;
    fx.hart.mstatus = MIE;
    fx.hart.run(3);
    expect(csr(fx.hart, 0x342)).toBe(INT | 11n);
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE + 4));
    expect(fx.hart.getX(11)).toBe(0);
  });
});

describe("wfi", () => {
  it("waits until an interrupt enabled in mie is pending, even with MIE clear", () => {
    const fx = makeHart({ program: [A.wfi(), A.addi(10, 0, 1)] });
    fx.hart.mie = 1 << MTI;
    expect(fx.hart.run(100)).toBe(1);
    expect(fx.hart.waiting).toBe(true);
    expect(fx.hart.pc).toBe(RAM_BASE + 4);
    expect(fx.hart.run(100)).toBe(0);
    // Not enabled in mie: stays asleep.
    fx.hart.setPending(MSI, true);
    expect(fx.hart.waiting).toBe(true);
    fx.hart.setPending(MTI, true);
    expect(fx.hart.waiting).toBe(false);
    fx.hart.run(1);
    // MIE is clear, so execution resumes after the wfi instead of trapping.
    expect(fx.hart.getX(10)).toBe(1);
    expect(csr(fx.hart, 0x342)).toBe(0n);
  });

  it("wakes into the handler when the interrupt is globally enabled", () => {
    const fx = makeHart({ program: [A.wfi(), A.addi(10, 0, 1)] });
    fx.hart.mie = 1 << MEI;
    fx.hart.mstatus = MIE;
    fx.hart.run(10);
    fx.hart.setPending(MEI, true);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(INT | 11n);
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE + 4));
    expect(fx.hart.getX(10)).toBe(0);
  });

  it("does not wait when an enabled interrupt is already pending", () => {
    const fx = makeHart({ program: [A.wfi(), A.addi(10, 0, 1)] });
    fx.hart.mie = 1 << MSI;
    raise(fx.hart, MSI);
    fx.hart.run(2);
    expect(fx.hart.waiting).toBe(false);
    expect(fx.hart.getX(10)).toBe(1);
  });
});

describe("Sstc", () => {
  const STCE = 1n << 63n;

  it("STIP follows time >= stimecmp once menvcfg.STCE is set", () => {
    const fx = makeHart({
      program: [A.li(1, STCE), A.csrw(0x30a, 1), A.addi(2, 0, 100), A.csrw(0x14d, 2), A.jal(0, 0)],
    });
    fx.clock.ticks = 50;
    fx.hart.run(6);
    expect(fx.hart.mipExt & (1 << STI)).toBe(0);
    fx.clock.ticks = 100;
    fx.hart.run(1);
    expect(fx.hart.mipExt & (1 << STI)).toBe(1 << STI);
    // A later compare value drops it again.
    fx.hart.csrWrite(0x14d, 1000, 0);
    expect(fx.hart.mipExt & (1 << STI)).toBe(0);
  });

  it("raises a supervisor timer interrupt in S-mode", () => {
    const fx = spinning(1, SIE, 1 << STI, 1 << STI);
    fx.hart.csrHiArr[0x30a] = 1 << 31;
    fx.hart.csrLoArr[0x14d] = 500;
    fx.hart.csrHiArr[0x14d] = 0;
    fx.clock.ticks = 499;
    fx.hart.run(3);
    expect(fx.hart.pc).toBe(RAM_BASE);
    fx.clock.ticks = 500;
    fx.hart.run(1);
    expect(fx.hart.pc).toBe(S_TRAP);
    expect(csr(fx.hart, 0x142)).toBe(INT | 5n);
  });

  it("mip.STIP is read-only while STCE is set", () => {
    const fx = makeHart({
      program: [A.li(1, STCE), A.csrw(0x30a, 1), A.csrrsi(10, 0x344, 0), A.csrw(0x344, 2)],
    });
    fx.hart.setX(2, 1 << STI);
    fx.hart.run(A.count([A.li(1, STCE)]) + 3);
    expect(fx.hart.csrRead(0x344)).toBe(true);
    expect(fx.hart.csrLo & (1 << STI)).toBe(0);
  });

  it("stimecmp from S needs STCE and mcounteren.TM", () => {
    const trial = (stce: boolean, tm: boolean) => {
      const fx = spinning(1, 0, 0);
      fx.mem.writeBytes(RAM_BASE, A.program([A.csrr(10, 0x14d)]));
      fx.hart.invalidateCode(RAM_BASE, 4);
      if (stce) fx.hart.csrHiArr[0x30a] = 1 << 31;
      if (tm) fx.hart.csrLoArr[0x306] = 2;
      fx.hart.run(1);
      return csr(fx.hart, 0x342);
    };
    expect(trial(false, true)).toBe(2n);
    expect(trial(true, false)).toBe(2n);
    expect(trial(true, true)).toBe(0n);
  });
});
