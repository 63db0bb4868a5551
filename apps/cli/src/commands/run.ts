import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  BootLayoutError,
  DeviceStateError,
  ElfFormatError,
  ElfLoadError,
  LinuxImageError,
  SnapshotError,
  VIRT_DEFAULT_CMDLINE,
  VIRT_MAX_HARTS,
  VirtConfigError,
  VirtMachine,
  type VirtMachineConfig,
  type VirtMachineExit,
} from "@monovisor/devmodel";
import { BatchedStreamBackend, ESCAPE_HELP, EscapeDecoder } from "../terminal.js";
import { type DeviceSpecs, deviceSpecs, type OpenDevices, openDevices } from "./devices.js";
import { parseCount, parseSize, UsageError } from "./sizes.js";
import {
  SNAPSHOT_OPTIONS,
  SNAPSHOT_USAGE,
  type SnapshotTarget,
  saveAndStop,
  snapshotTarget,
} from "./snapshot.js";

export const RUN_USAGE = `usage: hv run --kernel <Image|elf> [--initrd <file>] [--append "<cmdline>"]
              [--mem 256M] [--cpus N] [--threads N] [--bios <firmware>|none]
              [--disk <file>[,format=raw|qcow2|auto][,readonly][,serial=S]]... [--rng] [--balloon]
              [--net dgram,local=HOST:PORT,remote=HOST:PORT[,mac=M][,link=on|off]]...
              [--share <hostdir>=<tag>[,readonly]]...
              [--deterministic [--epoch <date>]]
              [--snapshot-file <f.mvsnap> [--save-after <secs>]]

Boots a guest on the QEMU-compatible virt board (DESIGN §1) with the terminal as its console
(ns16550a at 0x10000000, ttyS0).

  --kernel <file>    Linux Image (default flow: S-mode entry, SBI served by monovisor);
                     with --bios <fw>, the payload at 0x80200000 (Image, u-boot-smode.bin);
                     with --bios none, an ELF or flat binary run in M-mode
  --initrd <file>    initial ramdisk (linux,initrd-start/end in /chosen)
  --append <text>    kernel command line (default "${VIRT_DEFAULT_CMDLINE}")
  --mem <size>       RAM size, e.g. 256M, 1G (default 256M; a bare number means MiB)
  --cpus <n>         harts, 1..${VIRT_MAX_HARTS} (default 1); --smp is an alias
  --threads <n>      run the harts on n host threads (at most one per hart; hart i starts on
                     thread i mod n, and an idle thread takes a waiting hart from a busy one;
                     devices stay on the main thread); 0 (the default) runs every hart on the
                     main thread. Not with --deterministic
  --bios <fw|none>   M-mode firmware at 0x80000000 (OpenSBI fw_jump.bin / fw_dynamic.bin),
                     or none
  --disk <spec>      a virtio-blk disk (repeatable; the first is /dev/vda, the next vdb, ...):
                     <file>[,format=raw|qcow2|auto][,readonly][,serial=S]; format defaults to
                     raw (name it; auto probes, never use it on a disk a guest has written)
  --rng              a virtio-rng device (host entropy, /dev/hwrng)
  --balloon          a virtio-balloon device
  --net <spec>       a virtio-net device (repeatable; eth0, eth1, ...) linked over UDP, one
                     frame per datagram as QEMU's -netdev dgram, to another hv run or QEMU:
                     dgram,local=HOST:PORT,remote=HOST:PORT[,mac=52:54:00:xx:xx:xx][,link=on|off];
                     the default MAC is derived from the local address
  --share <spec>     a host directory over virtio-9p (repeatable): <hostdir>=<tag>[,readonly];
                     in the guest: mount -t 9p -o trans=virtio,version=9p2000.L <tag> /mnt.
                     The guest cannot reach outside <hostdir>; readonly refuses every write
  --deterministic    same inputs, same run: time follows retired instructions (10 per tick
                     of the 10 MHz timebase), harts run in fixed slices in order, idle time is
                     skipped rather than waited out, device work completes at slice ends,
                     console input reaches the guest only when every hart waits
  --epoch <date>     with --deterministic: the RTC's time at boot, ISO 8601 or Unix seconds
                     (default 2024-01-01T00:00:00Z)
${SNAPSHOT_USAGE}
  -h, --help         this help

'hv restore <f.mvsnap>' continues a saved guest.

On a terminal, Ctrl-A s saves the guest to --snapshot-file and exits, Ctrl-A x quits, Ctrl-A h lists the escapes, Ctrl-A Ctrl-A sends Ctrl-A.
Otherwise standard input is sent to the guest's console.

Exit status: 0 when the guest powers off (or Ctrl-A x); 1 bad options or images; 2 guest crash;
3 engine error; 4 reset request; the code of a sifive,test failure.`;

