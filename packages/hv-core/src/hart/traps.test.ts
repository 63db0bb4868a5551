import { describe, expect, it } from "vitest";
import type { Hart } from "./hart.js";
import * as A from "./test-asm.testing.js";
import { csr, M_TRAP, makeHart, RAM_BASE, S_TRAP } from "./test-asm.testing.js";

const MIE = 1 << 3;
const MPIE = 1 << 7;
const SIE = 1 << 1;
const SPIE = 1 << 5;
const SPP = 1 << 8;
const MPP_SHIFT = 11;
const MPRV = 1 << 17;
const TW = 1 << 21;
const TSR = 1 << 22;
const TVM = 1 << 20;

interface TrapState {
  priv: number;
  pc: number;
  cause: bigint;
  epc: bigint;
  tval: bigint;
}
const mState = (h: Hart): TrapState => ({
  priv: h.priv,
  pc: h.pc,
  cause: csr(h, 0x342),
  epc: csr(h, 0x341),
  tval: csr(h, 0x343),
});
const sState = (h: Hart): TrapState => ({
  priv: h.priv,
  pc: h.pc,
  cause: csr(h, 0x142),
  epc: csr(h, 0x141),
  tval: csr(h, 0x143),
});

/** Runs `prog` from `priv` for `steps` instructions (default: one per instruction). */
function trapRun(prog: A.Prog, priv: number, setup?: (h: Hart) => void, steps = A.count(prog)) {
  const fx = makeHart({ program: prog });
  setup?.(fx.hart);
  fx.hart.setPriv(priv);
  fx.hart.run(steps);
  return fx.hart;
}

describe("synchronous exceptions into M-mode", () => {
  const at = (i: number) => BigInt(RAM_BASE + 4 * i);
  const cases: [string, A.Prog, (h: Hart) => void, Omit<TrapState, "priv" | "pc">][] = [
    [
      "fetch access fault (1)",
      [A.jalr(0, 10, 0)],
      (h) => h.setX(10, 0x1000),
      { cause: 1n, epc: 0x1000n, tval: 0x1000n },
    ],
    ["illegal instruction (2)", [A.nop(), 0x0000_000b], () => {}, { cause: 2n, epc: at(1), tval: 0x0bn }],
    ["breakpoint (3)", [A.nop(), A.ebreak()], () => {}, { cause: 3n, epc: at(1), tval: 0n }],
    [
      "load address misaligned (4, from lr.d)",
      [A.lr_d(11, 10)],
      (h) => h.setX(10, RAM_BASE + 0x2004),
      { cause: 4n, epc: at(0), tval: BigInt(RAM_BASE + 0x2004) },
    ],
    [
      "load access fault (5)",
      [A.lw(11, 10, 4)],
      (h) => h.setX(10, 0x10),
      { cause: 5n, epc: at(0), tval: 0x14n },
    ],
    [
      "store/AMO address misaligned (6)",
      [A.amoswap_d(11, 12, 10)],
      (h) => h.setX(10, RAM_BASE + 0x2001),
      { cause: 6n, epc: at(0), tval: BigInt(RAM_BASE + 0x2001) },
    ],
    [
      "store access fault (7)",
      [A.sb(11, 10, -1)],
      (h) => h.setX(10, 0x10),
      { cause: 7n, epc: at(0), tval: 0xfn },
    ],
  ];
  for (const [name, prog, setup, want] of cases) {
    it(name, () => {
      // One step per instruction; the fetch fault needs one more for the fetch at the target.
      const steps = A.count(prog) + (want.cause === 1n ? 1 : 0);
      const h = trapRun(
        prog,
        3,
        (hh) => {
          setup(hh);
          hh.mstatus |= MIE;
        },
        steps,
      );
      expect(mState(h)).toEqual({ priv: 3, pc: M_TRAP, ...want });
      expect(h.mstatus & MIE).toBe(0);
      expect(h.mstatus & MPIE).toBe(MPIE);
      expect((h.mstatus >> MPP_SHIFT) & 3).toBe(3);
    });
  }

  it("ecall from U, S and M gives causes 8, 9 and 11; MPP records the mode", () => {
    for (const [priv, code] of [
      [0, 8n],
      [1, 9n],
      [3, 11n],
    ] as const) {
      const h = trapRun([A.ecall()], priv);
      expect(mState(h)).toEqual({ priv: 3, pc: M_TRAP, cause: code, epc: BigInt(RAM_BASE), tval: 0n });
      expect((h.mstatus >> MPP_SHIFT) & 3).toBe(priv);
      expect(h.mstatus & MPIE).toBe(0);
    }
  });

  it("a trapping instruction does not retire and the onTrap hook sees it", () => {
    const seen: [number, boolean][] = [];
    const fx = makeHart({ program: [A.nop(), A.ebreak()] });
    fx.hart.onTrap = (_h, c, irq) => seen.push([c, irq]);
    // The handler address is unmapped, so nothing retires after the ebreak.
    fx.hart.csrLoArr[0x305] = 0x1000;
    expect(fx.hart.run(2)).toBe(2);
    expect(seen).toEqual([
      [3, false],
      [1, false],
    ]);
    expect(fx.hart.instret).toBe(1);
  });

  it("an FP instruction with FS = 0 is illegal with its bits in mtval", () => {
    const inst = A.fadd_d(1, 2, 3);
    const h = trapRun([inst], 3);
    expect(mState(h)).toEqual({ priv: 3, pc: M_TRAP, cause: 2n, epc: BigInt(RAM_BASE), tval: BigInt(inst) });
  });
});

