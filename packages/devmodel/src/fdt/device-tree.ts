import { FdtError } from "./format.js";
import { writeDtb } from "./writer.js";

/** Node names: `name[@unit-address]`, name up to 31 characters (DT spec 2.2.1). */
const NODE_NAME = /^[0-9A-Za-z,._+-]{1,31}(@[0-9A-Za-z,._+-]+)?$/;
/** Property names (DT spec 2.2.4). */
const PROPERTY_NAME = /^[0-9A-Za-z,._+?#-]{1,31}$/;
const U64_MAX = (1n << 64n) - 1n;

function checkU32(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new FdtError(`${what}: ${value} is not a 32-bit unsigned cell`);
  }
}

function toU64(what: string, value: number | bigint): bigint {
  if (typeof value === "number" && (!Number.isSafeInteger(value) || value < 0)) {
    throw new FdtError(`${what}: ${value} is not a safe unsigned integer`);
  }
  const v = BigInt(value);
  if (v < 0n || v > U64_MAX) throw new FdtError(`${what}: ${value} does not fit 64 bits`);
  return v;
}

/** A 64-bit value as two cells, high first: the form `reg` takes with `#address-cells = <2>`. */
export function u64Cells(value: number | bigint): [number, number] {
  const v = toU64("u64Cells", value);
  return [Number(v >> 32n), Number(v & 0xffff_ffffn)];
}

export interface FdtReservation {
  readonly address: number;
  readonly size: number;
}

/**
 * One node of a device tree. Property values are kept encoded (big-endian cells, NUL-terminated
 * strings), exactly as they go into the blob, so a parsed tree re-serializes unchanged. Setters
 * replace a property of the same name in place and return the node, for chaining.
 */
export class FdtNode {
  private readonly props = new Map<string, Uint8Array>();
  private readonly kids: FdtNode[] = [];

  /** @internal Nodes are made by {@link DeviceTree} and {@link FdtNode.addNode}. */
  constructor(
    readonly tree: DeviceTree,
    readonly name: string,
    validate = true,
  ) {
    if (validate && !NODE_NAME.test(name)) throw new FdtError(`invalid node name "${name}"`);
  }

  /** Adds a child node; names must be unique among siblings. */
  addNode(name: string): FdtNode {
    return this.attach(new FdtNode(this.tree, name));
  }

  /** @internal Used by the reader, which accepts any name a foreign blob holds. */
  attach(node: FdtNode): FdtNode {
    if (this.kids.some((k) => k.name === node.name)) {
      throw new FdtError(`node "${this.name || "/"}" already has a child "${node.name}"`);
    }
    this.kids.push(node);
    return node;
  }

  /** The child called `name` (full name including any `@unit-address`). */
  child(name: string): FdtNode | undefined {
    return this.kids.find((k) => k.name === name);
  }

  get children(): readonly FdtNode[] {
    return this.kids;
  }

  /** Property names in insertion order. */
  propertyNames(): string[] {
    return [...this.props.keys()];
  }

  /** A property's raw bytes. */
  getBytes(name: string): Uint8Array | undefined {
    return this.props.get(name);
  }

  has(name: string): boolean {
    return this.props.has(name);
  }

  /** Sets raw bytes (also used for values this class has no typed setter for). */
  setBytes(name: string, value: Uint8Array): this {
    if (!PROPERTY_NAME.test(name)) throw new FdtError(`invalid property name "${name}"`);
    this.props.set(name, value.slice());
    return this;
  }

  /** @internal Reader path: no name check, no copy. */
  setRaw(name: string, value: Uint8Array): void {
    if (this.props.has(name)) throw new FdtError(`node "${this.name || "/"}" repeats property "${name}"`);
    this.props.set(name, value);
  }

  /** A property with no value (a boolean such as `interrupt-controller` or `dma-coherent`). */
  setEmpty(name: string): this {
    return this.setBytes(name, new Uint8Array(0));
  }

  setU32(name: string, value: number): this {
    return this.setCells(name, [value]);
  }

  /** A 64-bit value as two cells. Numbers must be safe integers; larger values need a bigint. */
  setU64(name: string, value: number | bigint): this {
    return this.setCells(name, u64Cells(value));
  }

  /** An array of 32-bit cells, e.g. `reg`, `interrupts-extended`, `ranges`. */
  setCells(name: string, cells: readonly number[]): this {
    const bytes = new Uint8Array(cells.length * 4);
    const view = new DataView(bytes.buffer);
    cells.forEach((c, i) => {
      checkU32(`${name}[${i}]`, c);
      view.setUint32(i * 4, c);
    });
    return this.setBytes(name, bytes);
  }

