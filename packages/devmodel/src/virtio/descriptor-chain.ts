import type { GuestRam } from "./guest-ram.js";

/** One guest buffer of a descriptor chain, already checked to lie inside RAM. */
export interface GuestBuffer {
  readonly addr: number;
  readonly len: number;
}

/**
 * An ordered list of guest buffers seen as one byte range (a scatter-gather list). Requests may
 * split their headers across descriptors anywhere, so devices address bytes by offset into the
 * list, never by descriptor.
 */
export class GuestBufferList {
  /** Total bytes; a sum of at most queue-size 32-bit lengths, so exact in a double. */
  readonly length: number;

  constructor(readonly buffers: readonly GuestBuffer[]) {
    let length = 0;
    for (const b of buffers) length += b.len;
    this.length = length;
  }

  /** Copies bytes from `offset` into `into`; returns how many were available. */
  read(ram: GuestRam, offset: number, into: Uint8Array): number {
    let done = 0;
    for (const view of this.views(ram, offset, into.length)) {
      into.set(view, done);
      done += view.length;
    }
    return done;
  }

  /** Copies `data` to the bytes from `offset`; returns how many fit. */
  write(ram: GuestRam, offset: number, data: Uint8Array): number {
    let done = 0;
    for (const view of this.views(ram, offset, data.length)) {
      view.set(data.subarray(done, done + view.length));
      done += view.length;
    }
    return done;
  }

  /**
   * Live views of `[offset, offset + length)` clipped to the list, one per buffer touched, for
   * zero-copy I/O straight between a backend and guest RAM.
   */
  views(ram: GuestRam, offset: number, length: number): Uint8Array[] {
    return this.slice(offset, length).buffers.map((b) => ram.bytes(b.addr, b.len, "buffer"));
  }

  /** The sub-list `[offset, offset + length)`, clipped. */
  slice(offset: number, length: number): GuestBufferList {
    const out: GuestBuffer[] = [];
    let skip = offset;
    let left = length;
    for (const b of this.buffers) {
      if (left <= 0) break;
      if (skip >= b.len) {
        skip -= b.len;
        continue;
      }
      const n = Math.min(b.len - skip, left);
      out.push({ addr: b.addr + skip, len: n });
      left -= n;
      skip = 0;
    }
    return new GuestBufferList(out);
  }
}

/**
 * A request popped from a virtqueue: the device-readable buffers, then the device-writable ones,
 * as the spec orders them. `head` identifies it in the used ring.
 */
export class DescriptorChain {
  readonly readable: GuestBufferList;
  readonly writable: GuestBufferList;
  /** Trace-clock time of the pop when `virtio.request` was enabled then, else -1. */
  poppedAt = -1;

  constructor(
    readonly head: number,
    readable: readonly GuestBuffer[],
    writable: readonly GuestBuffer[],
    /** The queue generation it was popped in; completions from before a reset are dropped. */
    readonly epoch: number,
  ) {
    this.readable = new GuestBufferList(readable);
    this.writable = new GuestBufferList(writable);
  }
}
