import type { IrqLine } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { BufferCharBackend } from "../backends/char-backend.js";
import { DeviceStateError } from "../state/device-state.js";
import { Ns16550a, type Ns16550aState } from "./ns16550a.js";
import {
  FCR_CLEAR_RCVR,
  FCR_CLEAR_XMIT,
  FCR_ENABLE_FIFO,
  IER_EDSSI,
  IER_ELSI,
  IER_ERBFI,
  IER_ETBEI,
  LCR_DLAB,
  LSR_DR,
  LSR_OE,
  LSR_TEMT,
  LSR_THRE,
  MCR_DTR,
  MCR_LOOP,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DCD,
  MSR_DDCD,
  MSR_DSR,
  UART_DLL,
  UART_DLM,
  UART_FCR,
  UART_IER,
  UART_IIR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR,
  UART_SCR,
  UART_THR,
} from "./registers.js";

class RecordingIrq implements IrqLine {
  level = false;
  readonly history: boolean[] = [];
  setLevel(level: boolean): void {
    this.level = level;
    this.history.push(level);
  }
}

function setup(inputCapacity?: number) {
  const backend = new BufferCharBackend();
  const irq = new RecordingIrq();
  const uart = new Ns16550a({ backend, irq, inputCapacity });
  const rd = (reg: number) => uart.read(reg, 1);
  const wr = (reg: number, v: number) => uart.write(reg, 1, v);
  return { uart, backend, irq, rd, wr };
}

const bytes = (s: string) => new TextEncoder().encode(s);
/** FIFO on, trigger level 8 (FCR bits 7:6 = 2), as Linux programs a 16550A. */
const FCR_LINUX = FCR_ENABLE_FIFO | (2 << 6);

describe("NS16550A registers", () => {
  it("comes out of reset idle with an empty transmitter and ready modem lines", () => {
    const { rd, irq } = setup();
    expect(rd(UART_IER)).toBe(0);
    expect(rd(UART_IIR)).toBe(0x01);
    expect(rd(UART_LCR)).toBe(0);
    expect(rd(UART_MCR)).toBe(0);
    expect(rd(UART_LSR)).toBe(LSR_THRE | LSR_TEMT);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
    expect(irq.level).toBe(false);
  });

  it("sends THR writes to the backend", () => {
    const { wr, backend } = setup();
    for (const b of bytes("hi\n")) wr(UART_THR, b);
    expect(backend.text()).toBe("hi\n");
  });

  it("reaches the divisor latch through DLAB without transmitting", () => {
    const { uart, wr, rd, backend } = setup();
    wr(UART_IER, 0x05);
    wr(UART_LCR, LCR_DLAB | 0x03);
    wr(UART_DLL, 0x01);
    wr(UART_DLM, 0x02);
    expect(rd(UART_DLL)).toBe(0x01);
    expect(rd(UART_DLM)).toBe(0x02);
    expect(uart.divisor).toBe(0x0201);
    expect(backend.bytes().length).toBe(0);
    wr(UART_LCR, 0x03);
    expect(rd(UART_IER)).toBe(0x05);
    expect(rd(UART_LCR)).toBe(0x03);
  });

  it("keeps only implemented bits of IER and MCR, and all of SCR", () => {
    const { wr, rd } = setup();
    wr(UART_IER, 0xff);
    expect(rd(UART_IER)).toBe(0x0f);
    wr(UART_MCR, 0xff);
    expect(rd(UART_MCR)).toBe(0x1f);
    wr(UART_SCR, 0xa5);
    expect(rd(UART_SCR)).toBe(0xa5);
  });

  it("reads wide accesses as consecutive registers and ignores offsets past SCR", () => {
    const { uart, wr } = setup();
    wr(UART_SCR, 0x5a);
    wr(UART_MCR, MCR_DTR);
    expect(uart.read(4, 4)).toBe(
      (0x5a << 24) | ((MSR_CTS | MSR_DSR | MSR_DCD) << 16) | (0x60 << 8) | MCR_DTR,
    );
    uart.write(8, 4, 0xffff_ffff);
    expect(uart.read(8, 4)).toBe(0);
    expect(uart.read(0xff, 1)).toBe(0);
  });
});

