import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Fpu } from "./fpu.js";

// Replays vectors/vectors.txt (generated under qemu-riscv64 by vectors/generate.sh).

type Runner = (f: Fpu, v: string[], rm: number) => bigint;

const s = (h: string): number => Number.parseInt(h, 16) >>> 0;
const lo = (h: string): number => Number.parseInt(h.padStart(16, "0").slice(8), 16) | 0;
const hi = (h: string): number => Number.parseInt(h.padStart(16, "0").slice(0, 8), 16) | 0;
const u32 = (x: number): bigint => BigInt(x >>> 0);
const d64 = (f: Fpu): bigint => (BigInt(f.hi >>> 0) << 32n) | BigInt(f.lo >>> 0);

function fmaD(np: boolean, na: boolean): Runner {
  return (f, v, rm) => {
    f.fmaD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]), lo(v[2]), hi(v[2]), rm, np, na);
    return d64(f);
  };
}
function fmaS(np: boolean, na: boolean): Runner {
  return (f, v, rm) => u32(f.fmaS(s(v[0]), s(v[1]), s(v[2]), rm, np, na));
}

const runners: Record<string, Runner> = {
  "fadd.d": (f, v, rm) => {
    f.addD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]), rm);
    return d64(f);
  },
  "fsub.d": (f, v, rm) => {
    f.subD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]), rm);
    return d64(f);
  },
  "fmul.d": (f, v, rm) => {
    f.mulD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]), rm);
    return d64(f);
  },
  "fdiv.d": (f, v, rm) => {
    f.divD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]), rm);
    return d64(f);
  },
  "fsqrt.d": (f, v, rm) => {
    f.sqrtD(lo(v[0]), hi(v[0]), rm);
    return d64(f);
  },
  "fmadd.d": fmaD(false, false),
  "fmsub.d": fmaD(false, true),
  "fnmsub.d": fmaD(true, false),
  "fnmadd.d": fmaD(true, true),
  "fadd.s": (f, v, rm) => u32(f.addS(s(v[0]), s(v[1]), rm)),
  "fsub.s": (f, v, rm) => u32(f.subS(s(v[0]), s(v[1]), rm)),
  "fmul.s": (f, v, rm) => u32(f.mulS(s(v[0]), s(v[1]), rm)),
  "fdiv.s": (f, v, rm) => u32(f.divS(s(v[0]), s(v[1]), rm)),
  "fsqrt.s": (f, v, rm) => u32(f.sqrtS(s(v[0]), rm)),
  "fmadd.s": fmaS(false, false),
  "fmsub.s": fmaS(false, true),
  "fnmsub.s": fmaS(true, false),
  "fnmadd.s": fmaS(true, true),
  "fmin.d": (f, v) => {
    f.minD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]));
    return d64(f);
  },
  "fmax.d": (f, v) => {
    f.maxD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]));
    return d64(f);
  },
  "fmin.s": (f, v) => u32(f.minS(s(v[0]), s(v[1]))),
  "fmax.s": (f, v) => u32(f.maxS(s(v[0]), s(v[1]))),
  "feq.d": (f, v) => BigInt(f.eqD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]))),
  "flt.d": (f, v) => BigInt(f.ltD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]))),
  "fle.d": (f, v) => BigInt(f.leD(lo(v[0]), hi(v[0]), lo(v[1]), hi(v[1]))),
  "feq.s": (f, v) => BigInt(f.eqS(s(v[0]), s(v[1]))),
  "flt.s": (f, v) => BigInt(f.ltS(s(v[0]), s(v[1]))),
  "fle.s": (f, v) => BigInt(f.leS(s(v[0]), s(v[1]))),
  "fclass.d": (f, v) => BigInt(f.classD(lo(v[0]), hi(v[0]))),
  "fclass.s": (f, v) => BigInt(f.classS(s(v[0]))),
  "fcvt.s.d": (f, v, rm) => u32(f.cvtSFromD(lo(v[0]), hi(v[0]), rm)),
  "fcvt.d.s": (f, v) => {
    f.cvtDFromS(s(v[0]));
    return d64(f);
  },
  "fcvt.w.d": (f, v, rm) => u32(f.cvtWFromD(lo(v[0]), hi(v[0]), rm)),
  "fcvt.wu.d": (f, v, rm) => u32(f.cvtWUFromD(lo(v[0]), hi(v[0]), rm)),
  "fcvt.l.d": (f, v, rm) => {
    f.cvtLFromD(lo(v[0]), hi(v[0]), rm);
    return d64(f);
  },
  "fcvt.lu.d": (f, v, rm) => {
    f.cvtLUFromD(lo(v[0]), hi(v[0]), rm);
    return d64(f);
  },
  "fcvt.w.s": (f, v, rm) => u32(f.cvtWFromS(s(v[0]), rm)),
  "fcvt.wu.s": (f, v, rm) => u32(f.cvtWUFromS(s(v[0]), rm)),
  "fcvt.l.s": (f, v, rm) => {
    f.cvtLFromS(s(v[0]), rm);
    return d64(f);
  },
  "fcvt.lu.s": (f, v, rm) => {
    f.cvtLUFromS(s(v[0]), rm);
    return d64(f);
  },
  "fcvt.d.w": (f, v) => {
    f.cvtDFromW(s(v[0]));
    return d64(f);
  },
  "fcvt.d.wu": (f, v) => {
    f.cvtDFromWU(s(v[0]));
    return d64(f);
  },
  "fcvt.d.l": (f, v, rm) => {
    f.cvtDFromL(lo(v[0]), hi(v[0]), rm);
    return d64(f);
  },
  "fcvt.d.lu": (f, v, rm) => {
    f.cvtDFromLU(lo(v[0]), hi(v[0]), rm);
    return d64(f);
  },
  "fcvt.s.w": (f, v, rm) => u32(f.cvtSFromW(s(v[0]), rm)),
  "fcvt.s.wu": (f, v, rm) => u32(f.cvtSFromWU(s(v[0]), rm)),
  "fcvt.s.l": (f, v, rm) => u32(f.cvtSFromL(lo(v[0]), hi(v[0]), rm)),
  "fcvt.s.lu": (f, v, rm) => u32(f.cvtSFromLU(lo(v[0]), hi(v[0]), rm)),
};

