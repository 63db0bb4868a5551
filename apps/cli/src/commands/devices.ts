import { statSync } from "node:fs";
import {
  type BlockBackend,
  BlockError,
  openImage,
  VIRT_VIRTIO_COUNT,
  VirtioBalloon,
  VirtioBlk,
  type VirtioDevice,
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
export function deviceSpecs(values: { disk?: string[]; rng?: boolean; balloon?: boolean }): DeviceSpecs {
  const disks = (values.disk ?? []).map(parseDiskSpec);
  const specs = { disks, rng: values.rng === true, balloon: values.balloon === true };
  const count = disks.length + (specs.rng ? 1 : 0) + (specs.balloon ? 1 : 0);
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
  const close = async (): Promise<string[]> => {
    const errors: string[] = [];
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
  return { virtio, close };
}
