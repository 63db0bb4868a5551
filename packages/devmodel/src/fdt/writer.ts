import type { DeviceTree, FdtNode } from "./device-tree.js";
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_LAST_COMP_VERSION,
  FDT_MAGIC,
  FDT_PROP,
  FDT_RESERVE_ENTRY_SIZE,
  FDT_VERSION,
  FdtError,
  HDR_BOOT_CPUID_PHYS,
  HDR_LAST_COMP_VERSION,
  HDR_MAGIC,
  HDR_OFF_DT_STRINGS,
  HDR_OFF_DT_STRUCT,
  HDR_OFF_MEM_RSVMAP,
  HDR_SIZE_DT_STRINGS,
  HDR_SIZE_DT_STRUCT,
  HDR_TOTALSIZE,
  HDR_VERSION,
} from "./format.js";

const align4 = (n: number): number => (n + 3) & ~3;

/** The strings block: each property name once, referenced by offset. */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly parts: Uint8Array[] = [];
  size = 0;

  offsetOf(name: string): number {
    let off = this.offsets.get(name);
    if (off === undefined) {
      const bytes = new TextEncoder().encode(`${name}\0`);
      off = this.size;
      this.offsets.set(name, off);
      this.parts.push(bytes);
      this.size += bytes.length;
    }
    return off;
  }

  writeTo(out: Uint8Array, at: number): void {
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
  }
}

/** Encodes the structure block in two passes: measure, then write. */
function structSize(node: FdtNode, strings: StringTable): number {
  let size = 4 + align4(new TextEncoder().encode(node.name).length + 1);
  for (const name of node.propertyNames()) {
    strings.offsetOf(name);
    size += 12 + align4(node.getBytes(name)!.length);
  }
  for (const child of node.children) size += structSize(child, strings);
  return size + 4;
}

function writeNode(node: FdtNode, view: DataView, out: Uint8Array, at: number, strings: StringTable): number {
  view.setUint32(at, FDT_BEGIN_NODE);
  const name = new TextEncoder().encode(node.name);
  out.set(name, at + 4);
  at += 4 + align4(name.length + 1);
  for (const prop of node.propertyNames()) {
    const value = node.getBytes(prop)!;
    view.setUint32(at, FDT_PROP);
    view.setUint32(at + 4, value.length);
    view.setUint32(at + 8, strings.offsetOf(prop));
    out.set(value, at + 12);
    at += 12 + align4(value.length);
  }
  for (const child of node.children) at = writeNode(child, view, out, at, strings);
  view.setUint32(at, FDT_END_NODE);
  return at + 4;
}

/** Layout: header, reservation block (8-byte aligned), structure block, strings block, padding. */
export function writeDtb(tree: DeviceTree, padding: number): Uint8Array {
  if (!Number.isInteger(padding) || padding < 0) throw new FdtError(`bad padding ${padding}`);
  const strings = new StringTable();
  const sizeStruct = structSize(tree.root, strings) + 4;
  const offRsvmap = FDT_HEADER_SIZE;
  const offStruct = offRsvmap + (tree.reservations.length + 1) * FDT_RESERVE_ENTRY_SIZE;
  const offStrings = offStruct + sizeStruct;
  const total = offStrings + strings.size + padding;
  if (total > 0xffff_ffff) throw new FdtError("device tree exceeds 4 GiB");

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(HDR_MAGIC, FDT_MAGIC);
  view.setUint32(HDR_TOTALSIZE, total);
  view.setUint32(HDR_OFF_DT_STRUCT, offStruct);
  view.setUint32(HDR_OFF_DT_STRINGS, offStrings);
  view.setUint32(HDR_OFF_MEM_RSVMAP, offRsvmap);
  view.setUint32(HDR_VERSION, FDT_VERSION);
  view.setUint32(HDR_LAST_COMP_VERSION, FDT_LAST_COMP_VERSION);
  view.setUint32(HDR_BOOT_CPUID_PHYS, tree.bootCpuId);
  view.setUint32(HDR_SIZE_DT_STRINGS, strings.size);
  view.setUint32(HDR_SIZE_DT_STRUCT, sizeStruct);

  tree.reservations.forEach((r, i) => {
    view.setBigUint64(offRsvmap + i * FDT_RESERVE_ENTRY_SIZE, BigInt(r.address));
    view.setBigUint64(offRsvmap + i * FDT_RESERVE_ENTRY_SIZE + 8, BigInt(r.size));
  });
  const end = writeNode(tree.root, view, out, offStruct, strings);
  view.setUint32(end, FDT_END);
  strings.writeTo(out, offStrings);
  return out;
}