describe("delegation to S-mode", () => {
  it("a delegated exception from U goes to stvec with scause/sepc/stval, SPP = U", () => {
    const h = trapRun([A.lw(11, 10, 0)], 0, (hh) => {
      hh.medeleg = 1 << 5;
      hh.setX(10, 0x40);
      hh.mstatus |= SIE | MIE;
    });
    expect(sState(h)).toEqual({ priv: 1, pc: S_TRAP, cause: 5n, epc: BigInt(RAM_BASE), tval: 0x40n });
    expect(h.mstatus & SPP).toBe(0);
    expect(h.mstatus & SPIE).toBe(SPIE);
    expect(h.mstatus & SIE).toBe(0);
    expect(h.mstatus & MIE).toBe(MIE); // M state untouched
    expect(csr(h, 0x342)).toBe(0n);
  });

  it("a delegated exception from S sets SPP = S and SPIE from SIE", () => {
    const h = trapRun([A.ecall()], 1, (hh) => {
      hh.medeleg = 1 << 9;
    });
    expect(sState(h)).toEqual({ priv: 1, pc: S_TRAP, cause: 9n, epc: BigInt(RAM_BASE), tval: 0n });
    expect(h.mstatus & SPP).toBe(SPP);
    expect(h.mstatus & SPIE).toBe(0);
  });

  it("exceptions in M-mode are never delegated", () => {
    const h = trapRun([A.ebreak()], 3, (hh) => {
      hh.medeleg = 0xb3ff;
    });
    expect(mState(h).cause).toBe(3n);
    expect(h.pc).toBe(M_TRAP);
    expect(csr(h, 0x142)).toBe(0n);
  });

  it("an undelegated exception from S goes to M", () => {
    const h = trapRun([A.ebreak()], 1, (hh) => {
      hh.medeleg = 1 << 2;
    });
    expect(mState(h)).toEqual({ priv: 3, pc: M_TRAP, cause: 3n, epc: BigInt(RAM_BASE), tval: 0n });
    expect((h.mstatus >> MPP_SHIFT) & 3).toBe(1);
  });
});

describe("trap vectors", () => {
  it("vectored mtvec sends synchronous exceptions to the base", () => {
    const h = trapRun([A.ecall()], 3, (hh) => {
      hh.csrLoArr[0x305] = (RAM_BASE + 0x400) | 1;
    });
    expect(h.pc).toBe(RAM_BASE + 0x400);
  });

  it("vectored stvec sends synchronous exceptions to the base", () => {
    const h = trapRun([A.ecall()], 0, (hh) => {
      hh.csrLoArr[0x105] = (RAM_BASE + 0x800) | 1;
      hh.medeleg = 1 << 8;
    });
    expect(h.pc).toBe(RAM_BASE + 0x800);
  });
});

