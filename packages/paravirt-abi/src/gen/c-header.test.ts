import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SBI_CONSTANT_GROUPS, SBI_ERRORS, SBI_EXTENSIONS } from "../spec.js";
import { cExtensionMacro, cFunctionMacro, cWrapperName, renderCHeader } from "./c-header.js";
import { PACKAGE_ROOT } from "./main.js";

const GCC = "riscv64-unknown-elf-gcc";
const INCLUDE = resolve(PACKAGE_ROOT, "include");
const hasGcc = spawnSync(GCC, ["--version"]).status === 0;

function compile(source: string, language: "c" | "assembler-with-cpp", extra: string[] = []): void {
  execFileSync(GCC, [`-I${INCLUDE}`, "-x", language, ...extra, "-"], {
    input: source,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

function compileErrors(source: string): string {
  try {
    compile(source, "c", ["-fsyntax-only", "-std=c11"]);
    return "";
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

describe("the generated C header", () => {
  it("matches the committed include/monovisor/sbi.h (run `pnpm gen` after changing src/spec.ts)", () => {
    const committed = readFileSync(resolve(INCLUDE, "monovisor/sbi.h"), "utf8");
    expect(committed).toBe(renderCHeader());
  });

  it("names every EID, FID and wrapper uniquely", () => {
    const names: string[] = [];
    for (const ext of SBI_EXTENSIONS) {
      names.push(cExtensionMacro(ext));
      for (const f of ext.functions) {
        const m = cFunctionMacro(ext, f);
        if (m !== undefined) names.push(m);
        names.push(cWrapperName(ext, f));
      }
    }
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  describe.skipIf(!hasGcc)(`with ${GCC}`, () => {
    it("compiles cleanly with -fsyntax-only -Wall -Wextra -Werror -pedantic", () => {
      compile('#include "monovisor/sbi.h"\n', "c", [
        "-fsyntax-only",
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
      ]);
    });

    it("agrees with the description on every value", () => {
      const asserts: string[] = ['#include "monovisor/sbi.h"'];
      const check = (macro: string, value: number) =>
        asserts.push(`_Static_assert((long long)(${macro}) == ${value}LL, "${macro}");`);
      for (const ext of SBI_EXTENSIONS) {
        check(cExtensionMacro(ext), ext.eid);
        for (const f of ext.functions) {
          const m = cFunctionMacro(ext, f);
          if (m !== undefined) check(m, f.fid);
        }
      }
      for (const e of SBI_ERRORS) check(`SBI_${e.id}`, e.value);
      for (const g of SBI_CONSTANT_GROUPS) for (const v of g.values) check(`${g.cPrefix}${v.id}`, v.value);
      check("SBI_SPEC_VERSION(2, 0)", 0x0200_0000);
      expect(compileErrors(asserts.join("\n"))).toBe("");
    });

    it("catches a disagreement (the check above can fail)", () => {
      const source = '#include "monovisor/sbi.h"\n_Static_assert(SBI_EXT_HSM == 0x48534e, "x");\n';
      expect(compileErrors(source)).toMatch(/static assert|assertion/i);
    });

    it("can be included from assembly", () => {
      const source = [
        '#include "monovisor/sbi.h"',
        "li a7, SBI_EXT_HSM",
        "li a6, SBI_EXT_HSM_HART_START",
        "li a0, SBI_HART_MASK_BASE_ALL",
        "li a1, SBI_ERR_NOT_SUPPORTED",
      ].join("\n");
      compile(source, "assembler-with-cpp", ["-c", "-o", "/dev/null"]);
    });

    it("wrappers place EID in a7 and FID in a6", () => {
      const source = [
        '#include "monovisor/sbi.h"',
        "long call(void) { return sbi_hart_get_status(3).value; }",
      ].join("\n");
      const asm = execFileSync(GCC, [`-I${INCLUDE}`, "-O2", "-S", "-o", "-", "-x", "c", "-"], {
        input: source,
      }).toString();
      expect(asm).toMatch(/ecall/);
      expect(asm).toMatch(/li\s+a6,\s*2/);
      expect(asm).toMatch(/li\s+a0,\s*3/);
    });
  });
});