/** Exit status for each way a run can end (see {@link RUN_USAGE}). */
export function exitStatus(exit: VirtMachineExit): number {
  switch (exit.kind) {
    case "poweroff":
    case "stopped":
      return 0;
    case "crash":
      return 2;
    case "error":
      return 3;
    case "reset":
      return 4;
    case "fail":
      return Math.min(255, Math.max(1, exit.code));
  }
}

/** One line saying why the run ended, or undefined after a clean poweroff. */
export function exitMessage(exit: VirtMachineExit): string | undefined {
  switch (exit.kind) {
    case "poweroff":
    case "stopped":
      return undefined;
    case "crash":
      return `guest crashed: ${exit.message}`;
    case "error":
      return `engine error: ${exit.error instanceof Error ? exit.error.message : String(exit.error)}`;
    case "reset":
      return "the guest requested a reset (reboot is not supported; exiting)";
    case "fail":
      return `the guest reported failure with code ${exit.code}`;
  }
}

function readImage(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? String(e));
    throw new UsageError(`cannot read ${what} ${path}: ${reason}`);
  }
}

/** The options of `hv run`, shared by the commands that boot a guest the same way (`hv stat`). */
export const RUN_OPTIONS = {
  kernel: { type: "string" },
  initrd: { type: "string" },
  append: { type: "string" },
  mem: { type: "string", short: "m", default: "256M" },
  cpus: { type: "string" },
  smp: { type: "string" },
  threads: { type: "string" },
  bios: { type: "string" },
  disk: { type: "string", multiple: true },
  rng: { type: "boolean", default: false },
  balloon: { type: "boolean", default: false },
  net: { type: "string", multiple: true },
  share: { type: "string", multiple: true },
  deterministic: { type: "boolean", default: false },
  epoch: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Parsed values of {@link RUN_OPTIONS}. */
export interface RunValues {
  kernel?: string;
  initrd?: string;
  append?: string;
  mem?: string;
  cpus?: string;
  smp?: string;
  threads?: string;
  bios?: string;
  disk?: string[];
  rng?: boolean;
  balloon?: boolean;
  net?: string[];
  share?: string[];
  deterministic?: boolean;
  epoch?: string;
}

/**
 * What `hv run` hands the virt machine, less the console; the virtio devices are specs, opened
 * by {@link bootGuest} and closed when the guest stops.
 */
export type GuestConfig = Omit<VirtMachineConfig, "console" | "virtio"> & {
  readonly hartCount: number;
  readonly devices: DeviceSpecs;
};

/** `hv run`: boots the guest and returns the process exit status. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: { ...RUN_OPTIONS, ...SNAPSHOT_OPTIONS },
  });
  if (values.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  const snapshot = snapshotTarget(values);
  return bootGuest(guestConfig(values, RUN_USAGE), "run", values.kernel, { snapshot });
}

/** Checks the options and reads the images; throws {@link UsageError} when they are unusable. */
export function guestConfig(values: RunValues, usage: string): GuestConfig {
  if (values.kernel === undefined && (values.bios === undefined || values.bios === "none")) {
    throw new UsageError(`--kernel is required\n${usage}`);
  }
  const memoryBytes = parseSize(values.mem ?? "256M", "--mem", "M");
  const cpusText = values.cpus ?? values.smp ?? "1";
  const hartCount = parseCount(cpusText, "--cpus");
  if (hartCount > VIRT_MAX_HARTS)
    throw new UsageError(`--cpus: ${hartCount} is above the maximum of ${VIRT_MAX_HARTS}`);

  const threads = values.threads === undefined ? 0 : parseThreads(values.threads);
  if (threads > 0 && values.deterministic === true) {
    throw new UsageError("--threads: deterministic mode runs every hart on one thread; drop one of them");
  }

  const kernel = values.kernel === undefined ? undefined : readImage(values.kernel, "kernel");
  const initrd = values.initrd === undefined ? undefined : readImage(values.initrd, "initrd");
  const bios =
    values.bios === undefined
      ? undefined
      : values.bios === "none"
        ? "none"
        : readImage(values.bios, "firmware");
  const devices = deviceSpecs(values);
  const deterministic = values.deterministic === true;
  if (values.epoch !== undefined && !deterministic) {
    throw new UsageError("--epoch needs --deterministic (otherwise the RTC follows the host's clock)");
  }
  const epoch = values.epoch === undefined ? undefined : parseEpoch(values.epoch);
  return {
    memoryBytes,
    hartCount,
    kernel,
    initrd,
    cmdline: values.append,
    bios,
    devices,
    ...(deterministic ? { deterministic, epoch } : {}),
    ...(threads > 0 ? { threads: Math.min(threads, hartCount) } : {}),
  };
}

/** `--threads`: 0 (the main thread) up to one thread per possible hart. */
export function parseThreads(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n > VIRT_MAX_HARTS) {
    throw new UsageError(`--threads: '${text}' is not a thread count (0..${VIRT_MAX_HARTS})`);
  }
  return n;
}

