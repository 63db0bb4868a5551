import type { AccessSize, IrqLine, MmioDevice } from "@monovisor/hv-core";
import type { CharBackend } from "../backends/char-backend.js";
import { StateReader } from "../state/device-state.js";
import {
  FCR_CLEAR_RCVR,
  FCR_CLEAR_XMIT,
  FCR_DMA_SELECT,
  FCR_ENABLE_FIFO,
  FCR_TRIGGER_LEVELS,
  FCR_TRIGGER_MASK,
  FCR_TRIGGER_SHIFT,
  IER_EDSSI,
  IER_ELSI,
  IER_ERBFI,
  IER_ETBEI,
  IER_MASK,
  IIR_FIFO_ENABLED,
  IIR_MSI,
  IIR_NO_INT,
  IIR_RDI,
  IIR_RLSI,
  IIR_RX_TIMEOUT,
  IIR_THRI,
  LCR_DLAB,
  LSR_DR,
  LSR_ERROR_BITS,
  LSR_OE,
  LSR_TEMT,
  LSR_THRE,
  MCR_DTR,
  MCR_LOOP,
  MCR_MASK,
  MCR_OUT1,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DCD,
  MSR_DCTS,
  MSR_DDCD,
  MSR_DDSR,
  MSR_DELTA_MASK,
  MSR_DSR,
  MSR_RI,
  MSR_TERI,
  UART_FCR,
  UART_FIFO_SIZE,
  UART_IER,
  UART_IIR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR,
  UART_REGISTER_COUNT,
  UART_SCR,
  UART_THR,
} from "./registers.js";

export const NS16550A_STATE_TYPE = "ns16550a";
export const NS16550A_STATE_VERSION = 1;

/** Saved state of an {@link Ns16550a}, version 1. Plain data: JSON round-trips it. */
export interface Ns16550aState {
  readonly type: typeof NS16550A_STATE_TYPE;
  readonly version: typeof NS16550A_STATE_VERSION;
  readonly ier: number;
  readonly lcr: number;
  readonly mcr: number;
  readonly scr: number;
  readonly dll: number;
  readonly dlm: number;
  /** FIFO enable, DMA select and trigger bits as last written to FCR. */
  readonly fcr: number;
  /** Pending LSR error bits (OE, PE, FE, BI). */
  readonly lsrErrors: number;
  /** Modem status: line bits and unread change bits. */
  readonly msr: number;
  /** A THRE interrupt is pending (cleared by reading IIR or writing THR). */
  readonly thrInterruptPending: boolean;
  /** Bytes in the receive FIFO (or holding register), oldest first. */
  readonly rxFifo: readonly number[];
  /** Host input not yet taken by the receiver. */
  readonly hostInput: readonly number[];
}

export interface Ns16550aOptions {
  /** Name in errors and traces; default "uart0". */
  readonly name?: string;
  /** Where transmitted bytes go. */
  readonly backend: CharBackend;
  /** The interrupt line (PLIC source 10 on `virt`). */
  readonly irq: IrqLine;
  /** Host input bytes held while the receiver is full; more are refused. Default 64 KiB. */
  readonly inputCapacity?: number;
}

/** Modem inputs when nothing drives them: a terminal that is always ready, as QEMU reports. */
const IDLE_MODEM_LINES = MSR_CTS | MSR_DSR | MSR_DCD;

/**
 * An NS16550A UART as Linux's 8250 driver drives it.
 *
 * Timing model: transmission is instant (THR goes straight to the backend, so THRE and TEMT stay
 * set), and host input enters the receiver only as fast as the guest drains it, so no byte is
 * ever lost to overrun from the host side. The character timeout therefore needs no timer: data
 * below the trigger level means the host has nothing more to send, so the timeout has elapsed.
 *
 * The IRQ output is not gated by MCR.OUT2 (QEMU does the same; Linux sets OUT2 anyway).
 */
