import {
  Aclint,
  AclintSswi,
  absoluteOrigin,
  type Clock,
  createSbiSharedState,
  enterSupervisor,
  fatalTrapMessage,
  GuestMemory,
  Hart,
  InstructionClock,
  type IrqLine,
  MmioBus,
  PLIC_VIRT_SOURCE_COUNT,
  Plic,
  SbiServer,
  type ThreadedMmioRegion,
  type VcpuControl,
  VcpuPool,
  VcpuThreads,
  WallClock,
} from "@monovisor/hv-core";
import type { Tracer } from "@monovisor/perf";
import { type CharBackend, NullCharBackend } from "../backends/char-backend.js";
import { loadElf, parseElf } from "../loaders/elf.js";
import { loadLinuxBoot, parseLinuxImage, planLinuxBoot } from "../loaders/linux-image.js";
import { GoldfishRtc, type WallTimeSource } from "../rtc/goldfish-rtc.js";
import { SnapshotClock } from "../snapshot/snapshot-clock.js";
import { readSnapshot, type SnapshotReader, writeSnapshot } from "../snapshot/snapshot-file.js";
import {
  VIRT_SNAPSHOT_TYPE,
  VIRT_SNAPSHOT_VERSION,
  type VirtMachineState,
} from "../snapshot/virt-snapshot.js";
import { SifiveTest } from "../syscon/sifive-test.js";
import { Ns16550a } from "../uart/ns16550a.js";
import { UART_LSR } from "../uart/registers.js";
import type { VirtioDevice } from "../virtio/device.js";
import { VirtioMmioTransport } from "../virtio/mmio-transport.js";
import { encodeFwDynamicInfo, FW_DYNAMIC_NEXT_MODE_S, planFirmwareBoot } from "./boot-layout.js";
import { EmptyVirtioSlot } from "./empty-virtio-slot.js";
import { VIRT_DRAM_BASE, VIRT_VIRTIO_COUNT, type VirtRegion, virtMemoryMap } from "./memory-map.js";
import { buildVirtDeviceTree } from "./virt-device-tree.js";

const MiB = 1024 * 1024;
export const VIRT_DEFAULT_MEMORY = 256 * MiB;
/** Enough for the ISA tests and firmware; a Linux guest needs more. */
export const VIRT_MIN_MEMORY = 16 * MiB;
export const VIRT_MAX_HARTS = 8;
/** What `hv run` appends when the user gives no command line. */
export const VIRT_DEFAULT_CMDLINE = "console=ttyS0 earlycon=sbi";
/** Room left at the end of the DTB for firmware that edits it in place (OpenSBI, U-Boot). */
const DTB_PADDING = 16 * 1024;

/** SRST `reset_type` for shutdown; the reboot types both end the run as a reset request. */
const SRST_SHUTDOWN = 0;
/** Deterministic mode: retired instructions (all harts together) per 10 MHz clock tick. */
export const VIRT_INSTRUCTIONS_PER_TICK = 10;
/** Deterministic mode: what the RTC reads at virtual time zero unless `epoch` says otherwise. */
export const VIRT_DEFAULT_EPOCH = new Date("2024-01-01T00:00:00Z");

/**
 * How the machine starts:
 * - `hypervisor` (default): the kernel `Image` starts in S-mode; the hypervisor serves SBI.
 * - `firmware`: M-mode firmware (OpenSBI `fw_jump`/`fw_dynamic`) at the start of RAM, the kernel
 *   (an `Image`, U-Boot, any S-mode payload) at RAM + 2 MiB, as `qemu-system-riscv64 -bios`.
 * - `none`: the kernel (ELF or flat image) runs in M-mode at its entry, as `-bios none`.
 */
export type VirtBootFlow = "hypervisor" | "firmware" | "none";

/** A device for a virtio-mmio slot, optionally behind the legacy (version 1) interface. */
export type VirtVirtioSlot = VirtioDevice | { readonly device: VirtioDevice; readonly legacy?: boolean };

export interface VirtMachineConfig {
  /** RAM bytes at 0x8000_0000 (default 256 MiB). */
  readonly memoryBytes?: number;
  /** Harts (1..8, default 1). */
  readonly hartCount?: number;
  /** Linux `Image`, an S-mode payload (firmware flow), or an ELF / flat binary (`bios: "none"`). */
  readonly kernel?: Uint8Array;
  readonly initrd?: Uint8Array;
  /** `/chosen/bootargs`; default {@link VIRT_DEFAULT_CMDLINE}. */
  readonly cmdline?: string;
  /** Firmware image (binary or ELF), `"none"`, or undefined for the hypervisor flow. */
  readonly bios?: Uint8Array | "none";
  /** Where the UART (and the SBI console) write. */
  readonly console?: CharBackend;
  /** Time base of `mtime`, `time` and the timers; it must advance while the machine sleeps (default: host wall clock, 10 MHz). */
  readonly clock?: Clock;
  /** Wall time the RTC reports (default: the host's). */
  readonly rtcTime?: WallTimeSource;
  /** Instructions a hart runs before the next one gets its turn (default 50 000). */
  readonly sliceInstructions?: number;
  /**
   * Runs the guest so the same inputs give the same trace: time is an {@link InstructionClock}
   * ({@link VIRT_INSTRUCTIONS_PER_TICK} instructions retired by any hart per tick) that jumps to
   * the next deadline when every hart waits; harts take fixed slices in hart order; device work
   * runs, and is awaited, at slice boundaries; host console input reaches the guest only when
   * every hart waits. Excludes `clock`.
   */
  readonly deterministic?: boolean;
  /** Deterministic mode: the RTC's wall time at virtual time zero (default {@link VIRT_DEFAULT_EPOCH}). */
  readonly epoch?: Date;
  /**
   * Trace session for the engine's events: every hart emits as vCPU = hart ID, the SBI server
   * emits `sbi.call`, the PLIC `irq.*`, the ACLINT `timer.*` and each virtio transport
   * `virtio.request`. What is recorded follows the tracer's enablement. Needs at least
   * `hartCount` vCPUs. With vCPU threads it must be made with `shared: true`: each thread
   * emits its harts' events and its scheduler's `sched.*` (switches, blocks, wakes, steal time)
   * into it; drain it on this thread as usual.
   */
  readonly tracer?: Tracer;
  /**
   * Guest-PC sampler for profiling (`hv top`): called between slices with the hart's pc (32-bit
   * halves) and privilege (U=0, S=1, M=3), about every {@link sampleEveryInstructions}
   * instructions a hart runs. Without it the run loop does no sampling work. With vCPU
   * threads the samples are queued by the threads and delivered on this thread.
   */
  readonly sampler?: (hartId: number, pcLo: number, pcHi: number, priv: number) => void;
  /** Sampling period in instructions; slices shrink to it while sampling (default 10 000). */
  readonly sampleEveryInstructions?: number;
  /**
   * Devices for the virtio-mmio slots, at most 8: entry i goes to slot i (0x1000_1000 + i * 0x1000,
   * PLIC source i + 1); the rest stay empty. Linux probes the slots in device-tree order, lowest
   * address first, so the first block device is `vda`, the next `vdb`.
   */
  readonly virtio?: readonly VirtVirtioSlot[];
  /** One-line warnings while the guest runs (a virtio device stopped itself); default: dropped. */
  readonly onWarning?: (message: string) => void;
  /**
   * Runs the harts on this many `worker_threads` of the machine's own (at most one per hart)
   * over shared memory; the devices stay on the calling thread. Default 0: all harts take turns
   * on the calling thread. Not combinable with `deterministic` or `clock`.
   */
  readonly threads?: number;
  /**
   * Runs the harts on a pool of vCPU threads that other machines may share (instead of
   * `threads`); the pool's scheduler shares its workers by `weight` and `cap`.
   */
  readonly pool?: VcpuPool;
  /** With `pool`: proportional share against the pool's other machines (default 256). */
  readonly weight?: number;
  /** With `pool`: at most this much CPU, in percent of one worker (0 = no cap). */
  readonly cap?: number;
  /** With `pool` or `threads`: `affinity[i]` lists the worker threads hart i may run on. */
  readonly affinity?: readonly (readonly number[] | undefined)[];
}

