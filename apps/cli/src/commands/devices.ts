import { statSync } from "node:fs";
import {
  type BlockBackend,
  BlockError,
  DgramNetBackend,
  macFromSeed,
  type NetBackend,
  NodeFsBackend,
  openImage,
  parseMac,
  parseSocketAddress,
  type SocketAddress,
  VIRT_VIRTIO_COUNT,
  Virtio9p,
  VirtioBalloon,
  VirtioBlk,
  type VirtioDevice,
  VirtioNet,
  VirtioRng,
} from "@monovisor/devmodel";
import { UsageError } from "./sizes.js";

/** One `--disk` option, parsed. */
export interface DiskSpec {
  readonly path: string;
  /** `auto` probes the image; only for images no guest has written (see the block README). */
  readonly format: "raw" | "qcow2" | "auto";
  readonly readOnly: boolean;
  readonly serial?: string;
}

/** The virtio devices asked for on the command line, in slot order: disks, then rng, balloon. */
export interface DeviceSpecs {
  readonly disks: readonly DiskSpec[];
  readonly rng: boolean;
  readonly balloon: boolean;
  /** `--net` options; their devices come after the others. */
  readonly nets?: readonly NetSpec[];
  /** `--share` options; their virtio-9p devices come last. */
  readonly shares?: readonly ShareSpec[];
}

/** One `--net` option, parsed: a virtio-net device on a UDP link to another process. */
export interface NetSpec {
  readonly kind: "dgram";
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  readonly mac: Uint8Array;
  readonly linkUp: boolean;
}

const NET_HELP = "dgram,local=HOST:PORT,remote=HOST:PORT[,mac=52:54:00:xx:xx:xx][,link=on|off]";

/**
 * Parses `dgram,local=H:P,remote=H:P[,mac=M][,link=on|off]`. The default MAC is derived from the
 * local address, so two processes on one host get different ones and a rerun the same one.
 */
export function parseNetSpec(text: string): NetSpec {
  const [kind, ...options] = splitOptions(text);
  if (kind === "switch" || kind.startsWith("switch="))
    throw new UsageError(
      `--net '${text}': a switch joins VMs of one process; between processes use ${NET_HELP}`,
    );
  if (kind !== "dgram") throw new UsageError(`--net '${text}': expected ${NET_HELP}`);
  let local: SocketAddress | undefined;
  let remote: SocketAddress | undefined;
  let mac: Uint8Array | undefined;
  let linkUp = true;
  for (const option of options) {
    const eq = option.indexOf("=");
    const key = eq < 0 ? option : option.slice(0, eq);
    const value = option.slice(eq + 1);
    try {
      if (key === "local" && eq > 0) local = parseSocketAddress(value);
      else if (key === "remote" && eq > 0) remote = parseSocketAddress(value);
      else if (key === "mac" && eq > 0) mac = parseMac(value);
      else if (key === "link" && (value === "on" || value === "off")) linkUp = value === "on";
      else throw new UsageError(`--net '${text}': unknown option '${option}' (${NET_HELP})`);
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(`--net ${key}: ${e.message}`);
      throw e;
    }
  }
  if (local === undefined || remote === undefined)
    throw new UsageError(`--net '${text}': local= and remote= are required (${NET_HELP})`);
  if (mac !== undefined && (mac[0] & 1) !== 0)
    throw new UsageError(`--net mac: ${text} is a multicast address`);
  return { kind, local, remote, linkUp, mac: mac ?? macFromSeed(`${local.host}:${local.port}`) };
}

/** virtio-blk GET_ID answers at most 20 bytes. */
const SERIAL_MAX = 20;

/** Splits on commas; `,,` is a literal comma, as in QEMU's option syntax. */
function splitOptions(text: string): string[] {
  const parts: string[] = [""];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== ",") parts[parts.length - 1] += text[i];
    else if (text[i + 1] === ",") {
      parts[parts.length - 1] += ",";
      i++;
    } else parts.push("");
  }
  return parts;
}

/** Parses `<file>[,format=raw|qcow2|auto][,readonly][,serial=S]`; checks that the file exists. */
export function parseDiskSpec(text: string): DiskSpec {
  const [path, ...options] = splitOptions(text);
  if (path === "") throw new UsageError(`--disk '${text}': no file given`);
  let format: DiskSpec["format"] = "raw";
  let readOnly = false;
  let serial: string | undefined;
  for (const option of options) {
    const eq = option.indexOf("=");
    const key = eq < 0 ? option : option.slice(0, eq);
    const value = eq < 0 ? undefined : option.slice(eq + 1);
    if (key === "format" && (value === "raw" || value === "qcow2" || value === "auto")) format = value;
    else if (key === "format")
      throw new UsageError(`--disk ${path}: format must be raw, qcow2 or auto, not '${value ?? ""}'`);
    else if (key === "readonly" && (value === undefined || value === "on")) readOnly = true;
    else if (key === "readonly" && value === "off") readOnly = false;
    else if (key === "serial" && value !== undefined) {
      if (new TextEncoder().encode(value).length > SERIAL_MAX)
        throw new UsageError(`--disk ${path}: serial '${value}' is longer than ${SERIAL_MAX} bytes`);
      serial = value;
    } else throw new UsageError(`--disk ${path}: unknown option '${option}' (format=, readonly, serial=)`);
  }
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`--disk ${path}: no such file`);
  }
  if (!isFile) throw new UsageError(`--disk ${path}: not a regular file`);
  return { path, format, readOnly, serial };
}

