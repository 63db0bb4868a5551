import { describe, expect, it } from "vitest";
import type { Hart } from "./hart.js";
import * as A from "./test-asm.testing.js";
import { csr, makeHart, RAM_BASE, read64, write64 } from "./test-asm.testing.js";

const FS_INITIAL = 1 << 13;
const FS_DIRTY = 3 << 13;
const NV = 16;
const DZ = 8;
const OF = 4;
const NX = 1;
const CANON_D = 0x7ff8_0000_0000_0000n;
const DATA = RAM_BASE + 0x6000;

const dv = new DataView(new ArrayBuffer(8));
const dbits = (x: number): bigint => {
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true);
};
const sbits = (x: number): number => {
  dv.setFloat32(0, x, true);
  return dv.getUint32(0, true);
};
/** Sets f[i] to a binary64 value or raw 64 bits. */
function setD(h: Hart, i: number, v: number | bigint): void {
  const b = typeof v === "bigint" ? v : dbits(v);
  h.f[2 * i] = Number(b & 0xffff_ffffn) | 0;
  h.f[2 * i + 1] = Number(b >> 32n) | 0;
}
/** Sets f[i] to a NaN-boxed binary32 value (number) or raw 32 bits (bigint). */
function setS(h: Hart, i: number, v: number | bigint): void {
  h.f[2 * i] = typeof v === "bigint" ? Number(v) | 0 : sbits(v) | 0;
  h.f[2 * i + 1] = -1;
}
const getD = (h: Hart, i: number): bigint => (BigInt(h.f[2 * i + 1] >>> 0) << 32n) | BigInt(h.f[2 * i] >>> 0);

function fp(prog: A.Prog, setup: (h: Hart) => void = () => {}, mstatus = FS_INITIAL) {
  const fx = makeHart({ program: prog });
  fx.hart.mstatus = mstatus;
  setup(fx.hart);
  fx.hart.run(A.count(prog));
  return fx.hart;
}

describe("NaN boxing", () => {
  it("an unboxed single operand reads as the canonical NaN", () => {
    const h = fp(
      [A.fadd_s(3, 1, 2, A.RNE), A.fsgnj_s(4, 1, 2), A.fclass_s(10, 1), A.fcvt_d_s(5, 1)],
      (hh) => {
        setD(hh, 1, 1.0); // a double in f1: not a valid binary32
        setS(hh, 2, -1.0);
      },
    );
    expect(getD(h, 3)).toBe(0xffff_ffff_7fc0_0000n);
    expect(getD(h, 4)).toBe(0xffff_ffff_ffc0_0000n); // canonical NaN's payload, sign from f2
    expect(h.getX(10)).toBe(1 << 9); // quiet NaN
    expect(getD(h, 5)).toBe(CANON_D);
    expect(h.fflags).toBe(0);
  });

  it("single results, flw and fmv.w.x are boxed; fmv.x.w and fsw use the raw low bits", () => {
    const h = fp(
      [A.flw(1, 11, 0), A.fmv_w_x(2, 12), A.fmv_x_w(13, 3), A.fsw(3, 11, 8), A.fmv_x_w(14, 2)],
      (hh) => {
        hh.setX(11, DATA);
        hh.setX(12, 0x1234_5678_8000_0000n);
        setD(hh, 3, 0x0123_4567_89ab_cdefn);
        write64(hh.mem, DATA, 0xdead_beef_3f80_0000n);
      },
    );
    expect(getD(h, 1)).toBe(0xffff_ffff_3f80_0000n);
    expect(getD(h, 2)).toBe(0xffff_ffff_8000_0000n);
    expect(h.getXBig(13)).toBe(0xffff_ffff_89ab_cdefn);
    expect(read64(h.mem, DATA + 8)).toBe(0x89ab_cdefn);
    expect(h.getXBig(14)).toBe(0xffff_ffff_8000_0000n);
  });
});

