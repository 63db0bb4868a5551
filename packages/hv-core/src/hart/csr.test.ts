import { describe, expect, it } from "vitest";
import { MmioBus } from "../memory/bus.js";
import { GuestMemory } from "../memory/guest-memory.js";
import { Hart } from "./hart.js";
import * as A from "./test-asm.testing.js";
import { csr, FixedClock, makeHart, program, RAM_BASE } from "./test-asm.testing.js";

const MSTATUS = 0x300;
const FS_INITIAL = 1 << 13;
const FS_DIRTY = 3 << 13;

/** Runs `prog` from privilege `priv` (registers from `regs`); returns the fixture. */
function run(prog: A.Prog, priv = 3, regs: Record<number, bigint | number> = {}, setup?: (h: Hart) => void) {
  const fx = makeHart({ program: prog });
  for (const [r, v] of Object.entries(regs)) fx.hart.setX(Number(r), v);
  setup?.(fx.hart);
  fx.hart.setPriv(priv);
  fx.hart.run(A.count(prog));
  return fx;
}
const cause = (h: Hart) => csr(h, 0x342);

describe("CSR access control", () => {
  it("writing a read-only CSR is illegal, with the instruction in mtval", () => {
    for (const inst of [
      A.csrw(0xf14, 1),
      A.csrrsi(0, 0xf11, 1),
      A.csrrc(2, 0xc00, 1),
      A.csrrwi(0, 0xc02, 0),
    ]) {
      const fx = run([inst], 3, { 1: 1 });
      expect(cause(fx.hart)).toBe(2n);
      expect(csr(fx.hart, 0x343)).toBe(BigInt(inst));
      expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE));
    }
  });

  it("reading a read-only CSR with csrrs/csrrc and x0 or uimm 0 is allowed", () => {
    const fx = run([A.csrrs(10, 0xf14, 0), A.csrrc(11, 0xf11, 0), A.csrrsi(12, 0xc01, 0)]);
    expect(cause(fx.hart)).toBe(0n);
    expect(fx.hart.pc).toBe(RAM_BASE + 12);
  });

  it("S-mode cannot touch M-mode CSRs; U-mode cannot touch S-mode CSRs", () => {
    expect(cause(run([A.csrr(10, MSTATUS)], 1).hart)).toBe(2n);
    expect(cause(run([A.csrr(10, 0x340)], 1).hart)).toBe(2n);
    expect(cause(run([A.csrr(10, 0x100)], 0).hart)).toBe(2n);
    expect(cause(run([A.csrr(10, 0x180)], 0).hart)).toBe(2n);
    const s = run([A.csrr(10, 0x100), A.csrr(11, 0x140)], 1);
    expect(cause(s.hart)).toBe(0n);
    expect(s.hart.priv).toBe(1);
  });

  it("a CSR that does not exist is illegal", () => {
    for (const n of [0x5ff, 0x7c0, 0x3a1, 0x15d]) {
      expect(cause(run([A.csrr(10, n)]).hart)).toBe(2n);
    }
  });

  it("satp is illegal from S-mode when mstatus.TVM is set", () => {
    expect(cause(run([A.csrr(10, 0x180)], 1).hart)).toBe(0n);
    const fx = run([A.csrr(10, 0x180)], 1, {}, (h) => {
      h.mstatus |= 1 << 20;
    });
    expect(cause(fx.hart)).toBe(2n);
  });
});

describe("mstatus and sstatus", () => {
  it("only the writable mstatus bits stick; UXL/SXL read as 2 and SD follows FS", () => {
    const fx = run([A.csrw(MSTATUS, 1), A.csrr(10, MSTATUS), A.csrr(11, 0x100)], 3, { 1: -1n });
    expect(fx.hart.getXBig(10)).toBe(0x8000_000a_007e_79aan);
    expect(fx.hart.getXBig(11)).toBe(0x8000_0002_000c_6122n);
  });

  it("SD is clear unless FS is dirty", () => {
    const fx = run([A.csrw(MSTATUS, 1), A.csrr(10, MSTATUS), A.csrr(11, 0x100)], 3, { 1: FS_INITIAL });
    expect(fx.hart.getXBig(10)).toBe(0x0000_000a_0000_2000n);
    expect(fx.hart.getXBig(11)).toBe(0x0000_0002_0000_2000n);
  });

  it("sstatus writes reach only the S-visible bits", () => {
    const fx = run([A.csrw(0x100, 1), A.csrr(10, MSTATUS)], 3, { 1: -1n });
    expect(fx.hart.getXBig(10) & 0xffff_ffffn).toBe(0xc_6122n);
    expect(fx.hart.mstatus & (1 << 3)).toBe(0); // MIE untouched
  });

  it("MPP is WARL: the reserved value 2 keeps the old mode", () => {
    const fx = run([A.csrw(MSTATUS, 1), A.csrw(MSTATUS, 2), A.csrr(10, MSTATUS)], 3, {
      1: 1 << 11,
      2: 2 << 11,
    });
    expect((fx.hart.getXBig(10) >> 11n) & 3n).toBe(1n);
  });
});

