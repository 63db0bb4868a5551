/** Which benchmarks to run, parsed from the command line. */
export type BenchName = "cpu" | "linux" | "io" | "idle" | "smp" | "sched";

const BENCH_NAMES: readonly BenchName[] = ["cpu", "linux", "io", "idle", "smp", "sched"];

export interface BenchOptions {
  /** Run only this benchmark; undefined runs all. */
  readonly only: BenchName | undefined;
  /** Runs per side; the best (shortest) counts. */
  readonly repeat: number;
  readonly json: boolean;
  /** Linux guest directory (holds `Image` and `initramfs.cpio.gz`); undefined to search. */
  readonly guests: string | undefined;
  readonly help: boolean;
}

export const BENCH_USAGE = `usage: pnpm bench [--only cpu|linux|io|idle|smp|sched] [--repeat N] [--json] [--guests DIR]

  --only NAME       run one benchmark: cpu, linux, io, idle, smp or sched (default: all)
  --repeat N        run each side N times and keep the best (default 1)
  --json            print machine-readable results on stdout
  --guests DIR      Linux guest directory with Image and initramfs.cpio.gz
                    (default: ../shared/guests/linux-6.1-virt, else $MONOVISOR_GUESTS
                    or .cache/guests/linux-6.1-virt, as tools/guest-builder/ensure-guests.sh)`;

/** A command line the benchmark does not understand; the message is meant for the user. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const MAX_REPEAT = 100;

/** Parses `argv` (without node and the script). Accepts `--flag value` and `--flag=value`. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let only: BenchName | undefined;
  let repeat = 1;
  let json = false;
  let guests: string | undefined;
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      i++;
      return next;
    };
    const noValue = (): void => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    };

    switch (flag) {
      case "--only": {
        const name = value();
        const known = BENCH_NAMES.find((b) => b === name);
        if (known === undefined) {
          throw new UsageError(`--only takes cpu, linux, io, idle, smp or sched, not "${name}"`);
        }
        only = known;
        break;
      }
      case "--repeat": {
        const text = value();
        const n = Number(text);
        if (!/^\d+$/.test(text) || n < 1 || n > MAX_REPEAT) {
          throw new UsageError(`--repeat takes a whole number from 1 to ${MAX_REPEAT}, not "${text}"`);
        }
        repeat = n;
        break;
      }
      case "--json":
        noValue();
        json = true;
        break;
      case "--guests":
        guests = value();
        break;
      case "--help":
      case "-h":
        noValue();
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  return { only, repeat, json, guests, help };
}
