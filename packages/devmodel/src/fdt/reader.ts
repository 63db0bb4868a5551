import { DeviceTree, FdtNode } from "./device-tree.js";
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_MAGIC,
  FDT_NOP,
  FDT_PROP,
  FDT_RESERVE_ENTRY_SIZE,
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

/** Deeper trees than this are refused rather than walked (no real tree comes close). */
const MAX_DEPTH = 64;

function fail(message: string): never {
  throw new FdtError(`invalid device tree blob: ${message}`);
}

/**
 * Parses a flattened device tree (version 16 or 17) into a {@link DeviceTree} that can be
 * inspected, edited and written again. Bytes after `totalsize` are ignored. Every malformed
 * input ends in {@link FdtError}.
 */
export function parseDtb(bytes: Uint8Array): DeviceTree {
  if (bytes.length < FDT_HEADER_SIZE) fail(`${bytes.length} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(HDR_MAGIC) !== FDT_MAGIC) fail("bad magic");
  const total = view.getUint32(HDR_TOTALSIZE);
  if (total > bytes.length || total < FDT_HEADER_SIZE)
    fail(`totalsize ${total} exceeds the ${bytes.length}-byte input`);
  const version = view.getUint32(HDR_VERSION);
  if (version < 16 || view.getUint32(HDR_LAST_COMP_VERSION) > 17) fail(`unsupported version ${version}`);
  const offStruct = view.getUint32(HDR_OFF_DT_STRUCT);
  const offStrings = view.getUint32(HDR_OFF_DT_STRINGS);
  const offRsvmap = view.getUint32(HDR_OFF_MEM_RSVMAP);
  const sizeStrings = view.getUint32(HDR_SIZE_DT_STRINGS);
  // Version 16 has no size_dt_struct: the block runs to the strings (or the end).
  const sizeStruct = version >= 17 ? view.getUint32(HDR_SIZE_DT_STRUCT) : total - offStruct;
  const inBlob = (off: number, size: number) => off >= FDT_HEADER_SIZE && size >= 0 && off + size <= total;
  if (!inBlob(offStruct, sizeStruct) || offStruct % 4 !== 0) fail("structure block out of bounds");
  if (!inBlob(offStrings, sizeStrings)) fail("strings block out of bounds");
  if (offRsvmap % 8 !== 0 || !inBlob(offRsvmap, FDT_RESERVE_ENTRY_SIZE))
    fail("reservation block out of bounds");

  const tree = new DeviceTree({ bootCpuId: view.getUint32(HDR_BOOT_CPUID_PHYS) });
  for (let at = offRsvmap; ; at += FDT_RESERVE_ENTRY_SIZE) {
    if (at + FDT_RESERVE_ENTRY_SIZE > total) fail("unterminated reservation block");
    const address = view.getBigUint64(at);
    const size = view.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    if (address > max || size > max) fail(`reservation ${address}+${size} beyond 2^53`);
    tree.addReservation(Number(address), Number(size));
  }

  const decoder = new TextDecoder();
  const structEnd = offStruct + sizeStruct;
  const cString = (from: number, end: number, what: string): [string, number] => {
    const nul = bytes.subarray(0, end).indexOf(0, from);
    if (nul < 0) fail(`unterminated ${what}`);
    return [decoder.decode(bytes.subarray(from, nul)), nul];
  };
  const u32 = (at: number): number => {
    if (at + 4 > structEnd) fail("structure block ends inside a token");
    return view.getUint32(at);
  };

  const stack: FdtNode[] = [];
  let at = offStruct;
  let sawRoot = false;
  for (;;) {
    const token = u32(at);
    at += 4;
    if (token === FDT_BEGIN_NODE) {
      const [name, nul] = cString(at, structEnd, "node name");
      at = (nul + 4) & ~3;
      if (stack.length === 0) {
        if (sawRoot) fail("more than one root node");
        if (name !== "") fail(`root node is named "${name}"`);
        sawRoot = true;
        stack.push(tree.root);
      } else {
        if (stack.length >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
        if (name === "") fail("empty node name");
        const parent = stack[stack.length - 1];
        stack.push(parent.attach(new FdtNode(tree, name, false)));
      }
    } else if (token === FDT_PROP) {
      const node = stack[stack.length - 1];
      if (node === undefined) fail("property outside any node");
      const length = u32(at);
      const nameOff = u32(at + 4);
      at += 8;
      if (at + length > structEnd) fail("property value runs past the structure block");
      if (nameOff >= sizeStrings) fail(`property name offset ${nameOff} out of bounds`);
      const [name] = cString(offStrings + nameOff, offStrings + sizeStrings, "property name");
      if (node.children.length > 0) fail(`property "${name}" after a child node`);
      node.setRaw(name, bytes.slice(at, at + length));
      at = (at + length + 3) & ~3;
    } else if (token === FDT_END_NODE) {
      if (stack.pop() === undefined) fail("unbalanced end of node");
    } else if (token === FDT_NOP) {
      // Left behind by in-place editors; nothing to do.
    } else if (token === FDT_END) {
      if (!sawRoot || stack.length !== 0) fail("end token inside a node or before the root");
      return tree;
    } else {
      fail(`unknown token ${token} at offset ${at - 4}`);
    }
  }
}
