import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { ElfFormatError, Profile, parseElfSymbols, parseSystemMap, Symbolizer } from "@monovisor/perf";
import { bootGuest, guestConfig, RUN_OPTIONS } from "./run.js";
import { parseCount, UsageError } from "./sizes.js";
import { readText } from "./trace.js";

export const TOP_USAGE = `usage: hv top [--system-map <file>] [--once] [--interval <s>] [--lines N]
              [--period <instructions>] --kernel <Image|elf> [hv run options]

Boots a guest exactly as 'hv run' does (console on the terminal, same exit status), samples the
guest's program counters and prints the functions it spends its instructions in, like 'perf top':
every --interval seconds and at exit, on standard error.

  --system-map <file>  kernel symbols (default: System.map next to the --kernel file, if any);
                       an ELF --kernel (bare metal) is symbolized from its own symbol table
  --once               print only at exit
  --interval <s>       seconds between reports (default 1)
  --lines <n>          functions per report (default 20)
  --period <n>         instructions between samples of a hart (default 10000)
  -h, --help           this help

Samples count executed instructions, not time: a hart waiting in wfi is not sampled. User-mode
samples without symbols are one row, [user].`;

/** A profile plus the user-mode samples nothing could name. */
export class GuestProfile {
  readonly profile: Profile;
  private userUnknown = 0;

  constructor(private readonly symbolizer: Symbolizer) {
    this.profile = new Profile(symbolizer);
  }

  /** The board's sampler: `(hartId, pcLo, pcHi, priv)`. */
  readonly sample = (hart: number, pcLo: number, pcHi: number, priv: number): void => {
    // Unnamed user addresses are one bucket each; lump them instead of listing thousands.
    if (priv === 0 && this.symbolizer.symbolId(pcLo, pcHi) < 0) this.userUnknown++;
    else this.profile.addSampleParts(hart, pcLo, pcHi, priv);
  };

  get total(): number {
    return this.profile.total + this.userUnknown;
  }

  /** The report: share by mode, then the top `lines` functions. */
  format(lines: number, title: string): string {
    const total = this.total;
    const out = [""];
    if (total === 0) {
      out.push(` ${title}: no samples yet`, "");
      return out.join("\n");
    }
    const all = this.profile.top(Number.MAX_SAFE_INTEGER);
    const byMode = { user: this.userUnknown, kernel: 0, machine: 0 };
    for (const row of all) {
      byMode.user += row.byMode.user;
      byMode.kernel += row.byMode.kernel;
      byMode.machine += row.byMode.machine;
    }
    const pct = (n: number) => `${((100 * n) / total).toFixed(2)}%`;
    out.push(
      ` ${title}: ${total} samples; kernel ${pct(byMode.kernel)}, user ${pct(byMode.user)}` +
        `${byMode.machine > 0 ? `, machine ${pct(byMode.machine)}` : ""}`,
      "",
      "  overhead  mode  function",
    );
    const rows = all.map((row) => {
      const mode =
        row.byMode.kernel >= row.byMode.user && row.byMode.kernel >= row.byMode.machine
          ? "[k]"
          : row.byMode.user >= row.byMode.machine
            ? "[u]"
            : "[m]";
      return { samples: row.samples, mode, name: row.name };
    });
    if (this.userUnknown > 0) rows.push({ samples: this.userUnknown, mode: "[u]", name: "[user]" });
    rows.sort((a, b) => b.samples - a.samples);
    for (const row of rows.slice(0, lines)) {
      out.push(`  ${pct(row.samples).padStart(8)}  ${row.mode.padEnd(4)}  ${row.name}`);
    }
    out.push("");
    return out.join("\n");
  }
}

/** Kernel symbols: an explicit System.map, the one next to the kernel, or an ELF kernel's own. */
export function guestSymbolizer(
  kernelPath: string | undefined,
  kernel: Uint8Array | undefined,
  systemMap?: string,
): Symbolizer {
  const symbolizer = new Symbolizer();
  const besideKernel = kernelPath === undefined ? undefined : join(dirname(kernelPath), "System.map");
  const mapPath =
    systemMap ?? (besideKernel !== undefined && existsSync(besideKernel) ? besideKernel : undefined);
  if (mapPath !== undefined) {
    symbolizer.add(parseSystemMap(readText(mapPath)), { module: "vmlinux" });
  } else if (kernel !== undefined && kernel[0] === 0x7f && kernel[1] === 0x45) {
    try {
      symbolizer.add(parseElfSymbols(kernel), { module: "kernel" });
    } catch (e) {
      if (!(e instanceof ElfFormatError)) throw e;
    }
  }
  return symbolizer;
}

/** `hv top`: boots the guest with the PC sampler on and prints its profile. */
export async function topCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      ...RUN_OPTIONS,
      "system-map": { type: "string" },
      once: { type: "boolean", default: false },
      interval: { type: "string", default: "1" },
      lines: { type: "string", default: "20" },
      period: { type: "string", default: "10000" },
    },
  });
  if (values.help) {
    process.stdout.write(`${TOP_USAGE}\n`);
    return 0;
  }
  const interval = Number(values.interval);
  if (!(interval > 0))
    throw new UsageError(`--interval: not a positive number of seconds: ${values.interval}`);
  const lines = parseCount(values.lines ?? "20", "--lines");
  const period = parseCount(values.period ?? "10000", "--period");
  const config = guestConfig(values, TOP_USAGE);
  const guest = new GuestProfile(guestSymbolizer(values.kernel, config.kernel, values["system-map"]));
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const timer = values.once
    ? undefined
    : setInterval(() => process.stderr.write(guest.format(lines, `hv top, ${elapsed()}`)), interval * 1000);
  timer?.unref();
  let status: number;
  try {
    status = await bootGuest(
      { ...config, sampler: guest.sample, sampleEveryInstructions: period },
      "top",
      values.kernel,
    );
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
  process.stderr.write(guest.format(lines, `hv top, at exit after ${elapsed()}`));
  return status;
}
