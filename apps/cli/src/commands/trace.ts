import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  formatSymbol,
  parseSystemMap,
  RecordingFormatError,
  readRecording,
  Symbolizer,
  Tracer,
  toChromeTrace,
  UnknownTracepointError,
} from "@monovisor/perf";
import { bootGuest, guestConfig, RUN_OPTIONS } from "./run.js";
import { UsageError } from "./sizes.js";
import { formatTraceReport } from "./trace-report.js";

export const TRACE_USAGE = `usage: hv trace record -o <file.mvtrace> [-e <events>]... --kernel <Image|elf> [hv run options]
       hv trace report <file.mvtrace> [--perfetto <out.json>] [--system-map <System.map>]

record  Boots a guest exactly as 'hv run' does (console on the terminal, same exit status) and
        records the engine's tracepoints to a binary recording.
          -o, --output <file>   where to write the recording (required)
          -e, --event <sel>     what to record: names, globs and classes, comma-separated or
                                repeated (e.g. -e 'hart.trap,mmio.*' -e class:irq);
                                default all tracepoints
report  Prints a summary of a recording: events by tracepoint and vCPU, span durations
        (p50/p90/p99) and interrupt latency (line raised -> claimed) per source.
          --perfetto <file>     also write Chrome/Perfetto trace JSON (one track per vCPU),
                                for ui.perfetto.dev or chrome://tracing
          --system-map <file>   name pc/epc fields in the JSON from a kernel System.map

  -h, --help         this help`;

/** Records per vCPU ring; drained every few milliseconds while the guest runs. */
const RING_CAPACITY = 1 << 16;
const DRAIN_INTERVAL_MS = 10;

/** `hv trace`: `record` or `report`. */
export async function traceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    process.stdout.write(`${TRACE_USAGE}\n`);
    return sub === undefined ? 1 : 0;
  }
  if (sub === "record") return traceRecord(rest);
  if (sub === "report") return traceReport(rest);
  throw new UsageError(`unknown subcommand '${sub}' (record or report)\n${TRACE_USAGE}`);
}

async function traceRecord(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      ...RUN_OPTIONS,
      output: { type: "string", short: "o" },
      event: { type: "string", short: "e", multiple: true },
    },
  });
  if (values.help) {
    process.stdout.write(`${TRACE_USAGE}\n`);
    return 0;
  }
  if (values.output === undefined) throw new UsageError(`-o <file> is required\n${TRACE_USAGE}`);
  const config = guestConfig(values, TRACE_USAGE);
  const tracer = new Tracer({
    vm: { id: 1, name: "guest" },
    vcpus: config.hartCount,
    ringCapacity: RING_CAPACITY,
    // vCPU threads write their rings themselves.
    shared: config.threads !== undefined,
  });
  for (const selector of values.event ?? ["*"]) {
    try {
      tracer.enable(selector, "trace");
    } catch (e) {
      if (e instanceof UnknownTracepointError) throw new UsageError(`-e: ${e.message}`);
      throw e;
    }
  }
  const stopDrain = tracer.startAutoDrain(DRAIN_INTERVAL_MS);
  tracer.startRecording();
  let status: number;
  let bytes: Uint8Array;
  try {
    status = await bootGuest({ ...config, tracer }, "trace record", values.kernel);
  } finally {
    stopDrain();
    bytes = tracer.stopRecording();
  }
  writeFileSync(values.output, bytes);
  const recording = readRecording(bytes);
  const lost = recording.lost.reduce((a, b) => a + b, 0);
  process.stderr.write(
    `hv trace record: ${recording.records.length} events written to ${values.output}` +
      `${lost > 0 ? ` (${lost} lost to full rings)` : ""}\n`,
  );
  return status;
}

function traceReport(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      perfetto: { type: "string" },
      "system-map": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${TRACE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`give one recording\n${TRACE_USAGE}`);
  const file = positionals[0];
  let recording: ReturnType<typeof readRecording>;
  try {
    recording = readRecording(new Uint8Array(readFileSync(file)));
  } catch (e) {
    if (e instanceof RecordingFormatError || (e as NodeJS.ErrnoException).code !== undefined)
      throw new UsageError(`${file}: ${(e as Error).message}`);
    throw e;
  }
  process.stdout.write(formatTraceReport(recording));
  if (values.perfetto !== undefined) {
    let symbolize: ((address: bigint) => string | undefined) | undefined;
    if (values["system-map"] !== undefined) {
      const symbolizer = new Symbolizer();
      symbolizer.add(parseSystemMap(readText(values["system-map"])), { module: "vmlinux" });
      symbolize = (address) => {
        const match = symbolizer.lookup(address);
        return match && formatSymbol(match);
      };
    }
    writeFileSync(values.perfetto, JSON.stringify(toChromeTrace(recording, { symbolize })));
    process.stdout.write(`Perfetto / Chrome trace written to ${values.perfetto}\n`);
  }
  return 0;
}

/** Reads a text file named on the command line; a missing file is a usage error. */
export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
