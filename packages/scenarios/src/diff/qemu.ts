import { spawn } from "node:child_process";
import { QEMU_BINARY, requireTool } from "./toolchain.js";

export type QemuMachine = "virt" | "spike";

export interface QemuRunOptions {
  /** `virt` (UART + syscon) or `spike` (HTIF). Default `virt`. */
  machine?: QemuMachine;
  /** Wall-clock limit; the run is killed and reported as timed out. Default 30 s. */
  timeoutMs?: number;
  memoryMiB?: number;
}

export interface QemuRunResult {
  /** Everything the guest printed (UART on virt, HTIF console on spike). */
  console: string;
  /** QEMU's exit status: 0 for pass; the syscon/HTIF failure code otherwise. */
  exitCode: number | null;
  timedOut: boolean;
  stderr: string;
}

/** The CPU model: rv64 with the bit-manipulation extensions the guests use. */
const QEMU_CPU = "rv64,zba=true,zbb=true,zbs=true";

export function qemuArgs(elfPath: string, options: QemuRunOptions = {}): string[] {
  const machine = options.machine ?? "virt";
  return [
    "-M",
    machine,
    "-cpu",
    QEMU_CPU,
    "-bios",
    "none",
    "-m",
    `${options.memoryMiB ?? 128}M`,
    "-smp",
    "1",
    "-nographic",
    "-no-reboot",
    "-monitor",
    "none",
    "-serial",
    "stdio",
    "-kernel",
    elfPath,
  ];
}

/** Runs a bare-metal ELF on qemu-system-riscv64 and collects its console output. */
export function runQemu(elfPath: string, options: QemuRunOptions = {}): Promise<QemuRunResult> {
  requireTool(QEMU_BINARY);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU_BINARY, qemuArgs(elfPath, options), { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        console: Buffer.concat(out).toString("latin1"),
        exitCode: code,
        timedOut,
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}
