/** Renders `docs/abi.md`, the human reference, from the description. */

import {
  MONOVISOR_SBI_SPEC_VERSION,
  MONOVISOR_SERVED_EXTENSIONS,
  MONOVISOR_SIGNATURE,
  MONOVISOR_VENDOR_VERSION,
  SBI_ALL_ONES_ARGUMENTS,
  SBI_CONSTANT_GROUPS,
  SBI_EID_RANGES,
  SBI_ERRORS,
  SBI_EXTENSIONS,
  type SbiExtensionDescription,
} from "../spec.js";
import { formatSbiVersion } from "../version.js";
import { cExtensionMacro, cFunctionMacro, cWrapperName } from "./c-header.js";

function hex(value: number, digits = 0): string {
  return `0x${value.toString(16).toUpperCase().padStart(digits, "0")}`;
}

/** Pads values in the 0x0X00_0000 ranges like the spec's EID tables. */
export function eidHex(value: number): string {
  return hex(value, value >= 0x100_0000 ? 8 : 0);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cell = (s: string) => s.replaceAll("|", "\\|");
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}

function sinceLabel(ext: SbiExtensionDescription, since: number): string {
  return ext.kind === "vendor" ? `vendor ${formatSbiVersion(since)}` : formatSbiVersion(since);
}

function anchor(ext: SbiExtensionDescription): string {
  return ext.id.toLowerCase().replaceAll("_", "-");
}

const served = new Set<string>(MONOVISOR_SERVED_EXTENSIONS);

export function renderMarkdown(): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);

  push(
    "# monovisor paravirtual ABI",
    "",
    "<!-- Generated from packages/paravirt-abi/src/spec.ts by `pnpm --filter @monovisor/paravirt-abi gen`. Do not edit. -->",
    "",
    `The guest/hypervisor contract: the RISC-V SBI at the v${formatSbiVersion(MONOVISOR_SBI_SPEC_VERSION)} level and the`,
    "monovisor vendor extension. C guests include `include/monovisor/sbi.h`; TypeScript code imports",
    "`@monovisor/paravirt-abi`. Both come from the same description as this page.",
    "",
    "## Calling convention",
    "",
    "- `ecall` from S-mode; EID in `a7`, FID in `a6`, arguments in `a0`..`a5`.",
    "- Result in `a0` (error code) and `a1` (value), as `struct sbiret { long error; long value; }`.",
    "- Every register other than `a0` and `a1` is preserved.",
    "- Legacy (v0.1) extensions: one function per EID, `a6` ignored, result in `a0` only.",
    "- An unknown EID or FID returns `SBI_ERR_NOT_SUPPORTED`.",
    "- Versions are encoded as `major << 24 | minor` (bit 31 zero), for the spec and for the vendor extension.",
    "",
    "## Error codes",
    "",
    ...table(
      ["Name", "Value", "Meaning"],
      SBI_ERRORS.map((e) => [`SBI_${e.id}`, `${e.value}`, e.description]),
    ),
    "",
    "## Extensions",
    "",
    "Served: whether monovisor's SBI implementation answers `probe_extension` with non-zero.",
    "",
    ...table(
      ["Extension", "EID", "Since", "C macro", "Served"],
      SBI_EXTENSIONS.map((e) => [
        `[${e.title}](#${anchor(e)})`,
        eidHex(e.eid),
        sinceLabel(e, e.since),
        `\`${cExtensionMacro(e)}\``,
        served.has(e.id) ? "yes" : "no",
      ]),
    ),
    "",
    "Reserved EID ranges:",
    "",
    ...table(
      ["Range", "First", "Last", "Use"],
      SBI_EID_RANGES.map((r) => [r.id, hex(r.first, 8), hex(r.last, 8), r.description]),
    ),
  );

  for (const ext of SBI_EXTENSIONS) {
    push(
      "",
      `<a id="${anchor(ext)}"></a>`,
      "",
      `### ${ext.title} (EID ${eidHex(ext.eid)})`,
      "",
      `Key \`${ext.id}\`, ${ext.kind}, since ${sinceLabel(ext, ext.since)}.`,
      "",
      ...table(
        ["FID", "Function", "Arguments", "Since", "Value", "Summary"],
        ext.functions.map((f) => [
          ext.kind === "legacy" ? "-" : `${f.fid}`,
          `\`${f.name}\`${cWrapperName(ext, f) === f.name ? "" : ` (C: \`${cWrapperName(ext, f)}\`)`}`,
          f.args.map((a) => `\`${a.type} ${a.name}\``).join(", ") || "-",
          sinceLabel(ext, f.since),
          f.returns,
          f.summary,
        ]),
      ),
    );
    const macros = ext.functions.map((f) => cFunctionMacro(ext, f)).filter((m) => m !== undefined);
    if (macros.length > 0) push("", `C FID macros: ${macros.map((m) => `\`${m}\``).join(", ")}.`);
  }

  push("", "## Constants");
  for (const group of SBI_CONSTANT_GROUPS) {
    const rows: string[][] = group.values.map((v) => [
      `\`${group.cPrefix}${v.id}\``,
      hex(v.value),
      v.description,
    ]);
    const ranges = "ranges" in group ? group.ranges : [];
    for (const r of ranges) rows.push([`(${hex(r.first, 8)}..${hex(r.last, 8)})`, "", r.description]);
    push("", `### ${group.title}`, "", ...table(["Name", "Value", "Meaning"], rows));
  }
  push(
    "",
    "### All-ones arguments",
    "",
    ...table(
      ["Name", "Value", "Meaning"],
      SBI_ALL_ONES_ARGUMENTS.map((a) => [`\`SBI_${a.id}\``, "-1 (XLEN bits)", a.description]),
    ),
  );

  push(
    "",
    "## Vendor extension and version policy",
    "",
    `The vendor extension (EID ${eidHex(SBI_EXTENSIONS.find((e) => e.kind === "vendor")!.eid)}, current version ${formatSbiVersion(MONOVISOR_VENDOR_VERSION)})`,
    "carries monovisor's own hypercalls. Its EID's low 24 bits equal the harts' `mvendorid` (0), as the",
    "spec requires for vendor EIDs; other implementations with `mvendorid` 0 may use the same EID.",
    "",
    "A guest identifies the hypervisor before calling anything else:",
    "",
    "1. `sbi_probe_extension(vendor EID)` returns non-zero;",
    `2. \`sbi_monovisor_get_signature()\` returns ${hex(MONOVISOR_SIGNATURE)} ("MONV");`,
    "3. `sbi_monovisor_get_version()` gives the host's vendor version;",
    "4. `sbi_monovisor_probe_function(fid)` confirms a single function when in doubt.",
    "",
    "Rules:",
    "",
    "- FIDs 0 (`get_signature`), 1 (`get_version`) and 2 (`probe_function`) never change in any version.",
    "- A minor version only adds functions, with new FIDs. FIDs are never reused or renumbered; the",
    "  arguments and results of a published function never change.",
    "- A major version may remove or change functions. A guest calls nothing but FIDs 0-2 on a host",
    "  whose major version differs from the one it was built against.",
    "- A guest built against `M.n` runs on a host with `M.k`: when `k >= n` everything it knows is there;",
    "  when `k < n` it uses only functions with `since <= M.k` and treats the rest as absent (the host",
    "  returns `SBI_ERR_NOT_SUPPORTED` for them).",
    "",
  );
  return out.join("\n");
}
