/**
 * Renders `include/monovisor/sbi.h` from the description: constants usable from C and assembly,
 * plus `static inline` ecall wrappers for RV64 guest code.
 */
import {
  MONOVISOR_SBI_SPEC_VERSION,
  MONOVISOR_SIGNATURE,
  MONOVISOR_VENDOR_VERSION,
  SBI_ALL_ONES_ARGUMENTS,
  SBI_CONSTANT_GROUPS,
  SBI_EID_RANGES,
  SBI_ERRORS,
  SBI_EXTENSIONS,
  type SbiCType,
  type SbiExtensionDescription,
  type SbiFunctionDescription,
} from "../spec.js";
import {
  formatSbiVersion,
  SBI_VERSION_MAJOR_MASK,
  SBI_VERSION_MAJOR_SHIFT,
  SBI_VERSION_MINOR_MASK,
} from "../version.js";

/** Macro naming an extension's EID: `SBI_EXT_HSM`, legacy `SBI_EXT_0_1_SET_TIMER`. */
export function cExtensionMacro(ext: SbiExtensionDescription): string {
  return ext.kind === "legacy" ? `SBI_EXT_0_1_${ext.functions[0]!.id}` : `SBI_EXT_${ext.id}`;
}

/** Macro naming a function's FID (none for legacy calls: their FID is ignored). */
export function cFunctionMacro(ext: SbiExtensionDescription, fn: SbiFunctionDescription): string | undefined {
  return ext.kind === "legacy" ? undefined : `SBI_EXT_${ext.id}_${fn.id}`;
}

/** Name of the generated wrapper. Legacy calls get a `sbi_legacy_` prefix: their spec names clash with v0.2+. */
export function cWrapperName(ext: SbiExtensionDescription, fn: SbiFunctionDescription): string {
  return ext.kind === "legacy" ? fn.name.replace(/^sbi_/, "sbi_legacy_") : fn.name;
}

/** LP64 spellings that need no libc headers. */
const C_TYPES: Record<SbiCType, string> = {
  "unsigned long": "unsigned long",
  long: "long",
  int: "int",
  uint8_t: "unsigned char",
  uint32_t: "unsigned int",
  uint64_t: "unsigned long",
  "const unsigned long *": "const unsigned long *",
};

function hex(value: number, digits = 0): string {
  return `0x${value.toString(16).padStart(digits, "0")}`;
}

/** Pads values in the 0x0X00_0000 ranges so they read like the spec's EID tables. */
function eidHex(value: number): string {
  return hex(value, value >= 0x100_0000 ? 8 : 0);
}

function define(name: string, value: string, comment?: string): string {
  const line = `#define ${name.padEnd(44)} ${value}`;
  return comment === undefined ? line : `${line} /* ${comment} */`;
}

/** Unsigned constant: `MONOVISOR_UL(0x10)`, plain in assembly. */
function ulConst(value: number): string {
  return `MONOVISOR_UL(${eidHex(value)})`;
}

function signedConst(value: number): string {
  return value < 0 ? `(${value})` : `${value}`;
}

function wrapper(ext: SbiExtensionDescription, fn: SbiFunctionDescription): string {
  const params =
    fn.args
      .map((a) => {
        const type = C_TYPES[a.type];
        return type.endsWith("*") ? `${type}${a.name}` : `${type} ${a.name}`;
      })
      .join(", ") || "void";
  const name = cWrapperName(ext, fn);
  const eid = cExtensionMacro(ext);
  if (ext.kind === "legacy") {
    const args = fn.args.map((a) => `(unsigned long)${a.name}`);
    while (args.length < 4) args.push("0");
    return [
      `/* ${fn.summary} Result: ${fn.returns}. */`,
      `static inline long ${name}(${params})`,
      "{",
      `\treturn sbi_legacy_ecall(${eid}, ${args.join(", ")});`,
      "}",
    ].join("\n");
  }
  const args = fn.args.map((a) => `(unsigned long)${a.name}`);
  while (args.length < 6) args.push("0");
  return [
    `/* ${fn.summary} Value: ${fn.returns}. */`,
    `static inline struct sbiret ${name}(${params})`,
    "{",
    `\treturn sbi_ecall(${eid}, ${cFunctionMacro(ext, fn)}, ${args.join(", ")});`,
    "}",
  ].join("\n");
}