/** Why {@link VirtMachine.run} returned. */
export type VirtMachineExit =
  | { readonly kind: "poweroff" }
  | { readonly kind: "reset" }
  | { readonly kind: "fail"; readonly code: number }
  | { readonly kind: "stopped" }
  | { readonly kind: "crash"; readonly message: string }
  | { readonly kind: "error"; readonly error: unknown };

/** A problem with the configuration (sizes, images) found before anything runs. */
export class VirtConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VirtConfigError";
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * What {@link VirtMachine.fromSnapshot} takes: the host side again (console, clock, the virtio
 * devices with their disks re-opened); the guest itself comes from the snapshot.
 */
export type VirtRestoreOptions = Omit<
  VirtMachineConfig,
  "memoryBytes" | "hartCount" | "kernel" | "initrd" | "cmdline" | "bios"
>;

/** A checked snapshot being restored; passed from {@link VirtMachine.fromSnapshot} to the constructor. */
interface VirtRestore {
  readonly state: VirtMachineState;
  readonly reader: SnapshotReader;
}

/**
 * The QEMU-compatible `virt` machine: RAM, harts, PLIC, ACLINT (+ SSWI), NS16550A, goldfish RTC,
 * `sifive,test` syscon and eight virtio-mmio slots, wired from one memory map that also produces
 * the device tree. {@link run} drives the harts until the guest powers off, resets or crashes.
 *
 * @example
 * const vm = new VirtMachine({ kernel, initrd, cmdline: "console=ttyS0", console: terminal });
 * const exit = await vm.run(); // { kind: "poweroff" } after the guest's `poweroff`
 */
export class VirtMachine {
  readonly flow: VirtBootFlow;
  readonly hartCount: number;
  readonly map: readonly VirtRegion[];
  readonly memory: GuestMemory;
  readonly bus = new MmioBus();
  readonly clock: Clock;
  readonly harts: readonly Hart[];
  readonly plic: Plic;
  readonly aclint: Aclint;
  readonly sswi: AclintSswi;
  readonly uart: Ns16550a;
  readonly rtc: GoldfishRtc;
  readonly syscon: SifiveTest;
  /** The generated device tree blob as loaded into RAM. */
  readonly dtb: Uint8Array;
  /** Guest physical address of the DTB (a1 at entry). */
  readonly dtbAddress: number;
  /** Where hart 0 starts. */
  readonly entry: number;
  /** The SBI implementation serving the hypervisor flow (undefined when firmware runs in M-mode). */
  readonly sbi: SbiServer | undefined;
  readonly tracer: Tracer | undefined;

  private readonly console: CharBackend;
  private readonly slice: number;
  private readonly sampler: VirtMachineConfig["sampler"];
  /** Instructions between two PC samples of a hart (with `sampler`). */
  private readonly sampleEvery: number = 0;
  private exitReason: VirtMachineExit | undefined;
  private pendingInput: Uint8Array[] = [];
  /** Deterministic mode: host input not yet handed to the guest (see {@link sendInput}). */
  private hostInput: Uint8Array[] = [];
  readonly deterministic: boolean;
  /** Deterministic mode: the clock under {@link clock} (which a restore wraps). */
  private readonly instructionClock: InstructionClock | undefined;
  /** Deterministic mode: the hart inside `run`, whose in-block count the clock adds. */
  private current: Hart | undefined;
  private inputToSbi = false;
  private wake: (() => void) | undefined;
  private running = false;
  /** {@link pause} asked the run loop to park; it parks at the next slice boundary. */
  private pauseRequested = false;
  private parked = false;
  private pauseWaiters: (() => void)[] = [];
  private resumeParked: (() => void) | undefined;
  /** With `threads`: the shared control block, and the workers while {@link run} runs. */
  private readonly control: VcpuControl | undefined;
  private threads: VcpuThreads | undefined;
  private readonly pool: VcpuPool | undefined;
  private readonly ownPool: boolean = false;
  private readonly weight: number | undefined;
  private readonly cap: number | undefined;
  private readonly affinity: VirtMachineConfig["affinity"];
  private readonly sbiShared: SharedArrayBuffer | undefined;
  private deviceTimer: ReturnType<typeof setTimeout> | undefined;
  private deviceTasksQueued = false;
  /** Virtio device work posted by doorbells, run between bursts. */
  private deviceTasks: (() => void)[] = [];
  /** End the burst after the current slice (device work is waiting). */
  private endBurst = false;
  /** Deterministic mode: {@link drainDeviceWork} hears of newly posted work. */
  private taskPosted: (() => void) | undefined;
  /** The virtio transports, by slot. */
  readonly virtio: readonly VirtioMmioTransport[];

