/** Values at or above this are counted in the last bucket. */
const MAX_EXPONENT = 62;
const TWO_32 = 4294967296;
/** Slots after the buckets in a histogram's storage: count, sum, min, max. */
const S_TOTAL = 0;
const S_SUM = 1;
const S_MIN = 2;
const S_MAX = 3;
const SUMMARY_SLOTS = 4;

function bucketCount(precisionBits: number): number {
  return (MAX_EXPONENT - precisionBits + 2) << precisionBits;
}

export interface HistogramSummary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly sum: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
}

export interface HistogramBucket {
  /** Inclusive lower bound. */
  readonly low: number;
  /** Exclusive upper bound. */
  readonly high: number;
  readonly count: number;
}

export class HistogramMergeError extends Error {
  override readonly name = "HistogramMergeError";
}

/**
 * A log-linear histogram of non-negative values (typically nanoseconds), in the manner of
 * HdrHistogram: values below 2^p are counted exactly, above that every power of two is split
 * into 2^p equal buckets, so a reported percentile is within 2^-p of the true value. Recording
 * is a few integer operations and never allocates.
 *
 * Everything lives in one `Float64Array` (buckets, then count, sum, min and max), which may be
 * given: a view of a `SharedArrayBuffer` lets one thread record while another reads.
 */
export class Histogram {
  readonly precisionBits: number;
  private readonly subBuckets: number;
  private readonly counts: Float64Array;
  /** count, sum, min, max. */
  private readonly summaryState: Float64Array;

  /** Float64 slots a histogram of this precision keeps in its storage. */
  static storageLength(precisionBits = 6): number {
    return bucketCount(precisionBits) + SUMMARY_SLOTS;
  }

  /**
   * @param storage where the histogram lives (`Histogram.storageLength(precisionBits)` slots,
   *   all zero for an empty histogram); a fresh array when omitted.
   */
  constructor(precisionBits = 6, storage?: Float64Array) {
    if (!(Number.isInteger(precisionBits) && precisionBits >= 1 && precisionBits <= 12)) {
      throw new RangeError(`histogram precision ${precisionBits} out of range 1..12`);
    }
    this.precisionBits = precisionBits;
    this.subBuckets = 1 << precisionBits;
    const buckets = bucketCount(precisionBits);
    const length = buckets + SUMMARY_SLOTS;
    if (storage !== undefined && storage.length !== length) {
      throw new RangeError(`histogram storage has ${storage.length} slots, not ${length}`);
    }
    const state = storage ?? new Float64Array(length);
    this.counts = state.subarray(0, buckets);
    this.summaryState = state.subarray(buckets);
  }

  get count(): number {
    return this.summaryState[S_TOTAL];
  }

  private get total(): number {
    return this.summaryState[S_TOTAL];
  }

  private get sumOfValues(): number {
    return this.summaryState[S_SUM];
  }

  /** Stored min is meaningful only once something was recorded. */
  private get minimum(): number {
    const s = this.summaryState;
    return s[S_TOTAL] === 0 ? Number.POSITIVE_INFINITY : s[S_MIN];
  }

  private get maximum(): number {
    return this.summaryState[S_MAX];
  }

  record(value: number): void {
    const v = value > 0 ? value : 0; // also maps NaN to 0
    this.counts[this.bucketOf(v)]++;
    const s = this.summaryState;
    s[S_MIN] = s[S_TOTAL] === 0 || v < s[S_MIN] ? v : s[S_MIN];
    s[S_TOTAL]++;
    s[S_SUM] += v;
    if (v > s[S_MAX]) s[S_MAX] = v;
  }

  /** Adds `count` occurrences of `value` (for merging foreign data). */
  recordMany(value: number, count: number): void {
    if (count <= 0) return;
    const v = value > 0 ? value : 0;
    this.counts[this.bucketOf(v)] += count;
    const s = this.summaryState;
    s[S_MIN] = s[S_TOTAL] === 0 || v < s[S_MIN] ? v : s[S_MIN];
    s[S_TOTAL] += count;
    s[S_SUM] += v * count;
    if (v > s[S_MAX]) s[S_MAX] = v;
  }

  /** The value below which `percent` of recorded values fall, within the bucket precision. */
  percentile(percent: number): number {
    if (this.total === 0) return 0;
    if (percent <= 0) return this.minimum;
    if (percent >= 100) return this.maximum;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.total));
    let seen = 0;
    for (let index = 0; index < this.counts.length; index++) {
      seen += this.counts[index];
      if (seen >= rank) return this.clamp(this.representative(index));
    }
    return this.maximum;
  }

  summary(): HistogramSummary {
    const empty = this.total === 0;
    return {
      count: this.total,
      min: empty ? 0 : this.minimum,
      max: this.maximum,
      mean: empty ? 0 : this.sumOfValues / this.total,
      sum: this.sumOfValues,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    };
  }

  /** Non-empty buckets in ascending order. */
  buckets(): HistogramBucket[] {
    const result: HistogramBucket[] = [];
    this.counts.forEach((count, index) => {
      if (count > 0) result.push({ ...this.bounds(index), count });
    });
    return result;
  }

  /** Adds another histogram of the same precision into this one. */
  merge(other: Histogram): this {
    if (other.precisionBits !== this.precisionBits) {
      throw new HistogramMergeError(
        `cannot merge precision ${other.precisionBits} into ${this.precisionBits}`,
      );
    }
    if (other.total === 0) return this;
    for (let index = 0; index < this.counts.length; index++) this.counts[index] += other.counts[index];
    const s = this.summaryState;
    s[S_MIN] = Math.min(this.minimum, other.minimum);
    s[S_MAX] = Math.max(this.maximum, other.maximum);
    s[S_TOTAL] += other.total;
    s[S_SUM] += other.sumOfValues;
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.summaryState.fill(0);
  }

  private bucketOf(v: number): number {
    const sub = this.subBuckets;
    if (v < sub) return v | 0;
    let exponent: number;
    let mantissa: number;
    if (v < TWO_32) {
      exponent = 31 - Math.clz32(v);
      mantissa = v >>> (exponent - this.precisionBits);
    } else {
      exponent = Math.floor(Math.log2(v));
      if (2 ** exponent > v) exponent--;
      if (exponent > MAX_EXPONENT) return this.counts.length - 1;
      mantissa = Math.floor(v / 2 ** (exponent - this.precisionBits));
      if (mantissa >= 2 * sub) {
        exponent++;
        mantissa = Math.floor(v / 2 ** (exponent - this.precisionBits));
      }
    }
    return (exponent - this.precisionBits + 1) * sub + (mantissa - sub);
  }

  private bounds(index: number): { low: number; high: number } {
    const sub = this.subBuckets;
    if (index < sub) return { low: index, high: index + 1 };
    const shift = Math.floor(index / sub) - 1;
    const mantissa = sub + (index % sub);
    return { low: mantissa * 2 ** shift, high: (mantissa + 1) * 2 ** shift };
  }

  private representative(index: number): number {
    const { low, high } = this.bounds(index);
    return high - low === 1 ? low : (low + high) / 2;
  }

  private clamp(value: number): number {
    return Math.min(this.maximum, Math.max(this.minimum, value));
  }
}