export class Ns16550a implements MmioDevice {
  readonly name: string;
  private readonly backend: CharBackend;
  private readonly irq: IrqLine;
  private readonly inputCapacity: number;
  private readonly txByte = new Uint8Array(1);

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  private fcr = 0;
  private lsrErrors = 0;
  private msr = IDLE_MODEM_LINES;
  private thrInterruptPending = false;
  private rxFifo: number[] = [];
  private hostInput: number[] = [];
  private irqLevel = false;

  constructor(options: Ns16550aOptions) {
    this.name = options.name ?? "uart0";
    this.backend = options.backend;
    this.irq = options.irq;
    this.inputCapacity = options.inputCapacity ?? 64 * 1024;
    this.reset();
  }

  /** Power-on state. Host input still queued is kept: it was typed, not sent yet. */
  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.scr = 0;
    // Divisor 12 is 9600 baud at the PC's 1.8432 MHz clock; the value is arbitrary but nonzero.
    this.dll = 0x0c;
    this.dlm = 0;
    this.fcr = 0;
    this.lsrErrors = 0;
    this.msr = IDLE_MODEM_LINES;
    this.thrInterruptPending = false;
    this.rxFifo = [];
    this.refillReceiver();
    this.driveIrq(true);
  }

  /**
   * Queues bytes from the host (keyboard, pipe) for the guest to receive. Returns how many were
   * accepted; the rest did not fit the input queue and should be offered again later.
   */
  pushInput(bytes: Uint8Array): number {
    const room = this.inputCapacity - this.hostInput.length;
    const accepted = Math.max(0, Math.min(room, bytes.length));
    for (let i = 0; i < accepted; i++) this.hostInput.push(bytes[i]);
    this.refillReceiver();
    this.driveIrq(false);
    return accepted;
  }

  /** Host input bytes waiting to enter the receiver. */
  get pendingInput(): number {
    return this.hostInput.length;
  }

  /** The baud rate divisor the guest programmed (DLM:DLL). */
  get divisor(): number {
    return (this.dlm << 8) | this.dll;
  }

  read(offset: number, size: AccessSize): number {
    if (size === 1) return this.readRegister(offset);
    // Wider accesses reach consecutive byte registers, little-endian, as QEMU splits them.
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readRegister(offset + i) << (8 * i);
    return value >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) this.writeRegister(offset + i, (value >>> (8 * i)) & 0xff);
  }

  private readRegister(offset: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset >= UART_REGISTER_COUNT) return 0;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case UART_RBR:
        return dlab ? this.dll : this.readRbr();
      case UART_IER:
        return dlab ? this.dlm : this.ier;
      case UART_IIR:
        return this.readIir();
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR:
        return this.readLsr();
      case UART_MSR:
        return this.readMsr();
      case UART_SCR:
        return this.scr;
      default:
        return 0;
    }
  }

  private writeRegister(offset: number, value: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset >= UART_REGISTER_COUNT) return;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case UART_THR:
        if (dlab) this.dll = value;
        else this.writeThr(value);
        break;
      case UART_IER:
        if (dlab) this.dlm = value;
        else this.writeIer(value);
        break;
      case UART_FCR:
        this.writeFcr(value);
        break;
      case UART_LCR:
        this.lcr = value;
        break;
      case UART_MCR:
        this.writeMcr(value);
        break;
      case UART_LSR:
      case UART_MSR:
        // Read-only on a 16550A (writes are factory test modes).
        break;
      case UART_SCR:
        this.scr = value;
        break;
    }
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE_FIFO) !== 0;
  }

  private get triggerLevel(): number {
    return FCR_TRIGGER_LEVELS[(this.fcr & FCR_TRIGGER_MASK) >> FCR_TRIGGER_SHIFT];
  }

  /** Receiver capacity: the FIFO, or the single holding register in 16450 mode. */
  private get rxCapacity(): number {
    return this.fifoEnabled ? UART_FIFO_SIZE : 1;
  }

  private readRbr(): number {
    const byte = this.rxFifo.shift() ?? 0;
    this.refillReceiver();
    this.driveIrq(false);
    return byte;
  }

  private writeThr(value: number): void {
    if ((this.mcr & MCR_LOOP) !== 0) {
      this.receive(value);
    } else {
      this.txByte[0] = value;
      this.backend.write(this.txByte);
    }
    // The write clears THRE; the byte leaves at once, so THRE (and its interrupt) return.
    this.thrInterruptPending = true;
    this.driveIrq(false);
  }

  private writeIer(value: number): void {
    const before = this.ier;
    this.ier = value & IER_MASK;
    // Enabling ETBEI while THR is empty raises THRE at once, even if an IIR read had cleared it;
    // Linux's startup THRE test depends on this.
    if ((this.ier & IER_ETBEI) !== 0 && (before & IER_ETBEI) === 0) this.thrInterruptPending = true;
    this.driveIrq(false);
  }

  private writeFcr(value: number): void {
    const enableChanged = ((value ^ this.fcr) & FCR_ENABLE_FIFO) !== 0;
    if (enableChanged || (value & FCR_CLEAR_RCVR) !== 0) this.rxFifo = [];
    if (enableChanged || (value & FCR_CLEAR_XMIT) !== 0) this.thrInterruptPending = true;
    this.fcr = value & (FCR_ENABLE_FIFO | FCR_DMA_SELECT | FCR_TRIGGER_MASK);
    this.refillReceiver();
    this.driveIrq(false);
  }

  private writeMcr(value: number): void {
    const wasLoop = (this.mcr & MCR_LOOP) !== 0;
    this.mcr = value & MCR_MASK;
    this.updateModemLines();
    if (wasLoop && (this.mcr & MCR_LOOP) === 0) this.refillReceiver();
    this.driveIrq(false);
  }

  private readIir(): number {
    const iir = this.pendingInterrupt();
    // Reading IIR acknowledges a THRE interrupt, but only when it is the one reported.
    if (iir === IIR_THRI) {
      this.thrInterruptPending = false;
      this.driveIrq(false);
    }
    return iir | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0);
  }

  private readLsr(): number {
    const lsr = this.lsr();
    if (this.lsrErrors !== 0) {
      this.lsrErrors = 0;
      this.driveIrq(false);
    }
    return lsr;
  }

  /**
   * What a read of LSR would return, or -1 when that read would have side effects (it clears
   * pending error bits). Lets vCPU threads poll LSR without a round trip to the device's thread.
   */
  peekLineStatus(): number {
    return this.lsrErrors !== 0 ? -1 : this.lsr();
  }

  private lsr(): number {
    return (this.rxFifo.length > 0 ? LSR_DR : 0) | this.lsrErrors | LSR_THRE | LSR_TEMT;
  }

  private readMsr(): number {
    const msr = this.msr;
    if ((msr & MSR_DELTA_MASK) !== 0) {
      this.msr &= ~MSR_DELTA_MASK;
      this.driveIrq(false);
    }
    return msr;
  }

  /** In loopback the modem inputs follow MCR's outputs; otherwise the idle terminal's. */
  private updateModemLines(): void {
    let lines = IDLE_MODEM_LINES;
    if ((this.mcr & MCR_LOOP) !== 0) {
      lines =
        (this.mcr & MCR_RTS ? MSR_CTS : 0) |
        (this.mcr & MCR_DTR ? MSR_DSR : 0) |
        (this.mcr & MCR_OUT1 ? MSR_RI : 0) |
        (this.mcr & MCR_OUT2 ? MSR_DCD : 0);
    }
    const old = this.msr;
    const changed = (old ^ lines) & 0xf0;
    let deltas = old & MSR_DELTA_MASK;
    if (changed & MSR_CTS) deltas |= MSR_DCTS;
    if (changed & MSR_DSR) deltas |= MSR_DDSR;
    if (changed & MSR_DCD) deltas |= MSR_DDCD;
    // TERI reports only the trailing edge of RI.
    if (old & MSR_RI && !(lines & MSR_RI)) deltas |= MSR_TERI;
    this.msr = lines | deltas;
  }

  /** A byte arriving at the receiver; a full receiver loses it and flags overrun. */
  private receive(byte: number): void {
    if (this.rxFifo.length >= this.rxCapacity) {
      this.lsrErrors |= LSR_OE;
      return;
    }
    this.rxFifo.push(byte);
  }

  /** Moves queued host input into the receiver while it has room (flow control). */
  private refillReceiver(): void {
    if ((this.mcr & MCR_LOOP) !== 0) return; // loopback disconnects the external input
    const room = this.rxCapacity - this.rxFifo.length;
    if (room <= 0 || this.hostInput.length === 0) return;
    const moved = this.hostInput.splice(0, room);
    for (const b of moved) this.rxFifo.push(b);
  }

  /** The highest-priority pending interrupt as an IIR value (without the FIFO bits). */
  private pendingInterrupt(): number {
    const ier = this.ier;
    if (ier & IER_ELSI && this.lsrErrors !== 0) return IIR_RLSI;
    if (ier & IER_ERBFI && this.rxFifo.length > 0) {
      if (!this.fifoEnabled || this.rxFifo.length >= this.triggerLevel) return IIR_RDI;
      return IIR_RX_TIMEOUT;
    }
    if (ier & IER_ETBEI && this.thrInterruptPending) return IIR_THRI;
    if (ier & IER_EDSSI && (this.msr & MSR_DELTA_MASK) !== 0) return IIR_MSI;
    return IIR_NO_INT;
  }

  private driveIrq(force: boolean): void {
    const level = this.pendingInterrupt() !== IIR_NO_INT;
    if (force || level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  saveState(): Ns16550aState {
    return {
      type: NS16550A_STATE_TYPE,
      version: NS16550A_STATE_VERSION,
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      fcr: this.fcr,
      lsrErrors: this.lsrErrors,
      msr: this.msr,
      thrInterruptPending: this.thrInterruptPending,
      rxFifo: [...this.rxFifo],
      hostInput: [...this.hostInput],
    };
  }

  /** Restores a saved state (validated first) and drives the IRQ line to match it. */
  restoreState(state: Ns16550aState): void {
    const r = new StateReader(this.name, state);
    r.header(NS16550A_STATE_TYPE, NS16550A_STATE_VERSION);
    const fcr = r.byte("fcr");
    const ier = r.byte("ier");
    const mcr = r.byte("mcr");
    const lsrErrors = r.byte("lsrErrors");
    if (ier & ~IER_MASK || mcr & ~MCR_MASK || lsrErrors & ~LSR_ERROR_BITS) {
      throw r.error("reserved bits set in IER, MCR or LSR errors");
    }
    if (fcr & ~(FCR_ENABLE_FIFO | FCR_DMA_SELECT | FCR_TRIGGER_MASK))
      throw r.error("self-clearing FCR bits set");
    const lcr = r.byte("lcr");
    const scr = r.byte("scr");
    const dll = r.byte("dll");
    const dlm = r.byte("dlm");
    const msr = r.byte("msr");
    const thrInterruptPending = r.bool("thrInterruptPending");
    const rxFifo = r.bytes("rxFifo", fcr & FCR_ENABLE_FIFO ? UART_FIFO_SIZE : 1);
    const hostInput = r.bytes("hostInput", this.inputCapacity);

    this.fcr = fcr;
    this.ier = ier;
    this.mcr = mcr;
    this.lsrErrors = lsrErrors;
    this.lcr = lcr;
    this.scr = scr;
    this.dll = dll;
    this.dlm = dlm;
    this.msr = msr;
    this.thrInterruptPending = thrInterruptPending;
    this.rxFifo = rxFifo;
    this.hostInput = hostInput;
    this.driveIrq(true);
  }
}
