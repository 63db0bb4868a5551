import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const QEMU_BINARY = "qemu-system-riscv64";
/** Why a QEMU column is empty when {@link findQemu} found nothing. */
export const QEMU_MISSING = `${QEMU_BINARY} not found on PATH or at $QEMU_SYSTEM_RISCV64 (Debian package qemu-system-misc); QEMU side skipped`;

export interface QemuRun {
  /** Wall seconds from spawn to exit, process startup included. */
  readonly seconds: number;
  /** Exit status; null when QEMU was killed (by a signal or the timeout). */
  readonly exitCode: number | null;
  /** stdout and stderr interleaved as they arrived: the guest console and QEMU's messages. */
  readonly output: string;
  readonly timedOut: boolean;
}

/** Finds QEMU on `PATH` (or `$QEMU_SYSTEM_RISCV64`), so a missing one is a message, not a crash. */
export function findQemu(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env.QEMU_SYSTEM_RISCV64;
  if (override) return isExecutable(override) ? override : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, QEMU_BINARY);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs QEMU as a child of this process with the console on a pipe and no input, and times it
 * from spawn to exit. Never rejects: a spawn error is reported as a failed run.
 */
export function runQemu(binary: string, args: readonly string[], timeoutMs: number): Promise<QemuRun> {
  return new Promise((resolve) => {
    let output = "";
    let timedOut = false;
    let exitedAt: number | undefined;
    const started = performance.now();
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("exit", () => {
      exitedAt = performance.now();
    });
    child.on("error", (error) => {
      output += `${error.message}\n`;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const seconds = ((exitedAt ?? performance.now()) - started) / 1000;
      resolve({ seconds, exitCode: code, output, timedOut });
    });
  });
}

/** The last lines of a console, to show why a guest run failed. */
export function tail(text: string, lines = 5): string {
  return text.trimEnd().split("\n").slice(-lines).join(" | ");
}
