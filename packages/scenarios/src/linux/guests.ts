import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CharBackend,
  VirtMachine,
  type VirtMachineConfig,
  type VirtMachineExit,
} from "@monovisor/devmodel";

/** Walks up from this file to the monorepo root (the folder with pnpm-workspace.yaml). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error("cannot find the monorepo root (pnpm-workspace.yaml) above the scenario tests");
    dir = parent;
  }
  return dir;
}

/**
 * The shared guest images: `$MONOVISOR_GUESTS`, else `../shared/guests` next to the repository
 * (see its README). Throws with instructions when they are missing: these scenarios must not
 * pass vacuously.
 */
export function guestsDir(): string {
  const dir = process.env.MONOVISOR_GUESTS ?? resolve(repoRoot(), "../shared/guests");
  const needed = ["linux-6.1-virt/Image", "linux-6.1-virt/initramfs.cpio.gz"];
  const missing = needed.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `guest images missing in ${dir}: ${missing.join(", ")}. Build them with the guests' build.sh ` +
        "or point MONOVISOR_GUESTS at a folder holding linux-6.1-virt/ and firmware/.",
    );
  }
  return dir;
}

export function guestFile(relative: string): Uint8Array {
  const path = join(guestsDir(), relative);
  if (!existsSync(path)) throw new Error(`guest file missing: ${path}`);
  return new Uint8Array(readFileSync(path));
}

/** `run=<base64>` for the guest's init: it runs the script, prints its status, powers off. */
export function runScriptArg(script: string): string {
  return `run=${Buffer.from(script).toString("base64")}`;
}

export interface GuestRun {
  readonly exit: VirtMachineExit;
  readonly console: string;
  readonly seconds: number;
}

/** Console output collected as text, with waiters for a substring to appear. */
export class ConsoleRecorder implements CharBackend {
  text = "";
  private readonly decoder = new TextDecoder();
  private waiters: { needle: string; resolve: () => void }[] = [];

  write(bytes: Uint8Array): void {
    this.text += this.decoder.decode(bytes, { stream: true });
    this.waiters = this.waiters.filter((w) => {
      if (!this.text.includes(w.needle)) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `needle` has been printed. */
  waitFor(needle: string): Promise<void> {
    if (this.text.includes(needle)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ needle, resolve }));
  }
}

/**
 * Boots a guest on the virt machine and runs it to the end, stopping it after `timeoutMs` (the
 * exit is then `stopped`, and the console shows how far it got).
 */
export async function bootGuest(
  config: VirtMachineConfig,
  timeoutMs: number,
  drive?: (vm: VirtMachine, console: ConsoleRecorder) => Promise<void>,
): Promise<GuestRun> {
  const recorder = new ConsoleRecorder();
  const vm = new VirtMachine({ ...config, console: recorder });
  const started = performance.now();
  const timer = setTimeout(() => vm.stop(), timeoutMs);
  try {
    const running = vm.run();
    if (drive !== undefined) await Promise.race([drive(vm, recorder), running]);
    const exit = await running;
    return { exit, console: recorder.text, seconds: (performance.now() - started) / 1000 };
  } finally {
    clearTimeout(timer);
  }
}