  /** Boots from `config`; `restore` is for {@link fromSnapshot}, which shares this construction. */
  constructor(config: VirtMachineConfig, restore?: VirtRestore) {
    const memoryBytes = config.memoryBytes ?? VIRT_DEFAULT_MEMORY;
    const hartCount = config.hartCount ?? 1;
    if (!Number.isInteger(hartCount) || hartCount < 1 || hartCount > VIRT_MAX_HARTS) {
      throw new VirtConfigError(`the virt machine takes 1..${VIRT_MAX_HARTS} harts, not ${hartCount}`);
    }
    if (!Number.isInteger(memoryBytes) || memoryBytes % (1 * MiB) !== 0) {
      throw new VirtConfigError(`memory size must be a whole number of MiB, got ${memoryBytes} bytes`);
    }
    if (memoryBytes < VIRT_MIN_MEMORY) {
      throw new VirtConfigError(
        `memory size ${memoryBytes / MiB} MiB is below the minimum of ${VIRT_MIN_MEMORY / MiB} MiB`,
      );
    }
    if (memoryBytes > 2048 * MiB) {
      throw new VirtConfigError(`memory size ${memoryBytes / MiB} MiB is above the maximum of 2048 MiB`);
    }
    this.flow =
      restore?.state.machine.flow ??
      (config.bios === undefined ? "hypervisor" : config.bios === "none" ? "none" : "firmware");
    if (this.flow !== "firmware" && config.kernel === undefined && restore === undefined) {
      throw new VirtConfigError("a kernel is required unless firmware is given");
    }
    if (config.tracer !== undefined && config.tracer.vcpus < hartCount) {
      throw new VirtConfigError(`the tracer has ${config.tracer.vcpus} vCPUs for ${hartCount} harts`);
    }
    this.hartCount = hartCount;
    this.console = config.console ?? new NullCharBackend();
    this.slice = config.sliceInstructions ?? 50_000;
    this.sampler = config.sampler;
    if (this.sampler !== undefined) {
      // Short slices spread the samples: one per slice, at the pc where it ended.
      this.slice = Math.min(this.slice, Math.max(1, config.sampleEveryInstructions ?? 10_000));
      this.sampleEvery = this.slice;
    }
    this.deterministic = config.deterministic === true;
    const threads = config.threads ?? 0;
    if (!Number.isInteger(threads) || threads < 0 || threads > VIRT_MAX_HARTS) {
      throw new VirtConfigError(`threads must be 0..${VIRT_MAX_HARTS}, not ${threads}`);
    }
    if (threads > 0 && config.pool !== undefined) {
      throw new VirtConfigError("give either threads (a pool of the machine's own) or a pool, not both");
    }
    if (threads > 0 || config.pool !== undefined) {
      const clash = this.deterministic
        ? "deterministic mode runs every hart on one thread"
        : config.clock !== undefined
          ? "a custom clock"
          : undefined;
      if (clash !== undefined) {
        throw new VirtConfigError(`vCPU threads cannot be combined with ${clash} yet`);
      }
      if (config.tracer !== undefined && !config.tracer.shared) {
        throw new VirtConfigError(
          "a tracer for vCPU threads must be made with shared: true (its rings are written from the threads)",
        );
      }
      this.pool =
        config.pool ??
        new VcpuPool({ workers: Math.min(threads, hartCount), sliceInstructions: config.sliceInstructions });
      this.ownPool = config.pool === undefined;
      this.weight = config.weight;
      this.cap = config.cap;
      this.affinity = config.affinity;
      this.control = VcpuThreads.createControl(hartCount, this.pool);
    }
    const harts: Hart[] = [];
    if (this.deterministic) {
      if (config.clock !== undefined) {
        throw new VirtConfigError("a deterministic machine keeps its own clock; do not pass one");
      }
      this.instructionClock = new InstructionClock(
        () => this.retiredTotal(harts),
        10_000_000,
        VIRT_INSTRUCTIONS_PER_TICK,
      );
    }
    this.clock = this.instructionClock ?? config.clock ?? new WallClock();
    if (restore !== undefined) {
      if (this.clock.frequencyHz !== restore.state.frequencyHz) {
        throw new VirtConfigError(
          `the snapshot's clock runs at ${restore.state.frequencyHz} Hz, this one at ${this.clock.frequencyHz} Hz`,
        );
      }
      this.clock = new SnapshotClock(this.clock, restore.state.time);
    }
    this.map = virtMemoryMap(hartCount, memoryBytes);
    this.memory = new GuestMemory({
      ramBase: VIRT_DRAM_BASE,
      ramSize: memoryBytes,
      hartCount,
      shared: this.control !== undefined,
    });

    for (let id = 0; id < hartCount; id++) {
      harts.push(new Hart({ memory: this.memory, bus: this.bus, clock: this.clock, hartId: id }));
    }
    this.harts = harts;
    // Threaded, the controllers drive the harts through the control block.
    const targets = this.control !== undefined ? VcpuThreads.targets(this.control) : harts;
    this.plic = new Plic({ hartCount, sourceCount: PLIC_VIRT_SOURCE_COUNT }, targets);
    this.aclint = new Aclint({ hartCount }, this.clock, targets);
    this.sswi = new AclintSswi({ hartCount }, targets);
    this.uart = new Ns16550a({
      name: "uart0",
      backend: this.console,
      irq: this.plic.irqLine(this.irqOf("uart0")),
    });
    this.rtc = new GoldfishRtc({
      irq: this.plic.irqLine(this.irqOf("rtc")),
      now: config.rtcTime ?? (this.deterministic ? this.virtualWallTime(config.epoch) : undefined),
    });
    const virtio = config.virtio ?? [];
    if (virtio.length > VIRT_VIRTIO_COUNT) {
      throw new VirtConfigError(
        `the virt machine has ${VIRT_VIRTIO_COUNT} virtio-mmio slots, not ${virtio.length}`,
      );
    }
    const warn = config.onWarning;
    this.virtio = virtio.map((entry, i) => {
      const { device, legacy } = "device" in entry ? entry : { device: entry, legacy: false };
      const name = `virtio-mmio${i}`;
      return new VirtioMmioTransport({
        name,
        memory: this.memory,
        irq: this.wakingIrq(this.irqOf(name)),
        device,
        legacy,
        schedule: (task) => this.scheduleDeviceWork(task),
        onDeviceError: (reason) => warn?.(`${name}: device stopped: ${reason}`),
      });
    });
    this.syscon = new SifiveTest({
      onEvent: (e) => {
        if (e.kind === "poweroff") this.finish({ kind: "poweroff" });
        else if (e.kind === "fail") this.finish({ kind: "fail", code: e.code });
        else this.finish({ kind: "reset" });
      },
    });
    for (const region of this.map) {
      switch (region.kind) {
        case "test":
          this.bus.map(region.base, region.size, this.syscon);
          break;
        case "rtc":
          this.bus.map(region.base, region.size, this.rtc);
          break;
        case "clint":
          this.bus.map(region.base, region.size, this.aclint);
          break;
        case "sswi":
          this.bus.map(region.base, region.size, this.sswi);
          break;
        case "plic":
          this.bus.map(region.base, region.size, this.plic);
          break;
        case "uart":
          this.bus.map(region.base, region.size, this.uart);
          break;
        case "virtio-mmio": {
          const slot = (region.irq ?? 0) - 1;
          this.bus.map(region.base, region.size, this.virtio[slot] ?? new EmptyVirtioSlot(region.name));
          break;
        }
        case "dram":
          break;
      }
    }

    this.sbiShared = this.control !== undefined ? createSbiSharedState(hartCount) : undefined;
    this.sbi =
      this.flow === "hypervisor"
        ? new SbiServer(
            {
              harts,
              consoleWrite: (bytes) => this.console.write(bytes),
              consoleRead: (into) => this.readSbiInput(into),
              systemReset: (type) =>
                this.finish(type === SRST_SHUTDOWN ? { kind: "poweroff" } : { kind: "reset" }),
            },
            { sstc: true, sharedState: this.sbiShared },
          )
        : undefined;

    const boot =
      restore === undefined
        ? this.load(config)
        : {
            dtb: new Uint8Array(Buffer.from(restore.state.machine.dtb, "base64")),
            dtbAddress: restore.state.machine.dtbAddress,
            entry: restore.state.machine.entry,
          };
    this.dtb = boot.dtb;
    this.dtbAddress = boot.dtbAddress;
    this.entry = boot.entry;
    for (const hart of harts) hart.onTrap = (h, cause, interrupt) => this.watchTrap(h, cause, interrupt);
    this.tracer = config.tracer;
    if (config.tracer !== undefined) {
      for (const hart of harts) hart.attachTracer(config.tracer);
      this.sbi?.attachTracer(config.tracer);
      this.plic.attachTracer(config.tracer);
      this.aclint.attachTracer(config.tracer);
      for (const transport of this.virtio) transport.attachTracer(config.tracer);
    }
  }