describe("mret and sret", () => {
  it("mret restores MIE from MPIE, sets MPIE, drops to MPP and clears MPP", () => {
    const h = trapRun([A.mret()], 3, (hh) => {
      hh.csrLoArr[0x341] = RAM_BASE + 0x100;
      hh.mstatus = MPIE | (1 << MPP_SHIFT) | MPRV;
    });
    expect(h.priv).toBe(1);
    expect(h.pc).toBe(RAM_BASE + 0x100);
    expect(h.mstatus & MIE).toBe(MIE);
    expect(h.mstatus & MPIE).toBe(MPIE);
    expect((h.mstatus >> MPP_SHIFT) & 3).toBe(0);
    expect(h.mstatus & MPRV).toBe(0); // leaving M clears MPRV
  });

  it("mret to M keeps MPRV", () => {
    const h = trapRun([A.mret()], 3, (hh) => {
      hh.csrLoArr[0x341] = RAM_BASE + 0x100;
      hh.mstatus = (3 << MPP_SHIFT) | MPRV;
    });
    expect(h.priv).toBe(3);
    expect(h.mstatus & MPRV).toBe(MPRV);
    expect(h.mstatus & MIE).toBe(0);
  });

  it("sret restores SIE from SPIE and returns to SPP", () => {
    const h = trapRun([A.sret()], 1, (hh) => {
      hh.csrLoArr[0x141] = RAM_BASE + 0x200;
      hh.mstatus = SPIE;
    });
    expect(h.priv).toBe(0);
    expect(h.pc).toBe(RAM_BASE + 0x200);
    expect(h.mstatus & SIE).toBe(SIE);
    expect(h.mstatus & SPIE).toBe(SPIE);
    const back = trapRun([A.sret()], 3, (hh) => {
      hh.csrLoArr[0x141] = RAM_BASE + 0x200;
      hh.mstatus = SPP;
    });
    expect(back.priv).toBe(1);
    expect(back.mstatus & SPP).toBe(0);
    expect(back.mstatus & SIE).toBe(0);
  });

  it("a round trip: ecall from U to M and mret back resumes after the ecall", () => {
    const handler = RAM_BASE + 0x400;
    const fx = makeHart({ program: [A.ecall(), A.addi(10, 0, 1)] });
    fx.mem.writeBytes(handler, A.program([A.csrr(5, 0x341), A.addi(5, 5, 4), A.csrw(0x341, 5), A.mret()]));
    fx.hart.csrLoArr[0x305] = handler;
    fx.hart.setPriv(0);
    fx.hart.run(6);
    expect(fx.hart.priv).toBe(0);
    expect(fx.hart.getX(10)).toBe(1);
    expect(fx.hart.pc).toBe(RAM_BASE + 8);
  });

  const illegal = (inst: number, priv: number, status = 0) => {
    const h = trapRun([inst], priv, (hh) => {
      hh.mstatus = status;
    });
    return mState(h);
  };
  const ill = (inst: number) => ({
    priv: 3,
    pc: M_TRAP,
    cause: 2n,
    epc: BigInt(RAM_BASE),
    tval: BigInt(inst),
  });

  it("mret below M, sret in U and sret with TSR in S are illegal", () => {
    expect(illegal(A.mret(), 1)).toEqual(ill(A.mret()));
    expect(illegal(A.mret(), 0)).toEqual(ill(A.mret()));
    expect(illegal(A.sret(), 0)).toEqual(ill(A.sret()));
    expect(illegal(A.sret(), 1, TSR)).toEqual(ill(A.sret()));
    // TSR does not affect M-mode.
    expect(illegal(A.sret(), 3, TSR).cause).toBe(0n);
  });

  it("wfi is illegal in U, and in S when TW is set", () => {
    expect(illegal(A.wfi(), 0)).toEqual(ill(A.wfi()));
    expect(illegal(A.wfi(), 1, TW)).toEqual(ill(A.wfi()));
    const h = trapRun([A.wfi()], 1);
    expect(csr(h, 0x342)).toBe(0n);
    expect(h.waiting).toBe(true);
    expect(h.pc).toBe(RAM_BASE + 4);
  });

  it("sfence.vma is illegal in U, and in S when TVM is set", () => {
    expect(illegal(A.sfence_vma(), 0)).toEqual(ill(A.sfence_vma()));
    expect(illegal(A.sfence_vma(), 1, TVM)).toEqual(ill(A.sfence_vma()));
    expect(illegal(A.sfence_vma(), 1).cause).toBe(0n);
  });
});

