import { realpath } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { promisify } from "node:util";
import { constants as zlibConstants, inflateRaw as zlibInflateRaw } from "node:zlib";
import { asBlockError, type BlockBackend, ImageFormatError } from "./block-backend.js";
import { NodeImageFile } from "./node-image-file.js";
import { QCOW2_MAGIC } from "./qcow2/format.js";
import { type InflateRaw, Qcow2BlockBackend } from "./qcow2/qcow2.js";
import { RawBlockBackend } from "./raw.js";

export type ImageFormat = "raw" | "qcow2";

export interface OpenImageOptions extends OpenQcow2Options {
  /** `"auto"` (the default) probes; name the format when the image comes from an untrusted guest. */
  format?: ImageFormat | "auto";
}

export interface OpenQcow2Options {
  readOnly?: boolean;
  serial?: string;
  /** qcow2 only: bytes of metadata cached per image in the chain (default 8 MiB). */
  metadataCacheBytes?: number;
}

/** Backing chains deeper than this are refused (a loop that escaped detection, or abuse). */
export const MAX_BACKING_CHAIN = 32;

const inflate = promisify(zlibInflateRaw);

/** Inflates QEMU's compressed clusters (raw deflate; a stream cut at the cluster end is accepted). */
export const nodeInflateRaw: InflateRaw = async (compressed, outputLength) => {
  const out = await inflate(compressed, {
    finishFlush: zlibConstants.Z_SYNC_FLUSH,
    maxOutputLength: outputLength,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
};

/** Opens a raw image file. */
export async function openRaw(
  path: string,
  options: { readOnly?: boolean; serial?: string } = {},
): Promise<RawBlockBackend> {
  const file = await openFile(path, options.readOnly ?? false);
  try {
    return await RawBlockBackend.open(file, options);
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** Opens a qcow2 image with its backing chain (backing files are always read-only). */
export function openQcow2(path: string, options: OpenQcow2Options = {}): Promise<Qcow2BlockBackend> {
  return openQcow2Chain(path, { ...options, readOnly: options.readOnly ?? false }, []);
}

/**
 * Opens a disk image as a {@link BlockBackend}. Throws {@link ImageFormatError} for a bad image
 * or backing chain, {@link BlockIoError} when the file cannot be opened.
 *
 * Probing treats anything starting with the qcow2 magic as qcow2, as QEMU does. A raw image
 * written by a guest may start with that magic (and name any host file as its backing file), so
 * pass `format` for images a guest controls.
 */
export async function openImage(path: string, options: OpenImageOptions = {}): Promise<BlockBackend> {
  const format =
    options.format === undefined || options.format === "auto" ? await probeImageFormat(path) : options.format;
  if (format === "qcow2") return openQcow2(path, options);
  return openRaw(path, options);
}

/** "qcow2" when the file starts with the qcow2 magic, else "raw". */
export async function probeImageFormat(path: string): Promise<ImageFormat> {
  const file = await openFile(path, true);
  try {
    const head = new Uint8Array(4);
    const n = await asBlockError(`${path}: probe`, () => file.read(0, head));
    return n === 4 && new DataView(head.buffer).getUint32(0) === QCOW2_MAGIC ? "qcow2" : "raw";
  } finally {
    await file.close();
  }
}

async function openFile(path: string, readOnly: boolean): Promise<NodeImageFile> {
  return asBlockError(`${path}: open`, () => NodeImageFile.open(path, readOnly));
}

async function openQcow2Chain(
  path: string,
  options: OpenQcow2Options & { readOnly: boolean },
  chain: string[],
): Promise<Qcow2BlockBackend> {
  const file = await openFile(path, options.readOnly);
  try {
    const here = await asBlockError(`${path}: open`, () => realpath(path));
    const cache = options.metadataCacheBytes;
    return await Qcow2BlockBackend.open(file, {
      ...options,
      inflateRaw: nodeInflateRaw,
      openBacking: (name, format) =>
        openBacking(
          path,
          name,
          format,
          [...chain, here],
          cache === undefined ? {} : { metadataCacheBytes: cache },
        ),
    });
  } catch (error) {
    await file.close().catch(() => {});
    throw error;
  }
}

async function openBacking(
  imagePath: string,
  name: string,
  format: string | undefined,
  chain: string[],
  options: OpenQcow2Options,
): Promise<BlockBackend> {
  const fail = (detail: string) => new ImageFormatError(imagePath, "backing file", detail);
  let target = name;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    if (!target.startsWith("file:")) throw fail(`"${name}": only local files are supported`);
    target = target.slice("file:".length);
  }
  // Relative names are relative to the image that names them, not to the working directory.
  const path = isAbsolute(target) ? target : resolve(dirname(imagePath), target);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw fail(`"${name}" (${path}) does not exist`);
  }
  if (chain.includes(real)) throw fail(`"${name}" makes a loop: ${[...chain, real].join(" -> ")}`);
  if (chain.length >= MAX_BACKING_CHAIN) throw fail(`chain is deeper than ${MAX_BACKING_CHAIN}`);
  if (format !== undefined && format !== "raw" && format !== "qcow2") {
    throw fail(`"${name}" has unsupported format "${format}"`);
  }
  const resolved = format ?? (await probeImageFormat(path));
  if (resolved === "raw") return openRaw(path, { readOnly: true });
  return openQcow2Chain(path, { ...options, readOnly: true }, chain);
}