export function renderCHeader(): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);

  push(
    "/* SPDX-License-Identifier: MIT */",
    "/*",
    " * monovisor paravirtual ABI: RISC-V SBI v2.0 and the monovisor vendor extension.",
    " * Generated from @monovisor/paravirt-abi (src/spec.ts) by",
    " * `pnpm --filter @monovisor/paravirt-abi gen`. Do not edit.",
    " */",
    "#ifndef MONOVISOR_SBI_H",
    "#define MONOVISOR_SBI_H",
    "",
    "#ifdef __ASSEMBLER__",
    "#define MONOVISOR_UL(x) x",
    "#else",
    "#define MONOVISOR_UL(x) x##UL",
    "#endif",
    "",
    "/* Version encoding (spec and vendor extension): major in bits 30:24, minor in bits 23:0. */",
    define("SBI_SPEC_VERSION_MAJOR_SHIFT", `${SBI_VERSION_MAJOR_SHIFT}`),
    define("SBI_SPEC_VERSION_MAJOR_MASK", hex(SBI_VERSION_MAJOR_MASK)),
    define("SBI_SPEC_VERSION_MINOR_MASK", hex(SBI_VERSION_MINOR_MASK)),
    define(
      "SBI_SPEC_VERSION(major, minor)",
      "((((major) & SBI_SPEC_VERSION_MAJOR_MASK) << SBI_SPEC_VERSION_MAJOR_SHIFT) | ((minor) & SBI_SPEC_VERSION_MINOR_MASK))",
    ),
    define(
      "MONOVISOR_SBI_SPEC_VERSION",
      ulConst(MONOVISOR_SBI_SPEC_VERSION),
      `SBI ${formatSbiVersion(MONOVISOR_SBI_SPEC_VERSION)}`,
    ),
    "",
    "/* Error codes (sbiret.error). */",
  );
  for (const e of SBI_ERRORS) push(define(`SBI_${e.id}`, signedConst(e.value), e.description));
  push("", "/* Reserved EID ranges. */");
  for (const r of SBI_EID_RANGES) {
    push(define(`SBI_EXT_${r.id}_START`, ulConst(r.first), r.description));
    push(define(`SBI_EXT_${r.id}_END`, ulConst(r.last)));
  }
  push("", "/* XLEN-wide all-ones arguments. */");
  for (const a of SBI_ALL_ONES_ARGUMENTS) push(define(`SBI_${a.id}`, "(MONOVISOR_UL(-1))", a.description));

  for (const ext of SBI_EXTENSIONS) {
    const version =
      ext.kind === "vendor"
        ? `vendor extension version ${formatSbiVersion(ext.since)}`
        : `SBI ${formatSbiVersion(ext.since)}`;
    push("", `/* ${ext.title} (EID ${eidHex(ext.eid)}), since ${version}. */`);
    push(define(cExtensionMacro(ext), ulConst(ext.eid)));
    for (const fn of ext.functions) {
      const macro = cFunctionMacro(ext, fn);
      if (macro !== undefined) push(define(macro, `${fn.fid}`));
    }
  }
  push(
    "",
    "/* monovisor vendor extension identification and version. */",
    define("MONOVISOR_SIGNATURE", ulConst(MONOVISOR_SIGNATURE), '"MONV"'),
    define(
      "MONOVISOR_VENDOR_VERSION",
      ulConst(MONOVISOR_VENDOR_VERSION),
      formatSbiVersion(MONOVISOR_VENDOR_VERSION),
    ),
  );

  for (const group of SBI_CONSTANT_GROUPS) {
    push("", `/* ${group.title}. */`);
    for (const v of group.values) push(define(`${group.cPrefix}${v.id}`, ulConst(v.value), v.description));
  }

  push(
    "",
    "#ifndef __ASSEMBLER__",
    "",
    "#if defined(__riscv) && __riscv_xlen != 64",
    '#error "monovisor/sbi.h wrappers assume RV64 (LP64)"',
    "#endif",
    "",
    "struct sbiret {",
    "\tlong error;",
    "\tlong value;",
    "};",
    "",
    "/* SBI v0.2+ calling convention: EID in a7, FID in a6, arguments in a0-a5, result in a0/a1. */",
    "static inline struct sbiret sbi_ecall(unsigned long eid, unsigned long fid, unsigned long arg0,",
    "\t\t\t\t       unsigned long arg1, unsigned long arg2, unsigned long arg3,",
    "\t\t\t\t       unsigned long arg4, unsigned long arg5)",
    "{",
    '\tregister unsigned long a0 __asm__("a0") = arg0;',
    '\tregister unsigned long a1 __asm__("a1") = arg1;',
    '\tregister unsigned long a2 __asm__("a2") = arg2;',
    '\tregister unsigned long a3 __asm__("a3") = arg3;',
    '\tregister unsigned long a4 __asm__("a4") = arg4;',
    '\tregister unsigned long a5 __asm__("a5") = arg5;',
    '\tregister unsigned long a6 __asm__("a6") = fid;',
    '\tregister unsigned long a7 __asm__("a7") = eid;',
    "\tstruct sbiret ret;",
    "",
    '\t__asm__ __volatile__("ecall"',
    '\t\t\t     : "+r"(a0), "+r"(a1)',
    '\t\t\t     : "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a6), "r"(a7)',
    '\t\t\t     : "memory");',
    "\tret.error = (long)a0;",
    "\tret.value = (long)a1;",
    "\treturn ret;",
    "}",
    "",
    "/* SBI v0.1 calling convention: EID in a7, arguments in a0-a3, result in a0 only. */",
    "static inline long sbi_legacy_ecall(unsigned long eid, unsigned long arg0, unsigned long arg1,",
    "\t\t\t\t    unsigned long arg2, unsigned long arg3)",
    "{",
    '\tregister unsigned long a0 __asm__("a0") = arg0;',
    '\tregister unsigned long a1 __asm__("a1") = arg1;',
    '\tregister unsigned long a2 __asm__("a2") = arg2;',
    '\tregister unsigned long a3 __asm__("a3") = arg3;',
    '\tregister unsigned long a7 __asm__("a7") = eid;',
    "",
    '\t__asm__ __volatile__("ecall"',
    '\t\t\t     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)',
    '\t\t\t     : "r"(a7)',
    '\t\t\t     : "memory");',
    "\treturn (long)a0;",
    "}",
  );
  for (const ext of SBI_EXTENSIONS) {
    for (const fn of ext.functions) push("", wrapper(ext, fn));
  }
  push("", "#endif /* __ASSEMBLER__ */", "", "#endif /* MONOVISOR_SBI_H */", "");
  return out.join("\n");
}
