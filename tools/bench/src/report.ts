import { describeOverhead, describeRatio, speedRatio } from "./metrics.js";
import type { BenchResult, SideResult } from "./result.js";
import { formatTable, groupDigits, type TableColumn } from "./table.js";

const COLUMNS: readonly TableColumn[] = [
  { header: "benchmark" },
  { header: "instructions", align: "right" },
  { header: "monovisor s", align: "right" },
  { header: "MIPS", align: "right" },
  { header: "qemu s", align: "right" },
  { header: "MIPS", align: "right" },
  { header: "speed vs qemu" },
];
/** Shown only when some result is a variant of another (the traced CPU run). */
const OVERHEAD_COLUMN: TableColumn = { header: "overhead", align: "right" };

const NOT_RUN = "-";

function seconds(side: SideResult | undefined): string {
  if (side === undefined) return NOT_RUN;
  return side.seconds.toFixed(side.seconds < 10 ? 3 : 2);
}

function mipsCell(side: SideResult | undefined): string {
  return side?.mips === undefined ? NOT_RUN : side.mips.toFixed(side.mips < 100 ? 1 : 0);
}

/** monovisor's speed relative to QEMU, when both sides ran. */
export function resultRatio(result: BenchResult): number | undefined {
  if (result.monovisor === undefined || result.qemu === undefined) return undefined;
  return speedRatio(result.monovisor.seconds, result.qemu.seconds);
}

/** The human-readable report: one table row per benchmark, then the notes, each once. */
export function formatReport(results: readonly BenchResult[], repeat: number): string {
  const withOverhead = results.some((r) => r.overhead !== undefined);
  const rows = results.map((r) => {
    const ratio = resultRatio(r);
    const instructions = r.monovisor?.instructions ?? r.qemu?.instructions;
    return [
      r.failed ? `${r.title} (FAILED)` : r.title,
      instructions === undefined ? NOT_RUN : groupDigits(instructions),
      seconds(r.monovisor),
      mipsCell(r.monovisor),
      seconds(r.qemu),
      mipsCell(r.qemu),
      ratio === undefined ? NOT_RUN : describeRatio(ratio),
      ...(withOverhead ? [r.overhead === undefined ? "" : describeOverhead(r.overhead.percent)] : []),
    ];
  });
  const columns = withOverhead ? [...COLUMNS, OVERHEAD_COLUMN] : COLUMNS;
  const notes = [...new Set(results.flatMap((r) => r.notes))];
  const heading = `monovisor vs qemu-system-riscv64, best of ${repeat} run${repeat === 1 ? "" : "s"} per side`;
  const parts = [heading, "", formatTable(columns, rows)];
  if (notes.length > 0) parts.push("", ...notes.map((n) => `* ${n}`));
  return `${parts.join("\n")}\n`;
}

/** The machine-readable report (`--json`). */
export function jsonReport(results: readonly BenchResult[], repeat: number): string {
  return `${JSON.stringify(
    {
      repeat,
      results: results.map((r) => ({
        ...r,
        monovisor: r.monovisor ?? null,
        qemu: r.qemu ?? null,
        speedVsQemu: resultRatio(r) ?? null,
        overhead: r.overhead ?? null,
      })),
    },
    null,
    2,
  )}\n`;
}
