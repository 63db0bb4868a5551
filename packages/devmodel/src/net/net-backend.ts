/** Receives one Ethernet frame; the bytes are only valid during the call. */
export type FrameReceiver = (frame: Uint8Array) => void;

/**
 * Where a network device's frames go and come from: a switch port, a socket, a test harness.
 * Frames are whole Ethernet frames (destination MAC first, no FCS, no virtio header). Neither
 * direction ever blocks: a backend that cannot take a frame drops it.
 */
export interface NetBackend {
  /** Sends one frame; the backend copies what it keeps. */
  send(frame: Uint8Array): void;
  /** Sets (or clears) where the backend pushes frames for the device. */
  setReceiver(receiver: FrameReceiver | undefined): void;
  /** Releases host resources (sockets); frames sent afterwards are dropped. */
  close?(): void | Promise<void>;
}

/** Frame and byte counts of one direction. */
export interface NetCounters {
  frames: number;
  bytes: number;
  dropped: number;
}

export function newCounters(): NetCounters {
  return { frames: 0, bytes: 0, dropped: 0 };
}

/** Parses `aa:bb:cc:dd:ee:ff` (or with `-`); throws RangeError. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
    throw new RangeError(`'${text}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * A locally administered-looking QEMU-style address 52:54:00:xx:xx:xx derived from `seed`
 * (FNV-1a), so the same configuration always gets the same MAC.
 */
export function macFromSeed(seed: string): Uint8Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return Uint8Array.of(0x52, 0x54, 0x00, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff);
}
