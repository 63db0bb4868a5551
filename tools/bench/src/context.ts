/** What every benchmark gets from the runner. */
export interface BenchContext {
  /** The monorepo root. */
  readonly root: string;
  /** QEMU's path, or undefined when it is not installed. */
  readonly qemu: string | undefined;
  /** Runs per side; the best counts. */
  readonly repeat: number;
  /** Progress for the user (stderr), kept off the report. */
  readonly progress: (line: string) => void;
}
