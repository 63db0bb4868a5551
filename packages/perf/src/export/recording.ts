import { RecordBatch } from "../ring/record-batch.js";
import { RECORD_BYTES, RECORD_WORDS } from "../ring/record-layout.js";
import { decodeRecord, type TraceEvent } from "../tracepoint/decode.js";
import { type FieldSpec, layoutFields, PAYLOAD_WORDS, type TracepointKind } from "../tracepoint/fields.js";
import type { TracepointInfo, TraceTable } from "../tracepoint/registry.js";
import { crc32 } from "./crc32.js";

/*
 * Recording file, all integers little-endian:
 *   0  8  magic "MVTRACE\0"
 *   8  2  format version
 *  10  2  header size (32)
 *  12  2  record size in bytes
 *  14  2  payload words per record
 *  16  4  table size in bytes (UTF-8 JSON: VM, vCPUs, tracepoints, strings, loss)
 *  20  4  record count
 *  24  4  CRC-32 of every byte after the header
 *  28  4  reserved, 0
 *  32     table, zero-padded to a multiple of 8
 *         records, RECORD_BYTES each (layout in ring/record-layout.ts), in time order
 */
const MAGIC = [0x4d, 0x56, 0x54, 0x52, 0x41, 0x43, 0x45, 0x00];
export const RECORDING_VERSION = 1;
const HEADER_BYTES = 32;

export class RecordingFormatError extends Error {
  override readonly name = "RecordingFormatError";
}

export interface RecordingMetadata {
  readonly vm: { readonly id: number; readonly name: string };
  readonly vcpus: number;
  /** Session clock at start and stop, nanoseconds. */
  readonly startNs: number;
  readonly endNs: number;
  /** Records lost per ring while recording; index `vcpus` is the host ring. */
  readonly lost: readonly number[];
}

interface TableJson extends RecordingMetadata {
  readonly tracepoints: readonly {
    id: number;
    name: string;
    class: string;
    kind: TracepointKind;
    description?: string;
    fields: readonly FieldSpec[];
  }[];
  readonly strings: readonly string[];
}

/** A decoded recording: metadata, the table to decode with, and the records. */
export class Recording implements TraceTable, RecordingMetadata {
  readonly version: number;
  readonly vm: { readonly id: number; readonly name: string };
  readonly vcpus: number;
  readonly startNs: number;
  readonly endNs: number;
  readonly lost: readonly number[];
  readonly tracepoints: readonly TracepointInfo[];
  readonly strings: readonly string[];
  readonly records: RecordBatch;

  constructor(version: number, metadata: RecordingMetadata, table: TraceTable, records: RecordBatch) {
    this.version = version;
    this.vm = metadata.vm;
    this.vcpus = metadata.vcpus;
    this.startNs = metadata.startNs;
    this.endNs = metadata.endNs;
    this.lost = metadata.lost;
    this.tracepoints = table.tracepoints;
    this.strings = table.strings;
    this.records = records;
  }

  *events(): IterableIterator<TraceEvent> {
    for (let i = 0; i < this.records.length; i++) yield decodeRecord(this, this.records, i);
  }
}

function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    throw new RecordingFormatError("recordings are little-endian; big-endian hosts are not supported");
  }
}

export function encodeRecording(
  metadata: RecordingMetadata,
  table: TraceTable,
  records: RecordBatch,
): Uint8Array {
  assertLittleEndianHost();
  const json: TableJson = {
    vm: metadata.vm,
    vcpus: metadata.vcpus,
    startNs: metadata.startNs,
    endNs: metadata.endNs,
    lost: metadata.lost,
    tracepoints: table.tracepoints.map((info) => ({
      id: info.id,
      name: info.name,
      class: info.class,
      kind: info.kind,
      ...(info.description === undefined ? {} : { description: info.description }),
      fields: info.fields.map(({ name, type, values }) =>
        values === undefined ? { name, type } : { name, type, values },
      ),
    })),
    strings: table.strings,
  };
  const tableBytes = new TextEncoder().encode(JSON.stringify(json));
  const tableSpan = Math.ceil(tableBytes.length / 8) * 8;
  const out = new Uint8Array(HEADER_BYTES + tableSpan + records.length * RECORD_BYTES);
  out.set(MAGIC, 0);
  out.set(tableBytes, HEADER_BYTES);
  const recordBytes = records.words.subarray(0, records.length * RECORD_WORDS);
  out.set(
    new Uint8Array(recordBytes.buffer, recordBytes.byteOffset, recordBytes.byteLength),
    HEADER_BYTES + tableSpan,
  );
  const view = new DataView(out.buffer);
  view.setUint16(8, RECORDING_VERSION, true);
  view.setUint16(10, HEADER_BYTES, true);
  view.setUint16(12, RECORD_BYTES, true);
  view.setUint16(14, PAYLOAD_WORDS, true);
  view.setUint32(16, tableBytes.length, true);
  view.setUint32(20, records.length, true);
  view.setUint32(24, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

export function readRecording(bytes: Uint8Array): Recording {
  assertLittleEndianHost();
  if (bytes.length < HEADER_BYTES || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new RecordingFormatError("not a monovisor trace recording (bad magic)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version !== RECORDING_VERSION)
    throw new RecordingFormatError(`unsupported recording version ${version}`);
  const headerBytes = view.getUint16(10, true);
  const recordBytes = view.getUint16(12, true);
  const payloadWords = view.getUint16(14, true);
  if (headerBytes !== HEADER_BYTES || recordBytes !== RECORD_BYTES || payloadWords !== PAYLOAD_WORDS) {
    throw new RecordingFormatError("unexpected header, record or payload size");
  }
  const tableLength = view.getUint32(16, true);
  const count = view.getUint32(20, true);
  const tableSpan = Math.ceil(tableLength / 8) * 8;
  const expected = HEADER_BYTES + tableSpan + count * RECORD_BYTES;
  if (bytes.length !== expected) {
    throw new RecordingFormatError(`recording is ${bytes.length} bytes, header implies ${expected}`);
  }
  if (crc32(bytes.subarray(HEADER_BYTES)) !== view.getUint32(24, true)) {
    throw new RecordingFormatError("recording checksum mismatch");
  }
  let json: TableJson;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + tableLength)));
  } catch (error) {
    throw new RecordingFormatError(`recording table is not valid JSON: ${(error as Error).message}`);
  }
  const tracepoints: TracepointInfo[] = json.tracepoints.map((spec) => ({
    id: spec.id,
    name: spec.name,
    class: spec.class,
    kind: spec.kind,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    fields: layoutFields(spec),
  }));
  // Copy so the records are 8-byte aligned whatever the input's offset.
  const words = new Uint32Array(count * RECORD_WORDS);
  const start = HEADER_BYTES + tableSpan;
  new Uint8Array(words.buffer).set(bytes.subarray(start, start + count * RECORD_BYTES));
  const indexed: TracepointInfo[] = [];
  for (const info of tracepoints) indexed[info.id] = info;
  return new Recording(
    version,
    { vm: json.vm, vcpus: json.vcpus, startNs: json.startNs, endNs: json.endNs, lost: json.lost },
    { tracepoints: indexed, strings: json.strings },
    new RecordBatch(words, count),
  );
}