describe("NS16550A THRE interrupt", () => {
  it("is raised by enabling ETBEI with THR empty and cleared by reading IIR", () => {
    const { wr, rd, irq } = setup();
    wr(UART_IER, IER_ETBEI);
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR)).toBe(0x02);
    expect(irq.level).toBe(false);
    expect(rd(UART_IIR)).toBe(0x01);
  });

  it("returns after each THR write, since the byte leaves at once", () => {
    const { wr, rd, irq } = setup();
    wr(UART_IER, IER_ETBEI);
    rd(UART_IIR);
    expect(irq.level).toBe(false);
    wr(UART_THR, 0x41);
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR)).toBe(0x02);
  });

  it("passes Linux's THRE re-assertion test (no UART_BUG_THRE)", () => {
    const { wr, rd } = setup();
    // serial8250_startup: IER = THRI, IIR, IER = 0, IER = THRI, IIR.
    wr(UART_IER, IER_ETBEI);
    const iir1 = rd(UART_IIR);
    wr(UART_IER, 0);
    wr(UART_IER, IER_ETBEI);
    const iir = rd(UART_IIR);
    wr(UART_IER, 0);
    expect(iir1 & 0x01).toBe(0);
    expect(iir & 0x01).toBe(0);
  });

  it("is not re-raised by rewriting IER with ETBEI already set", () => {
    const { wr, rd } = setup();
    wr(UART_IER, IER_ETBEI);
    rd(UART_IIR);
    wr(UART_IER, IER_ETBEI | IER_ERBFI);
    expect(rd(UART_IIR)).toBe(0x01);
  });

  it("is masked, not forgotten, while ETBEI is clear", () => {
    const { wr, rd, irq } = setup();
    wr(UART_THR, 0x41);
    expect(irq.level).toBe(false);
    expect(rd(UART_IIR)).toBe(0x01);
  });
});

describe("NS16550A receiver", () => {
  it("holds one byte at a time with FIFOs off and delivers host input in order", () => {
    const { uart, wr, rd, irq } = setup();
    wr(UART_IER, IER_ERBFI);
    expect(uart.pushInput(bytes("abc"))).toBe(3);
    expect(uart.pendingInput).toBe(2);
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR)).toBe(0x04);
    expect(rd(UART_LSR) & LSR_DR).toBe(LSR_DR);
    const got: number[] = [];
    while (rd(UART_LSR) & LSR_DR) got.push(rd(UART_RBR));
    expect(new TextDecoder().decode(new Uint8Array(got))).toBe("abc");
    expect(irq.level).toBe(false);
    expect(rd(UART_IIR)).toBe(0x01);
    expect(rd(UART_LSR) & LSR_OE).toBe(0);
  });

  it("reports data below the trigger level as a character timeout, at the level as data available", () => {
    const { uart, wr, rd, irq } = setup();
    wr(UART_FCR, FCR_LINUX);
    wr(UART_IER, IER_ERBFI);
    uart.pushInput(bytes("abc"));
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR)).toBe(0xcc);
    uart.pushInput(bytes("defghijklmnopqrstuvwxyz"));
    expect(rd(UART_IIR)).toBe(0xc4);
    // 16 bytes in the FIFO, 10 still queued on the host side.
    expect(uart.pendingInput).toBe(10);
    let text = "";
    for (let i = 0; i < 26; i++) text += String.fromCharCode(rd(UART_RBR));
    expect(text).toBe("abcdefghijklmnopqrstuvwxyz");
    expect(rd(UART_IIR)).toBe(0xc1);
    expect(irq.level).toBe(false);
  });

  it("uses trigger levels 1, 4, 8 and 14", () => {
    for (const [bits, level] of [
      [0, 1],
      [1, 4],
      [2, 8],
      [3, 14],
    ]) {
      const { uart, wr, rd } = setup();
      wr(UART_FCR, FCR_ENABLE_FIFO | (bits << 6));
      wr(UART_IER, IER_ERBFI);
      uart.pushInput(new Uint8Array(level - 1));
      if (level > 1) expect(rd(UART_IIR)).toBe(0xcc);
      uart.pushInput(new Uint8Array(1));
      expect(rd(UART_IIR)).toBe(0xc4);
    }
  });

  it("empties the receive FIFO on FCR clear and on toggling FIFO enable", () => {
    const { uart, wr, rd } = setup();
    wr(UART_FCR, FCR_ENABLE_FIFO);
    uart.pushInput(bytes("xyz"));
    wr(UART_FCR, FCR_ENABLE_FIFO | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
    expect(rd(UART_LSR) & LSR_DR).toBe(0);
    uart.pushInput(bytes("q"));
    wr(UART_FCR, 0);
    expect(rd(UART_LSR) & LSR_DR).toBe(0);
    expect(rd(UART_IIR) & 0xc0).toBe(0);
  });

  it("refuses host input past its capacity", () => {
    const { uart } = setup(4);
    // One byte goes into the holding register, four wait in the queue.
    expect(uart.pushInput(bytes("abcdefg"))).toBe(4);
    expect(uart.pendingInput).toBe(3);
  });
});