/** Checks the device options; throws {@link UsageError} when they are unusable. */
export function deviceSpecs(values: {
  disk?: string[];
  rng?: boolean;
  balloon?: boolean;
  net?: string[];
  share?: string[];
}): DeviceSpecs {
  const disks = (values.disk ?? []).map(parseDiskSpec);
  const nets = (values.net ?? []).map(parseNetSpec);
  const shares = parseShareSpecs(values.share ?? []);
  const specs = { disks, rng: values.rng === true, balloon: values.balloon === true, nets, shares };
  const count = disks.length + (specs.rng ? 1 : 0) + (specs.balloon ? 1 : 0) + nets.length + shares.length;
  if (count > VIRT_VIRTIO_COUNT)
    throw new UsageError(`${count} virtio devices asked for; the virt board has ${VIRT_VIRTIO_COUNT} slots`);
  return specs;
}

/** The opened devices, and the backends to close when the guest has stopped. */
export interface OpenDevices {
  readonly virtio: readonly VirtioDevice[];
  /** Flushes and closes every disk; reports failures as one line each. */
  close(): Promise<string[]>;
}

/** Opens the disk images; an image that cannot be used becomes a {@link UsageError}. */
export async function openDevices(specs: DeviceSpecs): Promise<OpenDevices> {
  const backends: BlockBackend[] = [];
  const netBackends: NetBackend[] = [];
  const close = async (): Promise<string[]> => {
    const errors: string[] = [];
    for (const net of netBackends.splice(0)) await net.close?.();
    for (const backend of backends.splice(0)) {
      try {
        await backend.close();
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    return errors;
  };
  const virtio: VirtioDevice[] = [];
  for (const disk of specs.disks) {
    let backend: BlockBackend;
    try {
      backend = await openImage(disk.path, {
        format: disk.format,
        readOnly: disk.readOnly,
        serial: disk.serial,
      });
    } catch (e) {
      await close();
      if (e instanceof BlockError) {
        // Format errors already start with the file name.
        const message = e.message.startsWith(disk.path) ? e.message : `${disk.path}: ${e.message}`;
        throw new UsageError(`--disk ${message}`);
      }
      throw e;
    }
    backends.push(backend);
    virtio.push(new VirtioBlk({ backend }));
  }
  if (specs.rng) virtio.push(new VirtioRng());
  if (specs.balloon) virtio.push(new VirtioBalloon());
  for (const net of specs.nets ?? []) {
    let backend: NetBackend;
    try {
      backend = await DgramNetBackend.open({ local: net.local, remote: net.remote });
    } catch (e) {
      await close();
      const where = `${net.local.host}:${net.local.port}`;
      throw new UsageError(`--net: cannot bind ${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
    netBackends.push(backend);
    virtio.push(new VirtioNet({ backend, mac: net.mac, linkUp: net.linkUp }));
  }
  for (const share of specs.shares ?? []) {
    virtio.push(
      new Virtio9p({ backend: new NodeFsBackend(share.path, { readOnly: share.readOnly }), tag: share.tag }),
    );
  }
  return { virtio, close };
}

/** One `--share` option, parsed: a host directory the guest mounts over virtio-9p. */
export interface ShareSpec {
  readonly path: string;
  /** Mount tag: `mount -t 9p -o trans=virtio,version=9p2000.L <tag> /mnt`. */
  readonly tag: string;
  readonly readOnly: boolean;
}

/** virtio-9p config holds at most this many tag bytes. */
const TAG_MAX = 255;

/** Parses `<hostdir>=<tag>[,readonly]`; checks that the directory exists. */
export function parseShareSpec(text: string): ShareSpec {
  const [share, ...options] = splitOptions(text);
  // The last `=` splits, so a directory name may hold one; a tag may not.
  const eq = share.lastIndexOf("=");
  const path = eq < 0 ? "" : share.slice(0, eq);
  const tag = eq < 0 ? "" : share.slice(eq + 1);
  if (path === "" || tag === "")
    throw new UsageError(`--share '${text}': expected <hostdir>=<tag>[,readonly]`);
  if (new TextEncoder().encode(tag).length > TAG_MAX)
    throw new UsageError(`--share ${path}: tag '${tag}' is longer than ${TAG_MAX} bytes`);
  let readOnly = false;
  for (const option of options) {
    if (option === "readonly" || option === "readonly=on") readOnly = true;
    else if (option === "readonly=off") readOnly = false;
    else throw new UsageError(`--share ${path}: unknown option '${option}' (readonly)`);
  }
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`--share ${path}: no such directory`);
  }
  if (!isDir) throw new UsageError(`--share ${path}: not a directory`);
  return { path, tag, readOnly };
}

function parseShareSpecs(texts: readonly string[]): ShareSpec[] {
  const shares = texts.map(parseShareSpec);
  const tags = new Set<string>();
  for (const { tag } of shares) {
    if (tags.has(tag)) throw new UsageError(`--share: tag '${tag}' is used twice`);
    tags.add(tag);
  }
  return shares;
}
