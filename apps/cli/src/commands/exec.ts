import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ElfFormatError, ElfLoadError, runBareMetal } from "@monovisor/devmodel";
import { parseCount, parseSize, UsageError } from "./sizes.js";

export const EXEC_USAGE = `usage: hv exec <program.elf> [--mem 128M] [--max-instructions N] [--quiet]

Runs a bare-metal RV64 program in M-mode from its ELF entry, as qemu-system-riscv64 -bios none
or Spike do: RAM at 0x80000000, NS16550A UART at 0x10000000, sifive,test at 0x100000, CLINT at
0x2000000, and HTIF through the ELF's tohost/fromhost symbols.

Exit status: 0 pass; the program's code when it fails; 2 unhandled trap; 3 instruction limit;
4 reset request; 5 wfi with nothing to wake it; 1 bad input.`;

/** `hv exec`: returns the process exit status. */
export function execCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mem: { type: "string", default: "128M" },
      "max-instructions": { type: "string" },
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${EXEC_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`expected one program, got ${positionals.length}\n${EXEC_USAGE}`);
  const path = positionals[0];
  const memBytes = parseSize(values.mem, "--mem", "M");
  if (memBytes % 4096 !== 0) throw new UsageError(`--mem: ${values.mem} is not a multiple of 4 KiB`);
  const maxInstructions =
    values["max-instructions"] === undefined
      ? undefined
      : parseCount(values["max-instructions"], "--max-instructions");
  let elf: Uint8Array;
  try {
    elf = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const started = performance.now();
  let result: ReturnType<typeof runBareMetal>;
  try {
    result = runBareMetal(elf, {
      memBytes,
      maxInstructions,
      onOutput: (bytes) => process.stdout.write(bytes),
    });
  } catch (e) {
    if (e instanceof ElfFormatError || e instanceof ElfLoadError)
      throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
  const seconds = (performance.now() - started) / 1000;
  if (!values.quiet || result.status !== "pass") {
    const mips = result.instructions / seconds / 1e6;
    process.stderr.write(
      `hv exec: ${result.message} after ${result.instructions} instructions (${seconds.toFixed(2)} s, ${mips.toFixed(1)} MIPS)\n`,
    );
  }
  return result.status === "pass" ? 0 : Math.min(255, Math.max(1, result.exitCode));
}