  /** Instructions retired by all harts, counting the running hart's current block. */
  private retiredTotal(harts: readonly Hart[]): number {
    let total = this.current?.blockRetired ?? 0;
    for (const hart of harts) total += hart.instret;
    return total;
  }

  /** The RTC's time in deterministic mode: the epoch plus virtual time. */
  private virtualWallTime(epoch = VIRT_DEFAULT_EPOCH): WallTimeSource {
    const epochNs = BigInt(epoch.getTime()) * 1_000_000n;
    const nsPerTick = 1e9 / this.clock.frequencyHz;
    return () => epochNs + BigInt(Math.floor(this.clock.now() * nsPerTick));
  }

  private irqOf(name: string): number {
    const irq = this.map.find((r) => r.name === name)?.irq;
    if (irq === undefined) throw new Error(`region ${name} has no interrupt`);
    return irq;
  }

  /** A PLIC line that also wakes the machine on a rising edge, so a hart in `wfi` sees it at once. */
  private wakingIrq(source: number): IrqLine {
    const line = this.plic.irqLine(source);
    let level = false;
    return {
      setLevel: (high) => {
        line.setLevel(high);
        if (high && !level) this.wake?.();
        level = high;
      },
    };
  }

  /**
   * Doorbells post their work here; the current burst ends after this slice so the work (and
   * the backend I/O it starts) runs within about a slice instead of after a 20 ms burst.
   */
  private scheduleDeviceWork(task: () => void): void {
    this.deviceTasks.push(task);
    if (this.threads !== undefined && !this.deviceTasksQueued) {
      // Threaded, this thread only serves devices: run the work as soon as the loop is free.
      this.deviceTasksQueued = true;
      setImmediate(() => {
        this.deviceTasksQueued = false;
        this.runDeviceTasks();
      });
    }
    this.endBurst = true;
    this.wake?.();
    this.taskPosted?.();
  }

  /**
   * Deterministic mode: runs the posted device work in FIFO order and waits until every
   * transport is idle, so completions land before the next slice whatever the host's timing.
   */
  private async drainDeviceWork(): Promise<void> {
    for (;;) {
      this.runDeviceTasks();
      const idle = Promise.all(this.virtio.map((t) => t.idle())).then(() => true);
      // Work that posts more work would wait for itself: run that as it arrives.
      const posted = new Promise<boolean>((resolve) => {
        this.taskPosted = () => resolve(false);
      });
      const done = await Promise.race([idle, posted]);
      this.taskPosted = undefined;
      if (done && this.deviceTasks.length === 0) return;
    }
  }

  private runDeviceTasks(): void {
    this.endBurst = false;
    while (this.deviceTasks.length > 0) {
      const tasks = this.deviceTasks;
      this.deviceTasks = [];
      // The transport catches device errors itself; a task never throws.
      for (const task of tasks) task();
    }
  }

  private deviceTree(bootargs: string, initrd: { start: number; end: number } | undefined): Uint8Array {
    return buildVirtDeviceTree({
      map: this.map,
      hartCount: this.hartCount,
      plicSources: this.plic.sourceCount,
      bootargs,
      initrd,
    }).toDtb({ padding: DTB_PADDING });
  }

