import { Aclint, type Clock, GuestMemory, Hart, MmioBus, riscv } from "@monovisor/hv-core";
import type { Tracer } from "@monovisor/perf";
import type { CharBackend } from "../backends/char-backend.js";
import { loadElf } from "../loaders/elf.js";
import { SifiveTest } from "../syscon/sifive-test.js";
import { Ns16550a } from "../uart/ns16550a.js";

/** Where the bare-metal machine puts its devices (the same addresses as the `virt` board). */
export const BARE_METAL_UART_BASE = 0x1000_0000;
export const BARE_METAL_SYSCON_BASE = 0x0010_0000;
export const BARE_METAL_CLINT_BASE = 0x0200_0000;

/** How a bare-metal run ended. */
export type BareMetalStatus = "pass" | "fail" | "trap" | "limit" | "reset" | "hang";

export interface BareMetalResult {
  status: BareMetalStatus;
  /** The program's exit code: 0 on pass, the failure code on fail, otherwise nonzero. */
  exitCode: number;
  /** Everything the program printed (UART and HTIF console), decoded as UTF-8. */
  console: string;
  instructions: number;
  /** One line saying why the run ended. */
  message: string;
}

export interface BareMetalOptions {
  /** RAM at 0x8000_0000, bytes (default 128 MiB). */
  memBytes?: number;
  /** Stop with status "limit" after this many instructions (default 10^10). */
  maxInstructions?: number;
  /** Receives console output as it is produced (the result collects it too). */
  onOutput?: (bytes: Uint8Array) => void;
  /** Attached to hart 0 as vCPU 0; enable its tracepoints to record traps, WFI and MMIO. */
  tracer?: Tracer;
}

const SLICE = 4096;
const TWO32 = 4294967296;
/** Instructions per timer tick: the time base advances with work done, so runs are repeatable. */
const INSTRUCTIONS_PER_TICK = 10;

/**
 * Runs a bare-metal RV64 ELF as `qemu-system-riscv64 -bios none` or Spike would: hart 0 starts in
 * M-mode at the ELF entry with RAM at 0x8000_0000, an NS16550A UART at 0x1000_0000, a
 * `sifive,test` syscon at 0x10_0000 and a CLINT at 0x200_0000. Programs exit through the syscon
 * or through HTIF (`tohost`: 1 = pass, `(code << 1) | 1` = fail; device 1 = console). A trap with
 * no trap vector installed ends the run. Time advances with retired instructions, so the same
 * program always behaves the same. Never throws for a bad program; it throws only for an
 * unloadable ELF ({@link ElfFormatError}, {@link ElfLoadError}).
 *
 * @example
 * const r = runBareMetal(readFileSync("hello.elf"));
 * if (r.status !== "pass") console.error(r.message);
 */