describe("machine information and delegation registers", () => {
  it("misa is RV64 IMAFDC + S + U and ignores writes", () => {
    const fx = run([A.csrw(0x301, 0), A.csrr(10, 0x301)]);
    expect(fx.hart.getXBig(10)).toBe(0x8000_0000_0014_112dn);
    expect(cause(fx.hart)).toBe(0n);
  });

  it("mhartid is the hart's id", () => {
    const memory = new GuestMemory({ ramSize: 1 << 16, hartCount: 2 });
    memory.writeBytes(RAM_BASE, program([A.csrr(10, 0xf14)]));
    const hart = new Hart({ memory, bus: new MmioBus(), clock: new FixedClock(), hartId: 1 });
    hart.run(1);
    expect(hart.getX(10)).toBe(1);
  });

  it("medeleg, mideleg and mie keep only their writable bits", () => {
    const fx = run(
      [
        A.csrw(0x302, 1),
        A.csrw(0x303, 1),
        A.csrw(0x304, 1),
        A.csrr(10, 0x302),
        A.csrr(11, 0x303),
        A.csrr(12, 0x304),
      ],
      3,
      { 1: -1n },
    );
    // medeleg[11] (ecall from M) cannot be delegated.
    expect(fx.hart.getXBig(10)).toBe(0xb3ffn);
    expect(fx.hart.getXBig(11)).toBe(0x222n);
    expect(fx.hart.getXBig(12)).toBe(0xaaan);
  });

  it("sie and sip show only delegated interrupts; sip writes only SSIP", () => {
    const fx = run(
      [
        A.csrw(0x303, 1), // mideleg = SSIP | STIP
        A.csrw(0x304, 2), // mie = all
        A.csrr(10, 0x104),
        A.csrw(0x104, 0), // clearing sie leaves M-level enables
        A.csrr(11, 0x304),
        A.csrw(0x144, 2), // sip <- all ones: only SSIP sticks
        A.csrr(12, 0x344),
        A.csrr(13, 0x144),
      ],
      3,
      { 1: 0x22, 2: 0xaaa },
    );
    expect(fx.hart.getXBig(10)).toBe(0x22n);
    expect(fx.hart.getXBig(11)).toBe(0xa88n);
    expect(fx.hart.getXBig(12)).toBe(0x2n);
    expect(fx.hart.getXBig(13)).toBe(0x2n);
  });

  it("mip: SSIP/STIP/SEIP are writable, M-level bits are not", () => {
    const fx = run([A.csrw(0x344, 1), A.csrr(10, 0x344)], 3, { 1: -1n });
    expect(fx.hart.getXBig(10)).toBe(0x222n);
  });

  it("mepc and sepc clear bit 0; bit 1 stays (C is on)", () => {
    const fx = run([A.csrw(0x341, 1), A.csrw(0x141, 1), A.csrr(10, 0x341), A.csrr(11, 0x141)], 3, {
      1: 0xffff_ffff_8000_0003n,
    });
    expect(fx.hart.getXBig(10)).toBe(0xffff_ffff_8000_0002n);
    expect(fx.hart.getXBig(11)).toBe(0xffff_ffff_8000_0002n);
  });

  it("mtvec/stvec accept direct and vectored modes and ignore reserved modes", () => {
    const base = BigInt(RAM_BASE + 0x100);
    const fx = run(
      [
        A.csrw(0x305, 1),
        A.csrr(10, 0x305),
        A.csrw(0x305, 2),
        A.csrr(11, 0x305),
        A.csrw(0x105, 3),
        A.csrr(12, 0x105),
      ],
      3,
      { 1: base | 1n, 2: base | 2n, 3: base | 3n },
    );
    expect(fx.hart.getXBig(10)).toBe(base | 1n);
    expect(fx.hart.getXBig(11)).toBe(base | 1n);
    expect(fx.hart.getXBig(12)).toBe(BigInt(A.S_TRAP));
  });

  it("satp ignores a write with an unsupported mode", () => {
    const fx = run([A.csrw(0x180, 1), A.csrr(10, 0x180)], 3, { 1: 10n << 60n });
    expect(fx.hart.getXBig(10)).toBe(0n);
    const ok = run([A.csrw(0x180, 1), A.csrr(10, 0x180)], 3, { 1: (8n << 60n) | 0x1234n });
    expect(ok.hart.getXBig(10)).toBe((8n << 60n) | 0x1234n);
  });
});