describe("the ecall handler", () => {
  it("serves ecall from S in the host and resumes after it", () => {
    const calls: number[] = [];
    const fx = makeHart({
      program: [A.addi(17, 0, 0x10), A.ecall(), A.addi(11, 10, 1)],
      ecallHandler: (h) => {
        calls.push(h.getX(17));
        h.setX(10, 41);
      },
    });
    fx.hart.setPriv(1);
    fx.hart.run(3);
    expect(calls).toEqual([0x10]);
    expect(fx.hart.getX(11)).toBe(42);
    expect(fx.hart.priv).toBe(1);
    expect(csr(fx.hart, 0x342)).toBe(0n);
    expect(fx.hart.instret).toBe(3);
  });

  it("may redirect the hart by setting pc and returning true", () => {
    const fx = makeHart({
      program: [A.ecall(), A.addi(10, 0, 1)],
      ecallHandler: (h) => {
        h.pcLo = (RAM_BASE + 0x100) | 0;
        return true;
      },
    });
    fx.mem.writeBytes(RAM_BASE + 0x100, A.program([A.addi(11, 0, 2)]));
    fx.hart.setPriv(1);
    fx.hart.run(2);
    expect(fx.hart.getX(10)).toBe(0);
    expect(fx.hart.getX(11)).toBe(2);
  });

  it("is not used for ecall from U or M", () => {
    for (const [priv, code] of [
      [0, 8n],
      [3, 11n],
    ] as const) {
      let called = false;
      const fx = makeHart({
        program: [A.ecall()],
        ecallHandler: () => {
          called = true;
        },
      });
      fx.hart.setPriv(priv);
      fx.hart.run(1);
      expect(called).toBe(false);
      expect(csr(fx.hart, 0x342)).toBe(code);
    }
  });
});

describe("reserved 32-bit encodings", () => {
  const cases: [string, number][] = [
    ["all ones", 0xffff_ffff],
    ["custom-0 opcode", 0x0000_000b],
    ["jalr with funct3 = 1", A.jalr(1, 2, 0) | (1 << 12)],
    ["branch funct3 = 2", A.beq(1, 2, 8) | (2 << 12)],
    ["load funct3 = 7", A.ld(1, 2, 0) | (7 << 12)],
    ["store funct3 = 4", A.sd(1, 2, 0) | (4 << 12)],
    ["AMO with funct3 = 1", A.amoadd_w(1, 2, 3) ^ (3 << 12)],
    ["lr.w with rs2 != 0", A.lr_w(1, 2) | (5 << 20)],
    ["AMO funct5 = 5", A.amoadd_d(1, 2, 3) | (5 << 27)],
    ["sub with funct3 = 1", A.sub(1, 2, 3) | (1 << 12)],
    ["srliw with shamt[5] set", A.srliw(1, 2, 0) | (1 << 25)],
    ["ecall with rd != 0", A.ecall() | (1 << 7)],
    ["mret with rs1 != 0", A.mret() | (1 << 15)],
    ["SYSTEM funct3 = 4", 0x0000_4073],
    ["fsqrt.d with rs2 != 0", A.fsqrt_d(1, 2) | (1 << 20)],
    ["fadd.h (fmt = 2)", A.fadd_s(1, 2, 3) | (2 << 25)],
    ["fcvt.s.d with rs2 = 2", A.fcvt_s_d(1, 2) ^ (3 << 20)],
    ["fmv.x.w with funct3 = 2", A.fmv_x_w(1, 2) | (2 << 12)],
    ["flh (funct3 = 1)", A.flw(1, 2, 0) ^ (3 << 12)],
  ];
  for (const [name, inst] of cases) {
    it(`${name} is illegal with the bits in mtval`, () => {
      const h = trapRun([inst >>> 0], 3, (hh) => {
        hh.mstatus = 1 << 13; // FS on, so FP encodings are judged by their fields
      });
      expect(mState(h)).toEqual({
        priv: 3,
        pc: M_TRAP,
        cause: 2n,
        epc: BigInt(RAM_BASE),
        tval: BigInt(inst >>> 0),
      });
      expect(h.instret).toBe(0);
    });
  }
});