  setString(name: string, value: string): this {
    return this.setStrings(name, [value]);
  }

  /** A string list such as `compatible = "a", "b"`; strings must not contain NUL. */
  setStrings(name: string, values: readonly string[]): this {
    const encoder = new TextEncoder();
    const parts = values.map((v) => {
      if (v.includes("\0")) throw new FdtError(`${name}: string contains NUL`);
      return encoder.encode(v);
    });
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length + 1;
    }
    return this.setBytes(name, bytes);
  }

  /** Removes a property; returns whether it existed. */
  deleteProperty(name: string): boolean {
    return this.props.delete(name);
  }

  /**
   * This node's phandle, assigning a fresh one (and the `phandle` property) on first use, so
   * other nodes can reference it in `interrupt-parent`, `interrupts-extended` and the like.
   */
  phandle(): number {
    const existing = this.getU32("phandle");
    if (existing !== undefined) return existing;
    const value = this.tree.allocatePhandle();
    this.setU32("phandle", value);
    return value;
  }

  getU32(name: string): number | undefined {
    const cells = this.getCells(name);
    if (cells === undefined) return undefined;
    if (cells.length !== 1) throw new FdtError(`${name} holds ${cells.length} cells, expected 1`);
    return cells[0];
  }

  /** A 64-bit property (two cells) as a bigint. */
  getU64(name: string): bigint | undefined {
    const cells = this.getCells(name);
    if (cells === undefined) return undefined;
    if (cells.length !== 2) throw new FdtError(`${name} holds ${cells.length} cells, expected 2`);
    return (BigInt(cells[0]) << 32n) | BigInt(cells[1]);
  }

  getCells(name: string): number[] | undefined {
    const bytes = this.props.get(name);
    if (bytes === undefined) return undefined;
    if (bytes.length % 4 !== 0) throw new FdtError(`${name} is ${bytes.length} bytes, not whole cells`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4));
  }

  getString(name: string): string | undefined {
    return this.getStrings(name)?.[0];
  }

  getStrings(name: string): string[] | undefined {
    const bytes = this.props.get(name);
    if (bytes === undefined) return undefined;
    if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) {
      throw new FdtError(`${name} is not a NUL-terminated string list`);
    }
    return new TextDecoder().decode(bytes.subarray(0, bytes.length - 1)).split("\0");
  }
}

export interface DeviceTreeOptions {
  /** `boot_cpuid_phys` in the header: the hart that boots. */
  bootCpuId?: number;
}

/**
 * A device tree under construction (or parsed by {@link parseDtb}), serialized by
 * {@link DeviceTree.toDtb} into a version 17 blob.
 */
export class DeviceTree {
  readonly root: FdtNode;
  readonly reservations: FdtReservation[] = [];
  bootCpuId: number;

  constructor(options: DeviceTreeOptions = {}) {
    this.root = new FdtNode(this, "", false);
    this.bootCpuId = options.bootCpuId ?? 0;
    checkU32("bootCpuId", this.bootCpuId);
  }

  /** Adds an entry to the memory reservation block (memory the OS must not use). */
  addReservation(address: number, size: number): this {
    toU64("reservation address", address);
    toU64("reservation size", size);
    this.reservations.push({ address, size });
    return this;
  }

  /** The node at an absolute path such as `/soc/serial@10000000`. */
  find(path: string): FdtNode | undefined {
    if (!path.startsWith("/")) return undefined;
    let node: FdtNode | undefined = this.root;
    for (const part of path.split("/").filter((p) => p !== "")) {
      node = node?.child(part);
    }
    return node;
  }

  /** A phandle no node uses yet: one above the highest in the tree. */
  allocatePhandle(): number {
    let highest = 0;
    const visit = (n: FdtNode) => {
      const p = n.has("phandle") ? n.getU32("phandle") : undefined;
      if (p !== undefined && p !== 0xffff_ffff) highest = Math.max(highest, p);
      for (const c of n.children) visit(c);
    };
    visit(this.root);
    if (highest + 1 >= 0xffff_ffff) throw new FdtError("no phandles left");
    return highest + 1;
  }

  /**
   * Serializes the tree. `padding` adds free space at the end of the blob (counted in
   * `totalsize`) for firmware that edits the tree in place.
   */
  toDtb(options: { padding?: number } = {}): Uint8Array {
    return writeDtb(this, options.padding ?? 0);
  }
}