describe("sign injection, moves and classification", () => {
  it("fsgnj/fsgnjn/fsgnjx on doubles", () => {
    const h = fp(
      [A.fsgnj_d(3, 1, 2), A.fsgnjn_d(4, 1, 2), A.fsgnjx_d(5, 1, 2), A.fsgnjx_d(6, 2, 2)],
      (hh) => {
        setD(hh, 1, 2.5);
        setD(hh, 2, -0.0);
      },
    );
    expect([3, 4, 5, 6].map((i) => getD(h, i))).toEqual([dbits(-2.5), dbits(2.5), dbits(-2.5), dbits(0)]);
  });

  it("fsgnj on singles leaves the NaN box intact", () => {
    const h = fp([A.fsgnjn_s(3, 1, 1)], (hh) => setS(hh, 1, 3.0));
    expect(getD(h, 3)).toBe(0xffff_ffff_0000_0000n | BigInt(sbits(-3.0)));
  });

  it("fmv.x.d and fmv.d.x move all 64 bits", () => {
    const h = fp([A.fmv_x_d(10, 1), A.fmv_d_x(2, 11)], (hh) => {
      setD(hh, 1, 0xfff0_0000_0000_0001n);
      hh.setX(11, 0x8000_0000_0000_0000n);
    });
    expect(h.getXBig(10)).toBe(0xfff0_0000_0000_0001n);
    expect(getD(h, 2)).toBe(0x8000_0000_0000_0000n);
  });

  it("fclass.d covers all ten classes", () => {
    const values: bigint[] = [
      dbits(-Infinity),
      dbits(-1.5),
      0x800f_ffff_ffff_ffffn,
      dbits(-0),
      0n,
      1n,
      dbits(1e300),
      dbits(Infinity),
      0x7ff0_0000_0000_0001n,
      CANON_D,
    ];
    const prog = values.map((_, i) => A.fclass_d(10 + i, i));
    const h = fp(prog, (hh) => {
      for (const [i, v] of values.entries()) setD(hh, i, v);
    });
    expect(values.map((_, i) => h.getX(10 + i))).toEqual(values.map((_, i) => 1 << i));
  });
});

describe("rounding modes", () => {
  const cvt = (x: number, rm: number, frm = 0) =>
    fp([A.fcvt_w_d(10, 1, rm)], (hh) => {
      setD(hh, 1, x);
      hh.frm = frm;
    });

  it("static rounding modes on fcvt.w.d", () => {
    const results = [A.RNE, A.RTZ, A.RDN, A.RUP, A.RMM].map((rm) => [
      cvt(2.5, rm).getX(10),
      cvt(-2.5, rm).getX(10),
    ]);
    expect(results).toEqual([
      [2, -2],
      [2, -2],
      [2, -3],
      [3, -2],
      [3, -3],
    ]);
    expect(cvt(2.5, A.RNE).fflags).toBe(NX);
  });

  it("rm = dyn uses frm", () => {
    const results = [0, 1, 2, 3, 4].map((frm) => [
      cvt(2.5, A.DYN, frm).getX(10),
      cvt(-2.5, A.DYN, frm).getX(10),
    ]);
    expect(results).toEqual([
      [2, -2],
      [2, -2],
      [2, -3],
      [3, -2],
      [3, -3],
    ]);
  });

  it("rm 5 and 6, and dyn with frm >= 5, are illegal", () => {
    for (const [rm, frm] of [
      [5, 0],
      [6, 0],
      [A.DYN, 5],
      [A.DYN, 6],
      [A.DYN, 7],
    ]) {
      const inst = A.fadd_d(3, 1, 2, rm);
      const h = fp([inst], (hh) => {
        hh.frm = frm;
      });
      expect({ rm, frm, cause: csr(h, 0x342), tval: csr(h, 0x343) }).toEqual({
        rm,
        frm,
        cause: 2n,
        tval: BigInt(inst),
      });
    }
  });

  it("ops without a rounding mode ignore an invalid frm", () => {
    const h = fp([A.fsgnj_d(3, 1, 1), A.fmin_d(4, 1, 1), A.feq_d(10, 1, 1)], (hh) => {
      hh.frm = 7;
      setD(hh, 1, 1.0);
    });
    expect(csr(h, 0x342)).toBe(0n);
    expect(h.getX(10)).toBe(1);
  });

  it("fadd.s rounds by the selected mode", () => {
    // 1 + 2^-24 is a tie between 1 and 1 + 2^-23
    const add = (rm: number) =>
      fp([A.fadd_s(3, 1, 2, rm)], (hh) => {
        setS(hh, 1, 1);
        setS(hh, 2, 2 ** -24);
      });
    expect(add(A.RNE).f[6] >>> 0).toBe(sbits(1));
    expect(add(A.RUP).f[6] >>> 0).toBe(sbits(1 + 2 ** -23));
    expect(add(A.RMM).f[6] >>> 0).toBe(sbits(1 + 2 ** -23));
    expect(add(A.RTZ).fflags).toBe(NX);
  });
});

