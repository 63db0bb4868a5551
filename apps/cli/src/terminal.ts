import type { CharBackend } from "@monovisor/devmodel";

/** QEMU's escape character on a `-nographic` console: Ctrl-A. */
export const ESCAPE_BYTE = 0x01;

export const ESCAPE_HELP = `C-a h    print this help\r
C-a x    exit the machine\r
C-a s    save the machine to --snapshot-file and exit\r
C-a C-a  send C-a to the guest\r
`;

export type EscapeAction = "quit" | "help" | "save";

/**
 * Splits terminal input into bytes for the guest and QEMU-style escape commands (`Ctrl-A x`
 * quits, `Ctrl-A h` prints help, `Ctrl-A Ctrl-A` sends one Ctrl-A). An escape split across
 * reads still works; unknown escape commands are dropped, as QEMU does.
 */
export class EscapeDecoder {
  private pendingEscape = false;

  feed(input: Uint8Array): { toGuest: Uint8Array; actions: EscapeAction[] } {
    const out: number[] = [];
    const actions: EscapeAction[] = [];
    for (const byte of input) {
      if (this.pendingEscape) {
        this.pendingEscape = false;
        if (byte === ESCAPE_BYTE) out.push(ESCAPE_BYTE);
        else if (byte === 0x78 || byte === 0x58) actions.push("quit");
        else if (byte === 0x68 || byte === 0x48 || byte === 0x3f) actions.push("help");
        else if (byte === 0x73 || byte === 0x53) actions.push("save");
      } else if (byte === ESCAPE_BYTE) this.pendingEscape = true;
      else out.push(byte);
    }
    return { toGuest: Uint8Array.from(out), actions };
  }
}

/**
 * Console output to a host stream, batched: the UART hands over one byte per transmit, and a
 * write per byte would cost more than the guest's work. Batches go out when the event loop
 * next runs (the machine yields every few milliseconds) or when they grow large.
 */
export class BatchedStreamBackend implements CharBackend {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private scheduled = false;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
    if (this.size >= 64 * 1024) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.size === 0) return;
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    this.size = 0;
    this.stream.write(all);
  }
}
