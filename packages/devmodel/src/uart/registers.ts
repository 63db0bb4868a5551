/**
 * NS16550A register map (one byte per register, reg-shift 0, as on QEMU's `virt`).
 * Names follow the National Semiconductor datasheet and Linux's `serial_reg.h`.
 */

/** Receiver Buffer Register (read, DLAB = 0). */
export const UART_RBR = 0;
/** Transmitter Holding Register (write, DLAB = 0). */
export const UART_THR = 0;
/** Divisor Latch LSB (DLAB = 1). */
export const UART_DLL = 0;
/** Interrupt Enable Register (DLAB = 0). */
export const UART_IER = 1;
/** Divisor Latch MSB (DLAB = 1). */
export const UART_DLM = 1;
/** Interrupt Identification Register (read). */
export const UART_IIR = 2;
/** FIFO Control Register (write). */
export const UART_FCR = 2;
/** Line Control Register. */
export const UART_LCR = 3;
/** Modem Control Register. */
export const UART_MCR = 4;
/** Line Status Register. */
export const UART_LSR = 5;
/** Modem Status Register. */
export const UART_MSR = 6;
/** Scratch Register. */
export const UART_SCR = 7;
/** Number of register offsets; the rest of the 0x100 window reads as 0. */
export const UART_REGISTER_COUNT = 8;

// IER
/** Enable Received Data Available interrupt (and the character timeout). */
export const IER_ERBFI = 0x01;
/** Enable Transmitter Holding Register Empty interrupt. */
export const IER_ETBEI = 0x02;
/** Enable Receiver Line Status interrupt. */
export const IER_ELSI = 0x04;
/** Enable Modem Status interrupt. */
export const IER_EDSSI = 0x08;
/** Bits a 16550A implements; the upper four read as 0. */
export const IER_MASK = 0x0f;

// IIR
/** Set when no interrupt is pending. */
export const IIR_NO_INT = 0x01;
/** Interrupt identification field (bits 3:1). */
export const IIR_ID_MASK = 0x0e;
/** Modem status change (lowest priority). */
export const IIR_MSI = 0x00;
/** Transmitter holding register empty. */
export const IIR_THRI = 0x02;
/** Received data available (FIFO at trigger level). */
export const IIR_RDI = 0x04;
/** Receiver line status: overrun, parity, framing error or break (highest priority). */
export const IIR_RLSI = 0x06;
/** Character timeout: data below the trigger level waiting in the FIFO. */
export const IIR_RX_TIMEOUT = 0x0c;
/** Both bits set when the FIFOs are enabled. */
export const IIR_FIFO_ENABLED = 0xc0;

// FCR
/** Enable both FIFOs; changing it clears them. */
export const FCR_ENABLE_FIFO = 0x01;
/** Clear the receive FIFO (self-clearing). */
export const FCR_CLEAR_RCVR = 0x02;
/** Clear the transmit FIFO (self-clearing). */
export const FCR_CLEAR_XMIT = 0x04;
/** DMA mode select; no effect without DMA signals. */
export const FCR_DMA_SELECT = 0x08;
/** Receive trigger level (bits 7:6): 1, 4, 8 or 14 bytes. */
export const FCR_TRIGGER_MASK = 0xc0;
export const FCR_TRIGGER_SHIFT = 6;
export const FCR_TRIGGER_LEVELS = [1, 4, 8, 14] as const;

// LCR
/** Word length (bits 1:0): 5 + value bits. */
export const LCR_WLEN_MASK = 0x03;
/** Two stop bits (1.5 with 5-bit words). */
export const LCR_STOP = 0x04;
/** Parity enable. */
export const LCR_PARITY = 0x08;
/** Even parity select. */
export const LCR_EPAR = 0x10;
/** Stick parity. */
export const LCR_SPAR = 0x20;
/** Set break: hold the line low. */
export const LCR_SBC = 0x40;
/** Divisor Latch Access Bit: offsets 0 and 1 reach DLL and DLM. */
export const LCR_DLAB = 0x80;

// MCR
/** Data Terminal Ready. */
export const MCR_DTR = 0x01;
/** Request To Send. */
export const MCR_RTS = 0x02;
/** User output 1 (drives RI in loopback). */
export const MCR_OUT1 = 0x04;
/** User output 2: gates the IRQ pin on PC boards (drives DCD in loopback). */
export const MCR_OUT2 = 0x08;
/** Local loopback: transmitted bytes come back to the receiver. */
export const MCR_LOOP = 0x10;
/** Bits a 16550A implements. */
export const MCR_MASK = 0x1f;

// LSR
/** Data Ready: at least one byte to read. */
export const LSR_DR = 0x01;
/** Overrun Error: a byte was lost because the receiver was full. */
export const LSR_OE = 0x02;
/** Parity Error. */
export const LSR_PE = 0x04;
/** Framing Error. */
export const LSR_FE = 0x08;
/** Break Interrupt: the line was held low for a whole character. */
export const LSR_BI = 0x10;
/** Transmitter Holding Register Empty. */
export const LSR_THRE = 0x20;
/** Transmitter Empty: THR and shift register both idle. */
export const LSR_TEMT = 0x40;
/** Error in receive FIFO: some byte in it has PE, FE or BI. */
export const LSR_FIFOE = 0x80;
/** Bits whose read clears them and the line status interrupt. */
export const LSR_ERROR_BITS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

// MSR
/** Delta Clear To Send. */
export const MSR_DCTS = 0x01;
/** Delta Data Set Ready. */
export const MSR_DDSR = 0x02;
/** Trailing Edge Ring Indicator. */
export const MSR_TERI = 0x04;
/** Delta Data Carrier Detect. */
export const MSR_DDCD = 0x08;
/** Clear To Send. */
export const MSR_CTS = 0x10;
/** Data Set Ready. */
export const MSR_DSR = 0x20;
/** Ring Indicator. */
export const MSR_RI = 0x40;
/** Data Carrier Detect. */
export const MSR_DCD = 0x80;
/** The change bits, cleared by reading MSR. */
export const MSR_DELTA_MASK = 0x0f;

/** Depth of each FIFO on a 16550A. */
export const UART_FIFO_SIZE = 16;
