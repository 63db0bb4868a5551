/**
 * The one place the benchmark touches monovisor's `virt` board. The board is looked up at run
 * time, so the benchmark builds and runs (reporting "not available") before the board is exported
 * from `@monovisor/devmodel`, and only this file changes if its API does.
 */

export interface LinuxBootRequest {
  readonly kernel: Uint8Array;
  readonly initrd: Uint8Array;
  readonly cmdline: string;
  readonly memoryBytes: number;
  /** Stop the guest after this long. */
  readonly timeoutMs: number;
}

export interface LinuxBootOutcome {
  /** True when the guest powered the machine off (the only clean end for these workloads). */
  readonly poweredOff: boolean;
  /** How the run ended, for messages: `poweroff`, `reset`, `timeout`, `crash: ...`. */
  readonly exit: string;
  readonly console: string;
  /** Instructions retired by all harts, when the board reports them. */
  readonly instructions: number | undefined;
}

export interface LinuxBoard {
  boot(request: LinuxBootRequest): Promise<LinuxBootOutcome>;
}

/** The part of `VirtMachine` the benchmark uses, written out so it does not import the type. */
interface VirtMachineLike {
  readonly harts: readonly { readonly instret: number }[];
  run(): Promise<{ readonly kind: string; readonly message?: string; readonly code?: number }>;
  stop(): void;
}

type VirtMachineConstructor = new (config: {
  kernel: Uint8Array;
  initrd: Uint8Array;
  cmdline: string;
  memoryBytes: number;
  hartCount: number;
  console: { write(bytes: Uint8Array): void };
}) => VirtMachineLike;

/** The board, or undefined when `@monovisor/devmodel` does not export it yet. */
export async function loadLinuxBoard(): Promise<LinuxBoard | undefined> {
  return linuxBoardFrom(await import("@monovisor/devmodel"));
}

/** The board from a module's exports, or undefined when it has no `VirtMachine`. */
export function linuxBoardFrom(exports: Record<string, unknown>): LinuxBoard | undefined {
  const VirtMachine = exports.VirtMachine;
  if (typeof VirtMachine !== "function") return undefined;
  return { boot: (request) => bootVirtMachine(VirtMachine as VirtMachineConstructor, request) };
}

async function bootVirtMachine(
  VirtMachine: VirtMachineConstructor,
  request: LinuxBootRequest,
): Promise<LinuxBootOutcome> {
  const decoder = new TextDecoder();
  let console = "";
  const vm = new VirtMachine({
    kernel: request.kernel,
    initrd: request.initrd,
    cmdline: request.cmdline,
    memoryBytes: request.memoryBytes,
    hartCount: 1,
    console: {
      write: (bytes) => {
        console += decoder.decode(bytes, { stream: true });
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
    const instructions = vm.harts.reduce((sum, hart) => sum + hart.instret, 0);
    const detail = exit.message ?? (exit.code === undefined ? "" : `code ${exit.code}`);
    return {
      poweredOff: exit.kind === "poweroff",
      exit: timedOut ? "timeout" : detail ? `${exit.kind}: ${detail}` : exit.kind,
      console,
      instructions: Number.isFinite(instructions) ? instructions : undefined,
    };
  } finally {
    clearTimeout(timer);
  }
}
