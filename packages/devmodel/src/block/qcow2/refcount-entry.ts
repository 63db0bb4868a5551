/**
 * Refcount block entries are `2^refcount_order` bits wide (1..64). Entries narrower than a byte
 * are packed starting at the least significant bit; wider ones are big-endian.
 */

export function getRefcountEntry(block: Uint8Array, view: DataView, index: number, bits: number): number {
  switch (bits) {
    case 64: {
      const hi = view.getUint32(index * 8);
      // A refcount this large only appears in a corrupt image; saturate rather than lose precision.
      return hi >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : hi * 2 ** 32 + view.getUint32(index * 8 + 4);
    }
    case 32:
      return view.getUint32(index * 4);
    case 16:
      return view.getUint16(index * 2);
    case 8:
      return block[index];
    default: {
      const perByte = 8 / bits;
      const shift = (index % perByte) * bits;
      return (block[Math.floor(index / perByte)] >> shift) & ((1 << bits) - 1);
    }
  }
}

export function setRefcountEntry(
  block: Uint8Array,
  view: DataView,
  index: number,
  bits: number,
  value: number,
): void {
  switch (bits) {
    case 64:
      view.setUint32(index * 8, Math.floor(value / 2 ** 32));
      view.setUint32(index * 8 + 4, value >>> 0);
      return;
    case 32:
      view.setUint32(index * 4, value);
      return;
    case 16:
      view.setUint16(index * 2, value);
      return;
    case 8:
      block[index] = value;
      return;
    default: {
      const perByte = 8 / bits;
      const shift = (index % perByte) * bits;
      const mask = ((1 << bits) - 1) << shift;
      const at = Math.floor(index / perByte);
      block[at] = (block[at] & ~mask) | ((value << shift) & mask);
    }
  }
}

/** The largest refcount an entry of `bits` bits holds. */
export function maxRefcount(bits: number): number {
  return bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
}