  /** Loads the images for the chosen flow and puts every hart at its first instruction. */
  private load(config: VirtMachineConfig): { dtb: Uint8Array; dtbAddress: number; entry: number } {
    const cmdline = config.cmdline ?? VIRT_DEFAULT_CMDLINE;
    const memory = this.memory;
    const initrd = config.initrd !== undefined && config.initrd.length > 0 ? config.initrd : undefined;
    const placeholder = initrd !== undefined ? { start: 0, end: 0 } : undefined;
    const draftSize = this.deviceTree(cmdline, placeholder).length;

    if (this.flow === "hypervisor") {
      const kernel = config.kernel as Uint8Array;
      const header = parseLinuxImage(kernel);
      const layout = planLinuxBoot({
        ramBase: memory.ramBase,
        ramSize: memory.ramSize,
        kernel: header,
        initrdSize: initrd?.length,
        dtbSize: draftSize,
      });
      const dtb = this.deviceTree(
        cmdline,
        layout.initrd && { start: layout.initrd.address, end: layout.initrd.address + layout.initrd.size },
      );
      loadLinuxBoot(memory, layout, { kernel, initrd, dtb });
      const entry = layout.kernel.address;
      enterSupervisor(this.harts[0], entry, 0, layout.dtb.address, { sstc: true });
      return { dtb, dtbAddress: layout.dtb.address, entry };
    }

    let firmwareEnd: number;
    let entry: number;
    let firmwareImage: Uint8Array | undefined;
    let kernelImage: Uint8Array | undefined;
    if (this.flow === "firmware") {
      const bios = config.bios as Uint8Array;
      if (isElf(bios)) {
        const elf = parseElf(bios);
        entry = elf.entry;
        firmwareEnd = Math.max(...elf.segments.map((s) => s.paddr + s.memsz));
      } else {
        entry = memory.ramBase;
        firmwareEnd = memory.ramBase + bios.length;
        firmwareImage = bios;
      }
      kernelImage = config.kernel;
    } else {
      const kernel = config.kernel as Uint8Array;
      if (isElf(kernel)) {
        const elf = parseElf(kernel);
        entry = elf.entry;
        firmwareEnd = Math.max(...elf.segments.map((s) => s.paddr + s.memsz));
      } else {
        // A flat image (an `Image` or a raw binary) runs from the start of RAM, as on QEMU.
        const imageSize = hasLinuxMagic(kernel) ? parseLinuxImage(kernel).imageSize : kernel.length;
        entry = memory.ramBase;
        firmwareEnd = memory.ramBase + imageSize;
        firmwareImage = kernel;
      }
    }
    const layout = planFirmwareBoot({
      ramBase: memory.ramBase,
      ramSize: memory.ramSize,
      firmwareSize: Math.max(0, firmwareEnd - memory.ramBase),
      kernelSize: kernelImage?.length,
      initrdSize: initrd?.length,
      dtbSize: draftSize,
    });
    const dtb = this.deviceTree(
      cmdline,
      layout.initrd && { start: layout.initrd.address, end: layout.initrd.address + layout.initrd.size },
    );
    if (this.flow === "firmware" && isElf(config.bios as Uint8Array))
      loadElf(memory, config.bios as Uint8Array);
    else if (this.flow === "none" && isElf(config.kernel as Uint8Array))
      loadElf(memory, config.kernel as Uint8Array);
    else if (firmwareImage !== undefined) this.checkedWrite(memory.ramBase, firmwareImage, "firmware");
    if (kernelImage !== undefined && layout.kernel !== undefined) {
      this.checkedWrite(layout.kernel.address, kernelImage, "kernel");
    }
    if (initrd !== undefined && layout.initrd !== undefined)
      this.checkedWrite(layout.initrd.address, initrd, "initrd");
    memory.writeBytes(layout.dtb.address, dtb);
    const info = encodeFwDynamicInfo({
      nextAddress: layout.kernel?.address ?? memory.ramBase + 2 * MiB,
      nextMode: FW_DYNAMIC_NEXT_MODE_S,
      options: 0,
      bootHart: 0,
    });
    memory.writeBytes(layout.fwDynamicInfo.address, info);
    this.harts.forEach((hart, id) => {
      hart.reset(entry);
      hart.setX(10, id);
      hart.setX(11, layout.dtb.address);
      hart.setX(12, layout.fwDynamicInfo.address);
    });
    return { dtb, dtbAddress: layout.dtb.address, entry };
  }

  private checkedWrite(address: number, bytes: Uint8Array, what: string): void {
    if (!this.memory.containsRam(address, bytes.length)) {
      throw new VirtConfigError(
        `the ${what} (${bytes.length} bytes at ${hex(address)}) does not fit in ${this.memory.ramSize / MiB} MiB of RAM`,
      );
    }
    this.memory.writeBytes(address, bytes);
  }

  // ---------------------------------------------------------------- host side