export function runBareMetal(elf: Uint8Array, options: BareMetalOptions = {}): BareMetalResult {
  const memory = new GuestMemory({ ramSize: options.memBytes ?? 128 * 1024 * 1024 });
  const image = loadElf(memory, elf);
  const maxInstructions = options.maxInstructions ?? 1e10;
  const decoder = new TextDecoder();
  let consoleText = "";
  const emit = (bytes: Uint8Array): void => {
    consoleText += decoder.decode(bytes, { stream: true });
    options.onOutput?.(bytes);
  };
  const backend: CharBackend = { write: emit };

  let ended: { status: BareMetalStatus; code: number; message: string } | undefined;
  const end = (status: BareMetalStatus, code: number, message: string): void => {
    if (ended === undefined) ended = { status, code, message };
  };

  const bus = new MmioBus();
  let idleTicks = 0;
  let retired = 0;
  const clock: Clock = {
    frequencyHz: 10_000_000,
    now: () => Math.floor(retired / INSTRUCTIONS_PER_TICK) + idleTicks,
  };
  const hart = new Hart({ memory, bus, clock });
  if (options.tracer !== undefined) hart.attachTracer(options.tracer, 0);
  const clint = new Aclint({ hartCount: 1 }, clock, [hart]);
  bus.map(BARE_METAL_CLINT_BASE, 0x10000, clint);
  bus.map(BARE_METAL_UART_BASE, 0x100, new Ns16550a({ backend, irq: { setLevel() {} } }));
  bus.map(
    BARE_METAL_SYSCON_BASE,
    0x1000,
    new SifiveTest({
      onEvent: (e) => {
        if (e.kind === "poweroff") end("pass", 0, "powered off (pass)");
        else if (e.kind === "fail") end("fail", e.code || 1, `failed with exit code ${e.code}`);
        else end("reset", 1, "the program asked for a reset");
        hart.stopRequested = true;
      },
    }),
  );

  hart.onTrap = (h, cause, interrupt) => {
    if (interrupt) return;
    const tvec = h.csrLoArr[0x305] & -4;
    const pc = h.pc;
    const tval = h.csrLoArr[0x343] >>> 0;
    if (
      (tvec === 0 && h.csrHiArr[0x305] === 0) ||
      (pc >>> 0 === tvec >>> 0 && cause === riscv.CAUSE_FETCH_ACCESS)
    ) {
      end(
        "trap",
        2,
        `unhandled trap: ${riscv.causeName(cause)} at pc 0x${hex(pc)}${tval ? ` (tval 0x${tval.toString(16)})` : ""}`,
      );
      h.stopRequested = true;
    }
  };

  const tohost = image.symbols.get("tohost");
  const fromhost = image.symbols.get("fromhost");
  const htif = tohost !== undefined && memory.containsRam(tohost, 8) ? tohost : undefined;

  hart.reset(image.entry);
  while (ended === undefined) {
    const budget = Math.min(SLICE, maxInstructions - retired);
    if (budget <= 0) {
      end("limit", 3, `instruction limit reached (${maxInstructions}) at pc 0x${hex(hart.pc)}`);
      break;
    }
    retired += hart.run(budget);
    clint.update();
    if (htif !== undefined) serviceHtif(memory, htif, fromhost, emit, end);
    if (ended !== undefined) break;
    if (hart.waiting) {
      const deadline = clint.nextDeadline();
      if (!Number.isFinite(deadline)) {
        end("hang", 5, `wfi at pc 0x${hex(hart.pc)} with no interrupt that could wake it`);
        break;
      }
      idleTicks += Math.max(0, deadline - clock.now());
      clint.update();
    }
  }
  const flush = decoder.decode();
  if (flush) consoleText += flush;
  const result = ended ?? { status: "limit" as const, code: 3, message: "stopped" };
  return {
    status: result.status,
    exitCode: result.code,
    console: consoleText,
    instructions: hart.instret,
    message: result.message,
  };
}

/** Serves one pending HTIF command, if any (as Spike's front-end server does). */
function serviceHtif(
  memory: GuestMemory,
  tohost: number,
  fromhost: number | undefined,
  emit: (bytes: Uint8Array) => void,
  end: (status: BareMetalStatus, code: number, message: string) => void,
): void {
  const i32 = memory.i32;
  const q = memory.hostOffset(tohost, 8) >>> 2;
  const lo = i32[q];
  const hi = i32[q + 1];
  if ((lo | hi) === 0) return;
  const device = hi >>> 24;
  const command = (hi >>> 16) & 0xff;
  const payloadLo = lo >>> 0;
  const payloadHi = hi & 0xffff;
  i32[q] = 0;
  i32[q + 1] = 0;
  let reply = 0;
  if (device === 0 && command === 0) {
    if ((payloadLo & 1) === 1) {
      const code = payloadHi * 0x80000000 + (payloadLo >>> 1);
      if (code === 0) end("pass", 0, "HTIF exit: pass");
      else end("fail", code, `HTIF exit: failed with code ${code}`);
      return;
    }
    // A proxied syscall: magic memory holds [number, a0, a1, a2, ...] as 64-bit words.
    const magic = payloadHi * TWO32 + payloadLo;
    if (memory.containsRam(magic, 64)) {
      const m = memory.hostOffset(magic, 64) >>> 2;
      const sys = i32[m];
      if (sys === 64) {
        const buf = i32[m + 4] >>> 0;
        const len = i32[m + 6] >>> 0;
        if (memory.containsRam(buf, len)) {
          emit(memory.readBytes(buf, len));
          i32[m] = len;
        } else i32[m] = -14; // -EFAULT
        i32[m + 1] = i32[m] >> 31;
      } else if (sys === 93) {
        const code = i32[m + 2];
        if (code === 0) end("pass", 0, "HTIF exit syscall: pass");
        else end("fail", code, `HTIF exit syscall: code ${code}`);
        return;
      } else {
        i32[m] = -38; // -ENOSYS
        i32[m + 1] = -1;
      }
    }
    reply = 1;
  } else if (device === 1 && command === 1) {
    emit(new Uint8Array([payloadLo & 0xff]));
    reply = 1;
  }
  if (fromhost !== undefined && memory.containsRam(fromhost, 8) && reply !== 0) {
    const f = memory.hostOffset(fromhost, 8) >>> 2;
    i32[f] = reply;
    i32[f + 1] = (device << 24) | (command << 16);
  }
}

function hex(n: number): string {
  return n < 0 ? BigInt.asUintN(64, BigInt(n)).toString(16) : n.toString(16);
}
