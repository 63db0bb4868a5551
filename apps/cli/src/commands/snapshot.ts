import { renameSync, writeFileSync } from "node:fs";
import type { VirtMachine } from "@monovisor/devmodel";
import { UsageError } from "./sizes.js";

/** Options of `hv run` and `hv restore` that save the running guest. */
export const SNAPSHOT_OPTIONS = {
  "snapshot-file": { type: "string" },
  "save-after": { type: "string" },
} as const;

export const SNAPSHOT_USAGE = `  --snapshot-file <f>  where Ctrl-A s (or --save-after) saves the guest before exiting
  --save-after <secs>  save the guest to --snapshot-file after this many seconds, then exit`;

/** Where and when to save the guest. */
export interface SnapshotTarget {
  readonly file: string;
  readonly afterSeconds?: number;
}

export function snapshotTarget(values: {
  "snapshot-file"?: string;
  "save-after"?: string;
}): SnapshotTarget | undefined {
  const file = values["snapshot-file"];
  const after = values["save-after"];
  if (file === undefined) {
    if (after !== undefined) throw new UsageError("--save-after needs --snapshot-file");
    return undefined;
  }
  if (after === undefined) return { file };
  const afterSeconds = Number(after);
  if (!/^\d+(\.\d+)?$/.test(after) || !Number.isFinite(afterSeconds)) {
    throw new UsageError(`--save-after: expected seconds, got '${after}'`);
  }
  return { file, afterSeconds };
}

/**
 * Pauses the machine, writes the snapshot (to a temporary name first, so a failed save never
 * leaves a half-written file under the real one) and stops the machine. On failure the guest
 * runs on and the error is reported.
 */
export async function saveAndStop(
  machine: VirtMachine,
  target: SnapshotTarget,
  report: (message: string) => void,
): Promise<void> {
  await machine.pause();
  try {
    const bytes = await machine.saveSnapshot();
    const temporary = `${target.file}.partial`;
    writeFileSync(temporary, bytes);
    renameSync(temporary, target.file);
    report(`saved the guest to ${target.file} (${(bytes.length / 1048576).toFixed(1)} MiB)`);
    machine.stop();
  } catch (e) {
    report(`saving the guest failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  machine.resume();
}