describe("arithmetic, conversions and flags", () => {
  it("flags accrue across instructions until fcsr is written", () => {
    const h = fp(
      [
        A.fdiv_d(3, 1, 0),
        A.csrr(10, 0x001),
        A.fdiv_d(4, 1, 2),
        A.csrr(11, 0x001),
        A.fsqrt_d(5, 6),
        A.csrr(12, 0x001),
      ],
      (hh) => {
        setD(hh, 0, 0);
        setD(hh, 1, 1);
        setD(hh, 2, 3);
        setD(hh, 6, -1);
      },
    );
    expect([h.getX(10), h.getX(11), h.getX(12)]).toEqual([DZ, DZ | NX, DZ | NX | NV]);
    expect(getD(h, 3)).toBe(dbits(Infinity));
    expect(getD(h, 5)).toBe(CANON_D);
  });

  it("fused multiply-add variants", () => {
    const h = fp(
      [
        A.fmadd_d(4, 1, 2, 3),
        A.fmsub_d(5, 1, 2, 3),
        A.fnmsub_d(6, 1, 2, 3),
        A.fnmadd_d(7, 1, 2, 3),
        A.fmadd_s(8, 9, 10, 11),
      ],
      (hh) => {
        setD(hh, 1, 2);
        setD(hh, 2, 3);
        setD(hh, 3, 1);
        setS(hh, 9, 1.5);
        setS(hh, 10, 4);
        setS(hh, 11, -1);
      },
    );
    expect([4, 5, 6, 7].map((i) => getD(h, i))).toEqual([dbits(7), dbits(5), dbits(-5), dbits(-7)]);
    expect(h.f[16] >>> 0).toBe(sbits(5));
  });

  it("fmin/fmax treat NaN and signed zero per the spec", () => {
    const h = fp(
      [A.fmin_d(3, 1, 2), A.fmax_d(4, 5, 2), A.fmin_d(6, 5, 5), A.fmin_d(7, 8, 9), A.fmax_d(10, 8, 9)],
      (hh) => {
        setD(hh, 1, CANON_D);
        setD(hh, 2, 1);
        setD(hh, 5, 0x7ff0_0000_0000_0001n); // signaling NaN
        setD(hh, 8, -0);
        setD(hh, 9, 0);
      },
    );
    expect(getD(h, 3)).toBe(dbits(1));
    expect(getD(h, 4)).toBe(dbits(1));
    expect(getD(h, 6)).toBe(CANON_D);
    expect(getD(h, 7)).toBe(dbits(-0));
    expect(getD(h, 10)).toBe(dbits(0));
    expect(h.fflags).toBe(NV);
  });

  it("feq is quiet, flt and fle signal on a quiet NaN", () => {
    const quiet = fp([A.feq_d(10, 1, 2)], (hh) => setD(hh, 1, CANON_D));
    expect(quiet.getX(10)).toBe(0);
    expect(quiet.fflags).toBe(0);
    const sig = fp([A.flt_d(10, 1, 2), A.fle_s(11, 3, 3)], (hh) => {
      setD(hh, 1, CANON_D);
      setS(hh, 3, 1);
    });
    expect(sig.getX(10)).toBe(0);
    expect(sig.getX(11)).toBe(1);
    expect(sig.fflags).toBe(NV);
  });

  it("out-of-range conversions saturate and raise NV", () => {
    const h = fp(
      [
        A.fcvt_l_d(10, 1, A.RTZ),
        A.fcvt_lu_d(11, 2, A.RTZ),
        A.fcvt_w_d(12, 3, A.RTZ),
        A.fcvt_wu_d(13, 1, A.RTZ),
      ],
      (hh) => {
        setD(hh, 1, 2 ** 63);
        setD(hh, 2, -1);
        setD(hh, 3, CANON_D);
      },
    );
    expect(h.getXBig(10)).toBe(0x7fff_ffff_ffff_ffffn);
    expect(h.getXBig(11)).toBe(0n);
    expect(h.getXBig(12)).toBe(0x7fff_ffffn);
    expect(h.getXBig(13)).toBe(0xffff_ffff_ffff_ffffn); // 0xffff_ffff sign-extended
    expect(h.fflags).toBe(NV);
  });

  it("integer to FP conversions", () => {
    const h = fp(
      [
        A.fcvt_d_lu(1, 10, A.RNE),
        A.fcvt_d_l(2, 11, A.RNE),
        A.fcvt_s_w(3, 12, A.RNE),
        A.fcvt_d_wu(4, 12, A.RNE),
      ],
      (hh) => {
        hh.setX(10, -1n);
        hh.setX(11, -3n);
        hh.setX(12, 0xffff_ffffn);
      },
    );
    expect(getD(h, 1)).toBe(dbits(2 ** 64));
    expect(getD(h, 2)).toBe(dbits(-3));
    expect(getD(h, 3)).toBe(0xffff_ffff_0000_0000n | BigInt(sbits(-1)));
    expect(getD(h, 4)).toBe(dbits(2 ** 32 - 1));
    expect(h.fflags).toBe(NX);
  });

  it("fcvt.s.d overflows to infinity with OF|NX", () => {
    const h = fp([A.fcvt_s_d(2, 1, A.RNE)], (hh) => setD(hh, 1, 1e300));
    expect(h.f[4] >>> 0).toBe(0x7f80_0000);
    expect(h.fflags).toBe(OF | NX);
  });

  it("fld/fsd round-trip 64 bits, misaligned included", () => {
    const h = fp([A.fld(1, 10, 3), A.fsd(1, 10, 16)], (hh) => {
      hh.setX(10, DATA);
      write64(hh.mem, DATA, 0x1122_3344_5566_7788n);
      write64(hh.mem, DATA + 8, 0x99aa_bbcc_ddee_ff00n);
    });
    expect(getD(h, 1)).toBe(0xeeff_0011_2233_4455n);
    expect(read64(h.mem, DATA + 16)).toBe(0xeeff_0011_2233_4455n);
  });
});