interface Section {
  op: string;
  rm: number;
  lines: string[];
}

function loadSections(): Section[] {
  // FPU_VECTORS may point at a larger locally generated file.
  const path = process.env.FPU_VECTORS ?? new URL("./vectors/vectors.txt", import.meta.url);
  const text = readFileSync(path, "utf8");
  const sections: Section[] = [];
  let cur: Section | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("@ ")) {
      const [, op, rm] = line.split(" ");
      cur = { op, rm: Number(rm), lines: [] };
      sections.push(cur);
    } else if (line.length > 0 && cur) {
      cur.lines.push(line);
    }
  }
  return sections;
}

const sections = loadSections();

describe("QEMU reference vectors", () => {
  it("covers every operation and rounding mode", () => {
    const ops = new Set(sections.map((x) => x.op));
    expect([...ops].sort()).toEqual(Object.keys(runners).sort());
    expect(sections.reduce((n, x) => n + x.lines.length, 0)).toBeGreaterThan(50000);
  });

  it.each(sections.map((x) => [`${x.op} rm=${x.rm}`, x] as const))("%s", (_name, sec) => {
    const run = runners[sec.op];
    const fpu = new Fpu();
    const failures: string[] = [];
    for (const line of sec.lines) {
      const v = line.split(" ");
      const want = BigInt(`0x${v[v.length - 2]}`);
      const wantFlags = Number.parseInt(v[v.length - 1], 16);
      fpu.flags = 0;
      const got = run(fpu, v, sec.rm);
      if (got !== want || fpu.flags !== wantFlags) {
        failures.push(`${line}  => got ${got.toString(16)} flags ${fpu.flags.toString(16)}`);
      }
    }
    expect(failures.slice(0, 8)).toEqual([]);
  });
});
