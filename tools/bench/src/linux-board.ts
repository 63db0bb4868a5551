import { VirtMachine, type VirtMachineExit } from "@monovisor/devmodel";
import type { VcpuPool } from "@monovisor/hv-core";

export interface LinuxBootRequest {
  readonly kernel: Uint8Array;
  readonly initrd: Uint8Array;
  readonly cmdline: string;
  readonly memoryBytes: number;
  /** Harts (default 1). */
  readonly hartCount?: number;
  /** `VirtMachine`'s `threads`: worker threads for the harts; 0 or absent runs them on this thread. */
  readonly threads?: number;
  /** A vCPU pool to run the harts on instead of `threads` (closed by the caller). */
  readonly pool?: VcpuPool;
  /** Sees the console as it arrives, for measurements keyed to guest output. */
  readonly onConsole?: (text: string) => void;
  /** Stop the guest after this long. */
  readonly timeoutMs: number;
}

export interface LinuxBootOutcome {
  /** True when the guest powered the machine off (the only clean end for these workloads). */
  readonly poweredOff: boolean;
  /** How the run ended, for messages: `poweroff`, `reset`, `timeout`, `crash: ...`. */
  readonly exit: string;
  readonly console: string;
  /** Instructions retired by all harts. */
  readonly instructions: number;
}

/** How a run ended, in words: the exit kind and whatever detail it carries. */
export function describeExit(exit: VirtMachineExit, timedOut: boolean): string {
  if (timedOut) return "timeout";
  switch (exit.kind) {
    case "crash":
      return `crash: ${exit.message}`;
    case "fail":
      return `fail: code ${exit.code}`;
    case "error":
      return `error: ${exit.error instanceof Error ? exit.error.message : String(exit.error)}`;
    default:
      return exit.kind;
  }
}

/** Boots the shared Linux guest on the `virt` board (one hart unless asked) and collects its console. */
export async function bootLinux(request: LinuxBootRequest): Promise<LinuxBootOutcome> {
  const decoder = new TextDecoder();
  let console = "";
  const vm = new VirtMachine({
    kernel: request.kernel,
    initrd: request.initrd,
    cmdline: request.cmdline,
    memoryBytes: request.memoryBytes,
    hartCount: request.hartCount ?? 1,
    ...(request.pool === undefined ? { threads: request.threads ?? 0 } : { pool: request.pool }),
    console: {
      write: (bytes) => {
        const text = decoder.decode(bytes, { stream: true });
        console += text;
        request.onConsole?.(text);
      },
    },
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    vm.stop();
  }, request.timeoutMs);
  try {
    const exit = await vm.run();
    console += decoder.decode();
    return {
      poweredOff: exit.kind === "poweroff" && !timedOut,
      exit: describeExit(exit, timedOut),
      console,
      instructions: vm.harts.reduce((sum, hart) => sum + hart.instret, 0),
    };
  } finally {
    clearTimeout(timer);
  }
}