/** `--epoch`: an ISO 8601 date (`2024-01-01`, `2024-01-01T12:00:00Z`) or Unix seconds. */
export function parseEpoch(text: string): Date {
  const date = /^\d+$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(date.getTime()) || date.getTime() < 0) {
    throw new UsageError(`--epoch: '${text}' is not a date (try 2024-01-01T00:00:00Z or Unix seconds)`);
  }
  return date;
}

/**
 * Boots `config` with the terminal as the console, runs it to the end and returns the exit
 * status; `command` names the command in messages, `kernelPath` the kernel in image errors.
 */
export async function bootGuest(
  config: GuestConfig,
  command: string,
  kernelPath?: string,
  extra: BootExtras = {},
): Promise<number> {
  const output = new BatchedStreamBackend(process.stdout);
  const { devices: specs, ...machineConfig } = config;
  const devices = await openDevices(specs);
  const warn = (message: string): void => {
    output.flush();
    process.stderr.write(`${process.stdin.isTTY ? "\r\n" : ""}hv ${command}: warning: ${message}\n`);
  };
  let machine: VirtMachine;
  try {
    machine =
      extra.restoreFrom === undefined
        ? new VirtMachine({ ...machineConfig, virtio: devices.virtio, onWarning: warn, console: output })
        : VirtMachine.fromSnapshot(extra.restoreFrom, {
            threads: machineConfig.threads,
            virtio: devices.virtio,
            onWarning: warn,
            console: output,
          });
  } catch (e) {
    await devices.close();
    if (
      e instanceof VirtConfigError ||
      e instanceof LinuxImageError ||
      e instanceof BootLayoutError ||
      e instanceof ElfFormatError ||
      e instanceof ElfLoadError ||
      e instanceof SnapshotError ||
      e instanceof DeviceStateError ||
      (e instanceof Error && e.name === "HartStateError")
    ) {
      const subject = e instanceof LinuxImageError ? `${kernelPath}: ` : "";
      throw new UsageError(`${subject}${e.message}`);
    }
    throw e;
  }

  const target = extra.snapshot;
  const report = (message: string): void => {
    output.flush();
    process.stderr.write(`${process.stdin.isTTY ? "\r\n" : ""}hv ${command}: ${message}\n`);
  };
  const save = (): void => {
    if (target === undefined) report("no --snapshot-file given; cannot save");
    else void saveAndStop(machine, target, report);
  };
  const saveTimer =
    target?.afterSeconds === undefined ? undefined : setTimeout(save, target.afterSeconds * 1000);
  const detachInput = attachConsoleInput(machine, output, save);
  let exit: VirtMachineExit;
  try {
    exit = await machine.run();
  } finally {
    clearTimeout(saveTimer);
    detachInput();
    output.flush();
    await closeDevices(devices, command);
  }
  const message = exitMessage(exit);
  if (message !== undefined)
    process.stderr.write(`${process.stdin.isTTY ? "\r\n" : ""}hv ${command}: ${message}\n`);
  return exitStatus(exit);
}

/** What a boot may do besides booting: restore a snapshot instead, save one on request. */
export interface BootExtras {
  readonly restoreFrom?: Uint8Array;
  readonly snapshot?: SnapshotTarget;
}

/** Flushes and closes the disks; a failure is reported, since guest writes may be lost. */
async function closeDevices(devices: OpenDevices, command: string): Promise<void> {
  for (const error of await devices.close()) {
    process.stderr.write(`hv ${command}: closing a disk failed: ${error}\n`);
  }
}

/**
 * Connects standard input to the guest console: raw mode with escapes on a terminal, plain
 * bytes otherwise. Returns a function that restores the terminal and lets the process exit.
 */
function attachConsoleInput(
  machine: VirtMachine,
  output: BatchedStreamBackend,
  save: () => void,
): () => void {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  const decoder = new EscapeDecoder();
  const onData = (data: Buffer): void => {
    if (!tty) {
      machine.sendInput(data);
      return;
    }
    const { toGuest, actions } = decoder.feed(data);
    machine.sendInput(toGuest);
    for (const action of actions) {
      if (action === "quit") machine.stop();
      else if (action === "save") save();
      else {
        output.flush();
        process.stderr.write(ESCAPE_HELP);
      }
    }
  };
  if (tty) stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    if (tty) stdin.setRawMode(false);
    stdin.pause();
  };
}
