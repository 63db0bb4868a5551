import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { FrameReceiver, NetBackend, NetCounters } from "./net-backend.js";
import { newCounters } from "./net-backend.js";

/** `host:port`, `[v6]:port`. */
export interface SocketAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[v6 host]:port`; throws RangeError. */
export function parseSocketAddress(text: string): SocketAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`'${text}' is not host:port`);
  return { host: m[1] ?? m[2], port };
}

export interface DgramNetBackendOptions {
  /** Where this end listens (port 0 picks a free one; see {@link DgramNetBackend.local}). */
  readonly local: SocketAddress;
  /** Where frames are sent. */
  readonly remote: SocketAddress;
}

/** Largest UDP payload; Ethernet frames without GSO are far smaller. */
const MAX_DATAGRAM = 65507;

/**
 * Joins a segment to another process over UDP, one Ethernet frame per datagram with no
 * framing, as QEMU's `-netdev dgram,local.type=inet,...,remote.type=inet,...` does: two
 * monovisor processes, or monovisor and QEMU, can talk. Only datagrams from `remote` are
 * accepted. Sending never waits; frames the kernel refuses are counted as dropped.
 */
export class DgramNetBackend implements NetBackend {
  private receiver: FrameReceiver | undefined;
  private closed = false;
  readonly tx: NetCounters = newCounters();
  readonly rx: NetCounters = newCounters();

  private constructor(
    private readonly socket: Socket,
    readonly remote: SocketAddress,
  ) {
    socket.on("message", (msg, from) => {
      if (from.port !== remote.port || !sameHost(from.address, remote.host)) {
        this.rx.dropped++;
        return;
      }
      this.rx.frames++;
      this.rx.bytes += msg.length;
      this.receiver?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
    });
    // Unreachable peers report errors on later sends; the link just loses frames.
    socket.on("error", () => {
      this.tx.dropped++;
    });
  }

  /** Binds `local`; rejects when the address is unusable. */
  static open(options: DgramNetBackendOptions): Promise<DgramNetBackend> {
    const socket = createSocket({ type: isIPv6(options.local.host) ? "udp6" : "udp4" });
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once("error", fail);
      socket.bind(options.local.port, options.local.host, () => {
        socket.off("error", fail);
        // Datagrams must not keep the process alive on their own.
        socket.unref();
        resolve(new DgramNetBackend(socket, options.remote));
      });
    });
  }

  /** The bound address. */
  get local(): SocketAddress {
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  send(frame: Uint8Array): void {
    if (this.closed || frame.length > MAX_DATAGRAM) {
      this.tx.dropped++;
      return;
    }
    this.tx.frames++;
    this.tx.bytes += frame.length;
    // The socket may send after we return, so it gets its own copy.
    this.socket.send(Buffer.from(frame), this.remote.port, this.remote.host, (error) => {
      if (error) this.tx.dropped++;
    });
  }

  setReceiver(receiver: FrameReceiver | undefined): void {
    this.receiver = receiver;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function sameHost(a: string, b: string): boolean {
  if (a === b) return true;
  const norm = (h: string): string => (h === "localhost" ? "127.0.0.1" : h.replace(/^::ffff:/, ""));
  return norm(a) === norm(b);
}
