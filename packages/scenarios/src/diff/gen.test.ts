import { describe, expect, it } from "vitest";
import { generateSignatureProgram } from "./gen.js";
import { Prng } from "./prng.js";

describe("Prng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const c = new Prng(8);
    const sa = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(sa);
  });

  it("keeps int() within bounds", () => {
    const rng = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(-3, 5);
      expect(v).toBeGreaterThanOrEqual(-3);
      expect(v).toBeLessThanOrEqual(5);
    }
  });
});

describe("generateSignatureProgram", () => {
  const program = generateSignatureProgram({ seed: 42, length: 2000 });
  const body = program.source.slice(
    program.source.indexOf("sig_body:"),
    program.source.indexOf("j sig_dump"),
  );
  const instructions = body
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith(".") && !l.endsWith(":"));

  it("is deterministic", () => {
    expect(generateSignatureProgram({ seed: 42, length: 2000 }).source).toBe(program.source);
    expect(generateSignatureProgram({ seed: 43, length: 2000 }).source).not.toBe(program.source);
  });

  it("never writes the scratch base registers sp (x2) and s0 (x8)", () => {
    // Stores and branches name sources first; every other instruction names its destination first.
    const firstOperandIsSource = /^(c\.)?(sb|sh|sw|sd|fsw|fsd|swsp|sdsp|fsdsp|beq|bne|blt|bge|bltu|bgeu)$/;
    for (const insn of instructions) {
      const [mnemonic, operands = ""] = insn.split(/\s+(.*)/);
      if (firstOperandIsSource.test(mnemonic)) continue;
      const rd = operands.split(",")[0]?.trim();
      expect(["x2", "x8", "sp", "s0"], insn).not.toContain(rd);
    }
  });

  it("covers every instruction group", () => {
    const text = instructions.join("\n");
    for (const needle of [
      "mulhsu",
      "sh2add",
      "clz",
      "bseti",
      "amo",
      "lr.",
      "sc.",
      "c.ld",
      "fmadd",
      "fcvt.w",
      "jalr",
      "fclass",
    ]) {
      expect(text).toContain(needle);
    }
  });

  it("keeps memory offsets aligned and inside the scratch buffer", () => {
    for (const insn of instructions) {
      const m = /(-?\d+)\((sp|s0)\)/.exec(insn);
      if (!m) continue;
      const offset = Number(m[1]) + (m[2] === "s0" ? 256 : 0);
      expect(offset, insn).toBeGreaterThanOrEqual(0);
      expect(offset, insn).toBeLessThan(512);
      const size = /^(c\.)?(ld|sd|fld|fsd|ldsp|sdsp|fldsp|fsdsp)\b/.test(insn.replace("c.", ""))
        ? 8
        : /^(c\.)?(lw|lwu|sw|flw|fsw|lwsp|swsp)\b/.test(insn.replace("c.", ""))
          ? 4
          : /^(lh|lhu|sh)\b/.test(insn)
            ? 2
            : 1;
      expect(offset % size, insn).toBe(0);
    }
  });
});