  /** Queues console input for the guest: the UART receiver, or the SBI console once the guest polls it. */
  sendInput(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.deterministic) {
      // Held until every hart waits: delivery must not depend on when the host sends.
      this.hostInput.push(bytes.slice());
      this.wake?.();
      return;
    }
    this.pendingInput.push(bytes.slice());
    this.feedUart();
    this.threads?.publish();
    this.wake?.();
  }

  /** Asks {@link run} to return `{ kind: "stopped" }` at the next block boundary. */
  stop(): void {
    this.finish({ kind: "stopped" });
  }

  private finish(exit: VirtMachineExit): void {
    if (this.exitReason !== undefined) return;
    this.exitReason = exit;
    this.threads?.stop();
    for (const hart of this.harts) hart.stopRequested = true;
    this.wake?.();
    this.resumeParked?.();
  }

  private feedUart(): void {
    if (this.inputToSbi) return;
    while (this.pendingInput.length > 0) {
      const chunk = this.pendingInput[0];
      const taken = this.uart.pushInput(chunk);
      if (taken < chunk.length) {
        this.pendingInput[0] = chunk.subarray(taken);
        return;
      }
      this.pendingInput.shift();
    }
  }

  /**
   * SBI console reads (hvc0, early getchar) take host input from the queue. Once the guest has
   * polled the SBI console, input stays here for it instead of going to the UART.
   */
  private readSbiInput(into: Uint8Array): number {
    this.inputToSbi = true;
    let count = 0;
    while (count < into.length && this.pendingInput.length > 0) {
      const chunk = this.pendingInput[0];
      const n = Math.min(chunk.length, into.length - count);
      into.set(chunk.subarray(0, n), count);
      count += n;
      if (n === chunk.length) this.pendingInput.shift();
      else this.pendingInput[0] = chunk.subarray(n);
    }
    return count;
  }

  // ---------------------------------------------------------------- running

  /**
   * Catches traps nothing can handle, which would otherwise spin forever: a vector outside RAM
   * while addresses are physical, or a vector that itself cannot be fetched.
   */
  private watchTrap(hart: Hart, cause: number, interrupt: boolean): void {
    const message = fatalTrapMessage(hart, cause, interrupt, this.flow === "hypervisor");
    if (message !== undefined) this.finish({ kind: "crash", message });
  }

  private tick(): void {
    this.aclint.update();
    this.sbi?.updateTimers();
    for (const hart of this.harts) hart.updateSstc();
    if (this.rtc.nanosUntilAlarm() === 0n) this.rtc.poll();
    if (this.pendingInput.length > 0) this.feedUart();
  }

  private runnable(id: number): boolean {
    return this.sbi === undefined || this.sbi.isRunnable(id);
  }

  /** Clock ticks until something could wake a waiting hart, or Infinity. */
  private ticksUntilWake(): number {
    const now = this.clock.now();
    let deadline = this.aclint.nextDeadline();
    if (this.sbi !== undefined) deadline = Math.min(deadline, this.sbi.nextDeadline());
    for (const hart of this.harts) {
      // A comparator already passed has raised STIP; if that did not wake the hart, it never will.
      const cmp = hart.sstcDeadline();
      if (cmp > now && cmp < Number.MAX_SAFE_INTEGER) deadline = Math.min(deadline, cmp);
    }
    let ticks = deadline - now;
    const alarm = this.rtc.nanosUntilAlarm();
    if (alarm !== undefined) {
      ticks = Math.min(ticks, Math.ceil((Number(alarm) * this.clock.frequencyHz) / 1e9));
    }
    return ticks;
  }

  /**
   * Runs the guest until it powers off, resets, crashes or {@link stop} is called. Harts take
   * turns in slices; the event loop gets control every few milliseconds (console input, timers)
   * and whenever every hart waits in `wfi`, when the machine sleeps until the next timer
   * deadline or host input, so an idle guest costs no host CPU.
   */
  async run(): Promise<VirtMachineExit> {
    if (this.running) throw new Error("the machine is already running");
    this.running = true;
    try {
      if (this.control !== undefined) {
        await this.runThreaded(this.control);
        // The harts never run on this thread, even if the threads ended for no stated reason.
        this.exitReason ??= { kind: "stopped" };
      }
      if (this.deterministic) await this.runDeterministic();
      while (this.exitReason === undefined) {
        const burstStart = performance.now();
        let idle = false;
        do {
          let ran = false;
          for (let id = 0; id < this.hartCount; id++) {
            const hart = this.harts[id];
            if (!this.runnable(id) || hart.waiting) continue;
            const retired = hart.run(this.slice);
            if (this.sampler !== undefined && retired > 0) this.sampler(id, hart.pcLo, hart.pcHi, hart.priv);
            ran = true;
            if (this.exitReason !== undefined) break;
          }
          this.tick();
          idle = !ran && this.harts.every((h, id) => !this.runnable(id) || h.waiting);
        } while (
          !idle &&
          !this.endBurst &&
          this.exitReason === undefined &&
          performance.now() - burstStart < 20
        );
        if (this.exitReason !== undefined) break;
        if (this.pauseRequested) {
          await this.park();
          continue;
        }
        this.runDeviceTasks();
        if (idle && this.deviceTasks.length === 0) await this.sleep();
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.exitReason ??= { kind: "error", error };
    } finally {
      this.running = false;
      this.releasePauseWaiters();
    }
    return this.exitReason as VirtMachineExit;
  }

  /**
   * Runs the harts on worker threads (see {@link VcpuThreads}) until the guest ends the run or
   * {@link stop}; this thread serves the devices, their timers and host input meanwhile.
   */
  private async runThreaded(control: VcpuControl): Promise<void> {
    const regions: ThreadedMmioRegion[] = [];
    for (const region of this.map) {
      if (region.kind === "dram") continue;
      const mapped = this.bus.find(region.base);
      if (mapped === undefined) continue;
      regions.push({
        base: mapped.base,
        size: mapped.size,
        device: mapped.device,
        fastRead:
          region.kind === "uart" ? { offset: UART_LSR, value: () => this.uart.peekLineStatus() } : undefined,
      });
    }
    // The workers' clocks read what this one reads: its origin as an absolute host time (a
    // restored machine's clock runs on from the saved time, not from its own start).
    const clock = { frequencyHz: this.clock.frequencyHz, originMs: absoluteOrigin(this.clock) };
    const pool = this.pool as VcpuPool;
    this.armDeviceTimer();
    try {
      // One attachment of the harts to the pool per stretch of running: a pause hands their
      // states back here (for a snapshot) and a resume attaches them again.
      while (this.exitReason === undefined) {
        const threads = new VcpuThreads({
          memory: this.memory,
          harts: this.harts,
          pool,
          weight: this.weight,
          cap: this.cap,
          affinity: this.affinity,
          control,
          regions,
          clock,
          mTrapsFatal: this.flow === "hypervisor",
          sbi:
            this.sbi !== undefined
              ? { sstc: true, sharedState: this.sbiShared as SharedArrayBuffer }
              : undefined,
          tracer: this.tracer,
          sampler:
            this.sampler === undefined
              ? undefined
              : { everyInstructions: this.sampleEvery, onSample: this.sampler },
          consoleWrite: (bytes) => this.console.write(bytes),
          consoleRead: (into) => this.readSbiInput(into),
          onSystemReset: (type) =>
            this.finish(type === SRST_SHUTDOWN ? { kind: "poweroff" } : { kind: "reset" }),
          onCrash: (message) => this.finish({ kind: "crash", message }),
          onExits: () => {
            // Host input beyond what the UART holds goes in as the guest reads it out.
            if (this.pendingInput.length > 0) {
              this.feedUart();
              this.threads?.publish();
            }
            this.armDeviceTimer();
          },
        });
        this.threads = threads;
        // A pause asked for before the threads existed stops them at once.
        if (this.pauseRequested) threads.stop();
        await threads.run();
        this.threads = undefined;
        if (this.exitReason !== undefined || !this.pauseRequested) break;
        await this.park();
      }
    } finally {
      this.threads = undefined;
      clearTimeout(this.deviceTimer);
      this.deviceTimer = undefined;
      this.runDeviceTasks();
      if (this.ownPool) await pool.close();
    }
  }

  /** Threaded: wakes this thread for the next ACLINT or RTC deadline (the harts keep their own). */
  private armDeviceTimer(): void {
    clearTimeout(this.deviceTimer);
    this.deviceTimer = undefined;
    if (this.exitReason !== undefined) return;
    this.aclint.update();
    if (this.rtc.nanosUntilAlarm() === 0n) this.rtc.poll();
    let ticks = this.aclint.nextDeadline() - this.clock.now();
    const alarm = this.rtc.nanosUntilAlarm();
    if (alarm !== undefined)
      ticks = Math.min(ticks, Math.ceil((Number(alarm) * this.clock.frequencyHz) / 1e9));
    if (!Number.isFinite(ticks)) return;
    const ms = Math.max(0, Math.min(1000, (ticks * 1000) / this.clock.frequencyHz));
    this.deviceTimer = setTimeout(() => this.armDeviceTimer(), ms);
  }

  /**
   * The deterministic run loop: rounds of one slice per runnable hart in hart order, device work
   * drained after each slice, timers after each round. When every hart waits, pending host input
   * is delivered, else the clock jumps to the next deadline; only a machine with no deadline at
   * all sleeps for input. The event loop gets a turn every ~20 ms of host time, which the guest
   * cannot observe.
   */
  private async runDeterministic(): Promise<void> {
    const clock = this.instructionClock as InstructionClock;
    let lastYield = performance.now();
    while (this.exitReason === undefined) {
      if (this.pauseRequested) {
        await this.park();
        continue;
      }
      for (let id = 0; id < this.hartCount && this.exitReason === undefined; id++) {
        const hart = this.harts[id];
        // A pause asked for mid-round parks here, so the round goes on unchanged after resume.
        if (this.pauseRequested) await this.park();
        if (this.exitReason !== undefined) break;
        if (!this.runnable(id) || hart.waiting) continue;
        this.current = hart;
        let retired: number;
        try {
          retired = hart.run(this.slice);
        } finally {
          this.current = undefined;
        }
        if (this.sampler !== undefined && retired > 0) this.sampler(id, hart.pcLo, hart.pcHi, hart.priv);
        if (this.deviceTasks.length > 0) await this.drainDeviceWork();
      }
      if (this.exitReason !== undefined) break;
      this.tick();
      if (this.harts.every((h, id) => !this.runnable(id) || h.waiting)) {
        if (this.hostInput.length > 0) {
          this.pendingInput.push(...this.hostInput);
          this.hostInput = [];
          this.feedUart();
          continue;
        }
        const ticks = this.ticksUntilWake();
        if (Number.isFinite(ticks)) clock.advanceBy(ticks);
        else {
          await this.sleep();
          lastYield = performance.now();
          continue;
        }
      }
      if (performance.now() - lastYield >= 20) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  // ---------------------------------------------------------------- pause, snapshots

  /**
   * Stops the harts at the next slice boundary and resolves once they have stopped and no virtio
   * request is in flight; {@link run} stays pending until {@link resume} (or {@link stop}).
   * The machine is then stable for {@link saveSnapshot}.
   */
  async pause(): Promise<void> {
    if (!this.running) {
      await this.settleDevices();
      return;
    }
    if (this.parked) return;
    const parked = new Promise<void>((resolve) => this.pauseWaiters.push(resolve));
    this.pauseRequested = true;
    this.endBurst = true;
    // Threaded, the workers hand the harts' states back and the run loop parks.
    this.threads?.stop();
    for (const hart of this.harts) hart.stopRequested = true;
    this.wake?.();
    await parked;
  }

  /** Lets a paused machine run on. */
  resume(): void {
    this.pauseRequested = false;
    if (this.exitReason === undefined) for (const hart of this.harts) hart.stopRequested = false;
    this.releasePauseWaiters();
    this.resumeParked?.();
  }

  /** True while {@link run} is parked by {@link pause}. */
  get paused(): boolean {
    return this.parked;
  }

  private releasePauseWaiters(): void {
    const waiters = this.pauseWaiters;
    this.pauseWaiters = [];
    for (const w of waiters) w();
  }

  /** Runs device work until every transport is idle: finished requests post their completions. */
  private async settleDevices(): Promise<void> {
    for (;;) {
      this.runDeviceTasks();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settled = await Promise.race([
        Promise.all(this.virtio.map((t) => t.idle())).then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 1);
        }),
      ]);
      clearTimeout(timer);
      if (settled && this.deviceTasks.length === 0) return;
    }
  }

  private async park(): Promise<void> {
    await this.settleDevices();
    if (!this.pauseRequested || this.exitReason !== undefined) return;
    this.parked = true;
    const resumed = new Promise<void>((resolve) => {
      this.resumeParked = resolve;
    });
    this.releasePauseWaiters();
    await resumed;
    this.resumeParked = undefined;
    this.parked = false;
  }

  /**
   * The whole machine as a snapshot file (see `snapshot/snapshot-file.ts`): configuration, every
   * device's state, RAM. Call while paused or not running.
   */
  async saveSnapshot(options: { readonly compress?: boolean } = {}): Promise<Uint8Array> {
    if (this.running && !this.parked) throw new Error("pause the machine before saving a snapshot");
    if (!this.running) await this.settleDevices();
    const time = this.clock.now();
    const state: VirtMachineState = {
      type: VIRT_SNAPSHOT_TYPE,
      version: VIRT_SNAPSHOT_VERSION,
      machine: {
        memoryBytes: this.memory.ramSize,
        hartCount: this.hartCount,
        flow: this.flow,
        dtb: Buffer.from(this.dtb).toString("base64"),
        dtbAddress: this.dtbAddress,
        entry: this.entry,
        virtio: this.virtio.map((t) => ({ deviceId: t.device.deviceId, legacy: t.legacy })),
      },
      time,
      frequencyHz: this.clock.frequencyHz,
      devices: {
        harts: this.harts.map((h) => h.saveState()),
        sbi: this.sbi?.saveState() ?? null,
        plic: this.plic.saveState(),
        // The same instant as `time`, so a restore continues mtime and `time` together.
        aclint: { ...this.aclint.saveState(), mtime: time },
        sswi: this.sswi.saveState(),
        uart: this.uart.saveState(),
        rtc: this.rtc.saveState(),
        syscon: this.syscon.saveState(),
        virtio: this.virtio.map((t) => t.saveState()),
      },
      host: {
        pendingInput: Buffer.concat([...this.pendingInput, ...this.hostInput]).toString("base64"),
        inputToSbi: this.inputToSbi,
      },
    };
    const ram = this.memory.u8.subarray(this.memory.ramOffset, this.memory.ramOffset + this.memory.ramSize);
    return writeSnapshot({ state, ram, compress: options.compress });
  }

  /**
   * A machine restored from {@link saveSnapshot} output, ready to {@link run}. The host side comes
   * from `options`: the virtio devices must be the same types in the same slots, disks re-opened
   * at their saved sizes. Throws `SnapshotError` for a damaged file, {@link VirtConfigError} for a
   * mismatched configuration, and the devices' state errors for bad device state.
   */
  static fromSnapshot(bytes: Uint8Array, options: VirtRestoreOptions = {}): VirtMachine {
    const reader = readSnapshot(bytes);
    const state = checkMachineState(reader.state);
    const saved = state.machine.virtio;
    const given = options.virtio ?? [];
    const describe = (ids: readonly number[]) => `[${ids.join(", ")}]`;
    const givenIds = given.map((e) => ("device" in e ? e.device : e).deviceId);
    if (givenIds.length !== saved.length || givenIds.some((id, i) => id !== saved[i].deviceId)) {
      throw new VirtConfigError(
        `the snapshot has virtio devices of types ${describe(saved.map((v) => v.deviceId))} in its slots; ` +
          `${describe(givenIds)} were given`,
      );
    }
    const virtio = given.map((e, i) => ({ device: "device" in e ? e.device : e, legacy: saved[i].legacy }));
    const vm = new VirtMachine(
      {
        ...options,
        virtio,
        memoryBytes: state.machine.memoryBytes,
        hartCount: state.machine.hartCount,
      },
      { state, reader },
    );
    vm.restoreFrom(state, reader);
    return vm;
  }

  private restoreFrom(s: VirtMachineState, reader: SnapshotReader): void {
    const d = s.devices;
    if (d.harts.length !== this.hartCount || d.virtio.length !== this.virtio.length) {
      throw new VirtConfigError("the snapshot's device states do not match its machine description");
    }
    if ((this.sbi === undefined) !== (d.sbi === null)) {
      throw new VirtConfigError("the snapshot's SBI state does not match its boot flow");
    }
    reader.loadRam(
      this.memory.u8.subarray(this.memory.ramOffset, this.memory.ramOffset + this.memory.ramSize),
    );
    d.harts.forEach((h, i) => {
      this.harts[i].restoreState(h);
    });
    this.plic.restoreState(d.plic);
    this.aclint.restoreState(d.aclint);
    this.sswi.restoreState(d.sswi);
    this.uart.restoreState(d.uart);
    this.rtc.restoreState(d.rtc);
    this.syscon.restoreState(d.syscon);
    this.virtio.forEach((t, i) => {
      t.restoreState(d.virtio[i]);
    });
    if (this.sbi !== undefined && d.sbi !== null) this.sbi.restoreState(d.sbi);
    const pending = Buffer.from(s.host.pendingInput, "base64");
    this.pendingInput = pending.length > 0 ? [new Uint8Array(pending)] : [];
    this.inputToSbi = s.host.inputToSbi;
    (this.clock as SnapshotClock).release();
    for (const hart of this.harts) hart.updateSstc();
  }

  private async sleep(): Promise<void> {
    const ticks = this.ticksUntilWake();
    if (ticks <= 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    const ms = Number.isFinite(ticks) ? Math.min(1000, (ticks * 1000) / this.clock.frequencyHz) : 1000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }
}

