/** One side (monovisor or QEMU) of a benchmark, best of the repeated runs. */
export interface SideResult {
  /** Wall seconds counted for the comparison (for QEMU's CPU run: without its startup). */
  readonly seconds: number;
  /** Guest instructions retired, when known. */
  readonly instructions?: number;
  /** Million instructions per second, when the count is known. */
  readonly mips?: number;
}

export interface BenchResult {
  readonly id: string;
  readonly title: string;
  /** Undefined when this side could not run; {@link notes} says why. */
  readonly monovisor: SideResult | undefined;
  readonly qemu: SideResult | undefined;
  /** Assumptions, missing tools, what a failed run printed. */
  readonly notes: readonly string[];
  /**
   * For a variant of another benchmark (same guest, one thing changed): that benchmark's id and
   * how much longer monovisor took than on it, in percent.
   */
  readonly overhead?: { readonly baseline: string; readonly percent: number };
  /** A guest that ran but did not finish cleanly (wrong exit, wrong output, timeout). */
  readonly failed: boolean;
}
