import { RECORD_HEADER, RECORD_PAYLOAD, RECORD_WORDS } from "./record-layout.js";

/** A run of trace records copied out of rings; indexed access, no per-record objects. */
export class RecordBatch {
  readonly words: Uint32Array;
  readonly length: number;
  private readonly f64: Float64Array;

  constructor(words: Uint32Array, length = Math.floor(words.length / RECORD_WORDS)) {
    if (words.byteOffset % 8 !== 0) throw new RangeError("record words must be 8-byte aligned");
    if (length * RECORD_WORDS > words.length) throw new RangeError("batch length exceeds its words");
    this.words = words;
    this.length = length;
    this.f64 = new Float64Array(words.buffer, words.byteOffset, (length * RECORD_WORDS) / 2);
  }

  static empty(): RecordBatch {
    return new RecordBatch(new Uint32Array(0), 0);
  }

  static concat(batches: readonly RecordBatch[]): RecordBatch {
    const total = batches.reduce((sum, batch) => sum + batch.length, 0);
    const words = new Uint32Array(total * RECORD_WORDS);
    let offset = 0;
    for (const batch of batches) {
      words.set(batch.words.subarray(0, batch.length * RECORD_WORDS), offset);
      offset += batch.length * RECORD_WORDS;
    }
    return new RecordBatch(words, total);
  }

  timestamp(index: number): number {
    return this.f64[(index * RECORD_WORDS) >> 1];
  }

  value(index: number): number {
    return this.f64[((index * RECORD_WORDS) >> 1) + 1];
  }

  tracepointId(index: number): number {
    return this.words[index * RECORD_WORDS + RECORD_HEADER] & 0xffff;
  }

  vcpu(index: number): number {
    return this.words[index * RECORD_WORDS + RECORD_HEADER] >>> 16;
  }

  word(index: number, payloadWord: number): number {
    return this.words[index * RECORD_WORDS + RECORD_PAYLOAD + payloadWord];
  }

  /** A copy holding only the records `keep` accepts, in order. */
  filter(keep: (batch: RecordBatch, index: number) => boolean): RecordBatch {
    const picked: number[] = [];
    for (let i = 0; i < this.length; i++) if (keep(this, i)) picked.push(i);
    return this.pick(picked);
  }

  /** A copy ordered by timestamp (stable, so one vCPU's equal stamps keep their order). */
  sortedByTime(): RecordBatch {
    const order = Array.from({ length: this.length }, (_, i) => i);
    order.sort((a, b) => this.timestamp(a) - this.timestamp(b) || a - b);
    return this.pick(order);
  }

  private pick(indices: readonly number[]): RecordBatch {
    const words = new Uint32Array(indices.length * RECORD_WORDS);
    indices.forEach((from, to) => {
      words.set(this.words.subarray(from * RECORD_WORDS, (from + 1) * RECORD_WORDS), to * RECORD_WORDS);
    });
    return new RecordBatch(words, indices.length);
  }
}