describe("FS tracking", () => {
  it("writing an FP register or flags makes FS dirty and sets SD", () => {
    const h = fp([A.fadd_d(3, 1, 2, A.RNE), A.csrr(10, 0x300)], (hh) => {
      setD(hh, 1, 1);
      setD(hh, 2, 2);
    });
    expect(h.mstatus & FS_DIRTY).toBe(FS_DIRTY);
    expect(h.getXBig(10) >> 63n).toBe(1n);
  });

  it("ops that only write an integer register and raise no flag keep FS clean", () => {
    const h = fp([A.fmv_x_d(10, 1), A.feq_d(11, 1, 1), A.fsd(1, 12, 0), A.fclass_d(13, 1)], (hh) => {
      setD(hh, 1, 1);
      hh.setX(12, DATA);
    });
    expect(h.mstatus & FS_DIRTY).toBe(FS_INITIAL);
  });

  it("a flag raised by a compare makes FS dirty", () => {
    const h = fp([A.flt_d(10, 1, 1)], (hh) => setD(hh, 1, CANON_D));
    expect(h.mstatus & FS_DIRTY).toBe(FS_DIRTY);
  });

  it("with FS = 0, FP loads, stores and moves are illegal", () => {
    for (const inst of [A.flw(1, 0, 0), A.fsd(1, 10, 0), A.fmv_d_x(1, 0), A.fmv_x_w(10, 1)]) {
      const h = fp([inst], (hh) => hh.setX(10, DATA), 0);
      expect(csr(h, 0x342)).toBe(2n);
      expect(csr(h, 0x343)).toBe(BigInt(inst));
    }
  });
});