describe("counters", () => {
  it("instret counts the instructions retired before the reading one", () => {
    const fx = run([
      A.nop(),
      A.nop(),
      A.nop(),
      A.csrr(10, 0xc02),
      A.csrr(11, 0xb02),
      A.nop(),
      A.csrr(12, 0xc00),
    ]);
    expect(fx.hart.getX(10)).toBe(3);
    expect(fx.hart.getX(11)).toBe(4);
    expect(fx.hart.getX(12)).toBe(6);
  });

  it("a write to minstret replaces that instruction's increment", () => {
    const fx = run([A.nop(), A.csrw(0xb02, 1), A.nop(), A.csrr(10, 0xb02)], 3, { 1: 100 });
    expect(fx.hart.getX(10)).toBe(101);
  });

  it("time reads the clock", () => {
    const fx = makeHart({ program: [A.csrr(10, 0xc01)] });
    fx.clock.ticks = 0x1_2345_6789;
    fx.hart.run(1);
    expect(fx.hart.getXBig(10)).toBe(0x1_2345_6789n);
  });

  it("S-mode needs mcounteren, U-mode needs mcounteren and scounteren", () => {
    const counters = [0xc00, 0xc01, 0xc02, 0xc03];
    const enable = (m: number, s: number) => (h: Hart) => {
      h.csrLoArr[0x306] = m;
      h.csrLoArr[0x106] = s;
    };
    for (const [i, n] of counters.entries()) {
      const bit = 1 << i;
      expect(cause(run([A.csrr(10, n)], 1).hart)).toBe(2n);
      expect(cause(run([A.csrr(10, n)], 1, {}, enable(bit, 0)).hart)).toBe(0n);
      expect(cause(run([A.csrr(10, n)], 0, {}, enable(bit, 0)).hart)).toBe(2n);
      expect(cause(run([A.csrr(10, n)], 0, {}, enable(0, bit)).hart)).toBe(2n);
      const both = run([A.csrr(10, n)], 0, {}, enable(bit, bit));
      expect(cause(both.hart)).toBe(0n);
      // Another counter's enable bit does not help.
      expect(cause(run([A.csrr(10, n)], 1, {}, enable(~bit, 0)).hart)).toBe(2n);
    }
  });
});

describe("floating-point CSRs", () => {
  it("fcsr is frm << 5 | fflags, with the views kept in sync", () => {
    const fx = run(
      [A.csrw(0x003, 1), A.csrr(10, 0x002), A.csrr(11, 0x001), A.csrwi(0x001, 0), A.csrr(12, 0x003)],
      3,
      { 1: 0x1ff },
      (h) => {
        h.mstatus |= FS_INITIAL;
      },
    );
    expect(fx.hart.getX(10)).toBe(7);
    expect(fx.hart.getX(11)).toBe(0x1f);
    expect(fx.hart.getX(12)).toBe(0xe0);
    expect(fx.hart.mstatus & FS_DIRTY).toBe(FS_DIRTY);
  });

  it("frm and fflags writes keep only their field widths", () => {
    const fx = run([A.csrw(0x002, 1), A.csrw(0x001, 1), A.csrr(10, 0x003)], 3, { 1: 0xfff }, (h) => {
      h.mstatus |= FS_INITIAL;
    });
    expect(fx.hart.getX(10)).toBe(0xff);
  });

  it("with FS = 0 every FP CSR access is illegal", () => {
    for (const n of [0x001, 0x002, 0x003]) {
      const fx = run([A.csrr(10, n)]);
      expect(cause(fx.hart)).toBe(2n);
    }
  });
});
