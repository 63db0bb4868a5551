#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { execCommand } from "./commands/exec.js";
import { restoreCommand } from "./commands/restore.js";
import { runCommand } from "./commands/run.js";
import { UsageError } from "./commands/sizes.js";
import { statCommand } from "./commands/stat.js";
import { topCommand } from "./commands/top.js";
import { traceCommand } from "./commands/trace.js";

interface Command {
  readonly summary: string;
  /** Returns the process exit status. */
  readonly handler: (argv: string[]) => number | Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  run: {
    summary: "boot a guest on the virt board (Linux, OpenSBI, U-Boot, bare metal)",
    handler: runCommand,
  },
  stat: {
    summary: "boot a guest like 'run' and print its exit statistics (traps, SBI, MMIO, WFI)",
    handler: statCommand,
  },
  top: {
    summary: "boot a guest like 'run' and profile it: the guest functions it runs most",
    handler: topCommand,
  },
  trace: {
    summary: "record a guest run's tracepoints ('trace record'), summarize or export them ('trace report')",
    handler: traceCommand,
  },
  restore: { summary: "continue a guest saved by 'run --snapshot-file'", handler: restoreCommand },
  exec: { summary: "run a bare-metal RV64 program (tests, benchmarks)", handler: execCommand },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: hv <command> [options]

monovisor: a RISC-V (RV64GC) virtualization stack.

commands:
${lines.join("\n")}

Run 'hv <command> --help' for a command's options. 'hv --version' prints the version.`;
}

function version(): string {
  // src/main.ts and dist/main.js both sit one level below the package root.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `hv ${pkg.version}`;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(`${usage()}\n`);
    return first === undefined ? 1 : 0;
  }
  if (first === "-V" || first === "--version" || first === "version") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    process.stderr.write(`hv: unknown command '${first}'\n${usage()}\n`);
    return 1;
  }
  try {
    return await command.handler(rest);
  } catch (e) {
    // parseArgs reports unknown or malformed options with these codes.
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`hv ${first}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(
      `hv: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  },
);