/** Checks the machine section of a snapshot's state; device states are checked by the devices. */
function checkMachineState(state: unknown): VirtMachineState {
  const s = state as Partial<VirtMachineState> | null;
  const bad = (why: string): never => {
    throw new VirtConfigError(`the snapshot is not a virt machine snapshot: ${why}`);
  };
  if (typeof s !== "object" || s === null) return bad("no state");
  if (s.type !== VIRT_SNAPSHOT_TYPE) bad(`type ${String(s.type)}`);
  if (s.version !== VIRT_SNAPSHOT_VERSION) bad(`state version ${String(s.version)} is not supported`);
  const m = s.machine;
  if (typeof m !== "object" || m === null) return bad("no machine section");
  if (!["hypervisor", "firmware", "none"].includes(m.flow)) bad(`boot flow ${String(m.flow)}`);
  for (const k of ["memoryBytes", "hartCount", "dtbAddress", "entry"] as const) {
    if (!Number.isSafeInteger(m[k])) bad(`machine.${k} is not an integer`);
  }
  if (typeof m.dtb !== "string" || !Array.isArray(m.virtio)) bad("machine.dtb or machine.virtio missing");
  for (const v of m.virtio) {
    if (!Number.isInteger(v?.deviceId) || typeof v?.legacy !== "boolean") bad("malformed virtio slot");
  }
  if (!Number.isSafeInteger(s.time) || !Number.isFinite(s.frequencyHz)) bad("time or frequency missing");
  const d = s.devices;
  if (typeof d !== "object" || d === null || !Array.isArray(d.harts) || !Array.isArray(d.virtio)) {
    bad("devices section missing");
  }
  const h = s.host;
  if (
    typeof h !== "object" ||
    h === null ||
    typeof h.pendingInput !== "string" ||
    typeof h.inputToSbi !== "boolean"
  ) {
    bad("host section missing");
  }
  return s as VirtMachineState;
}

function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
  );
}

function hasLinuxMagic(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 64 &&
    bytes[0x38] === 0x52 &&
    bytes[0x39] === 0x53 &&
    bytes[0x3a] === 0x43 &&
    bytes[0x3b] === 0x05
  );
}
