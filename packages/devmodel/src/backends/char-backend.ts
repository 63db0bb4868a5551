/**
 * The host side of a character device (a UART's wire). Front ends implement it over a terminal,
 * a web page or a log file; device code never touches those directly (DESIGN §5).
 */
export interface CharBackend {
  /**
   * Bytes the guest transmitted, in order. The array is only valid during the call (devices reuse
   * it); copy to keep. Must not throw back into the device.
   */
  write(bytes: Uint8Array): void;
}

/** Collects output in memory: for tests, headless runs and capturing boot logs. */
export class BufferCharBackend implements CharBackend {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  write(bytes: Uint8Array): void {
    // Copy: the caller may reuse its buffer.
    this.chunks.push(bytes.slice());
    this.length += bytes.length;
  }

  /** Everything written so far. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Everything written so far, decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }

  clear(): void {
    this.chunks.length = 0;
    this.length = 0;
  }
}

/** Discards output. */
export class NullCharBackend implements CharBackend {
  write(_bytes: Uint8Array): void {}
}