describe("NS16550A loopback and modem status", () => {
  it("loops THR back to the receiver instead of the backend", () => {
    const { wr, rd, backend } = setup();
    wr(UART_FCR, FCR_ENABLE_FIFO);
    wr(UART_MCR, MCR_LOOP);
    wr(UART_THR, 0x55);
    expect(backend.bytes().length).toBe(0);
    expect(rd(UART_LSR) & LSR_DR).toBe(LSR_DR);
    expect(rd(UART_RBR)).toBe(0x55);
  });

  it("holds host input back during loopback", () => {
    const { uart, wr, rd } = setup();
    wr(UART_MCR, MCR_LOOP);
    uart.pushInput(bytes("k"));
    expect(rd(UART_LSR) & LSR_DR).toBe(0);
    wr(UART_MCR, 0);
    expect(rd(UART_RBR)).toBe(0x6b);
  });

  it("flags overrun as a line status interrupt, above data available, cleared by reading LSR", () => {
    const { wr, rd, irq } = setup();
    wr(UART_IER, IER_ELSI | IER_ERBFI | IER_ETBEI);
    wr(UART_MCR, MCR_LOOP);
    wr(UART_THR, 1);
    wr(UART_THR, 2); // the holding register is full: lost
    expect(rd(UART_IIR)).toBe(0x06);
    expect(rd(UART_LSR) & LSR_OE).toBe(LSR_OE);
    expect(rd(UART_LSR) & LSR_OE).toBe(0);
    expect(rd(UART_IIR)).toBe(0x04);
    expect(rd(UART_RBR)).toBe(1);
    expect(rd(UART_IIR)).toBe(0x02);
    expect(rd(UART_IIR)).toBe(0x01);
    expect(irq.level).toBe(false);
  });

  it("mirrors MCR onto MSR in loopback and raises the modem status interrupt last", () => {
    const { wr, rd, irq } = setup();
    wr(UART_IER, IER_EDSSI);
    wr(UART_MCR, MCR_LOOP);
    // Entering loopback drops CTS, DSR and DCD: three deltas.
    expect(irq.level).toBe(true);
    expect(rd(UART_IIR)).toBe(0x00);
    expect(rd(UART_MSR)).toBe(0x0b);
    expect(irq.level).toBe(false);
    wr(UART_MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT2);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD | 0x0b);
    wr(UART_MCR, MCR_LOOP | MCR_RTS | MCR_DTR);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DDCD);
    expect(rd(UART_MSR)).toBe(MSR_CTS | MSR_DSR);
  });
});

