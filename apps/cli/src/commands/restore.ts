import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { deviceSpecs } from "./devices.js";
import { bootGuest, parseThreads } from "./run.js";
import { UsageError } from "./sizes.js";
import { SNAPSHOT_OPTIONS, SNAPSHOT_USAGE, snapshotTarget } from "./snapshot.js";

export const RESTORE_USAGE = `usage: hv restore <file.mvsnap> [--disk <spec>]... [--rng] [--balloon] [--net <spec>]...
              [--threads N] [--snapshot-file <f>] [--save-after <secs>]

Continues a guest saved by 'hv run --snapshot-file' (Ctrl-A s or --save-after) with the
terminal as its console. Memory, CPUs, kernel and device state come from the file; the devices
must be given again, the same kinds in the same order as when it was saved, and each disk must
be the same image, unchanged since the save (its size is checked).

  --disk, --rng, --balloon, --net   as for 'hv run'
  --threads <n>        run the saved harts on n host threads, as for 'hv run' (a guest saved
                       on threads can continue on the main thread, and the other way round)
${SNAPSHOT_USAGE}
  -h, --help           this help

Exit status as for 'hv run'; 1 also when the file is damaged or does not match the devices.`;

/** `hv restore`: continues a saved guest and returns the process exit status. */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      disk: { type: "string", multiple: true },
      rng: { type: "boolean", default: false },
      balloon: { type: "boolean", default: false },
      net: { type: "string", multiple: true },
      threads: { type: "string" },
      ...SNAPSHOT_OPTIONS,
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${RESTORE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one snapshot file\n${RESTORE_USAGE}`);
  const path = positionals[0];
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`cannot read snapshot ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const devices = deviceSpecs(values);
  const threads = values.threads === undefined ? 0 : parseThreads(values.threads);
  return bootGuest({ hartCount: 1, devices, ...(threads > 0 ? { threads } : {}) }, "restore", undefined, {
    restoreFrom: bytes,
    snapshot: snapshotTarget(values),
  });
}