describe("NS16550A as Linux's 8250 driver starts it", () => {
  it("survives serial8250_startup and prints through interrupts", () => {
    const { wr, rd, irq, backend } = setup();
    // serial8250_clear_fifos
    wr(UART_FCR, FCR_ENABLE_FIFO);
    wr(UART_FCR, FCR_ENABLE_FIFO | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
    wr(UART_FCR, 0);
    wr(UART_FCR, FCR_LINUX);
    rd(UART_LSR);
    rd(UART_RBR);
    rd(UART_IIR);
    rd(UART_MSR);
    expect(rd(UART_LSR)).not.toBe(0xff);
    wr(UART_LCR, 0x03);
    wr(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    wr(UART_IER, IER_ERBFI | IER_ELSI);
    expect(irq.level).toBe(false);
    // start_tx: enable THRI; the handler fills THR while THRE says so.
    wr(UART_IER, IER_ERBFI | IER_ELSI | IER_ETBEI);
    const message = bytes("Linux version 6.1\n");
    let sent = 0;
    while (irq.level && sent < message.length) {
      const iir = rd(UART_IIR);
      expect(iir & 0x0f).toBe(0x02);
      for (let n = 0; n < 16 && sent < message.length; n++) wr(UART_THR, message[sent++]);
    }
    wr(UART_IER, IER_ERBFI | IER_ELSI); // stop_tx
    expect(backend.text()).toBe("Linux version 6.1\n");
    expect(rd(UART_IIR)).toBe(0xc1);
    expect(irq.level).toBe(false);
  });
});

describe("NS16550A guest robustness", () => {
  it("never throws on any offset, size or value", () => {
    const { uart } = setup();
    let seed = 99;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const sizes = [1, 2, 4] as const;
    for (let i = 0; i < 20_000; i++) {
      const offset = rand() % 0x110;
      const size = sizes[rand() % 3];
      if (rand() & 1) uart.write(offset, size, rand());
      else {
        const v = uart.read(offset, size);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(2 ** (8 * size));
      }
      if (i % 1000 === 0) uart.pushInput(bytes("zz"));
    }
  });
});

describe("NS16550A saved state", () => {
  function busyUart() {
    const s = setup();
    s.wr(UART_FCR, FCR_LINUX);
    s.wr(UART_LCR, 0x03);
    s.wr(UART_SCR, 0x42);
    s.wr(UART_IER, IER_ERBFI | IER_ETBEI);
    s.uart.pushInput(bytes("0123456789abcdefghij"));
    s.rd(UART_RBR);
    return s;
  }

  it("round-trips through JSON into a fresh device, IRQ level included", () => {
    const a = busyUart();
    const json = JSON.stringify(a.uart.saveState());
    const b = setup();
    b.uart.restoreState(JSON.parse(json) as Ns16550aState);
    expect(b.irq.level).toBe(true);
    expect(b.uart.saveState()).toEqual(a.uart.saveState());
    for (const reg of [UART_IER, UART_LCR, UART_MCR, UART_SCR, UART_LSR, UART_MSR, UART_IIR]) {
      expect(b.rd(reg)).toBe(a.rd(reg));
    }
    let rest = "";
    while (b.rd(UART_LSR) & LSR_DR) rest += String.fromCharCode(b.rd(UART_RBR));
    expect(rest).toBe("123456789abcdefghij");
  });

  it("rejects states of another version or with bad fields, leaving the device as it was", () => {
    const { uart } = busyUart();
    const good = uart.saveState();
    const before = JSON.stringify(good);
    const bad: unknown[] = [
      null,
      { ...good, version: 2 },
      { ...good, type: "goldfish-rtc" },
      { ...good, ier: 0x100 },
      { ...good, ier: 0x10 },
      { ...good, rxFifo: new Array(17).fill(0) },
      { ...good, rxFifo: [256] },
      { ...good, thrInterruptPending: 1 },
      { ...good, fcr: FCR_CLEAR_RCVR },
    ];
    for (const s of bad) {
      expect(() => uart.restoreState(s as Ns16550aState)).toThrow(DeviceStateError);
    }
    expect(JSON.stringify(uart.saveState())).toBe(before);
  });
});
