/** Values at or above this are counted in the last bucket. */
const MAX_EXPONENT = 62;
const TWO_32 = 4294967296;

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
 */
export class Histogram {
  readonly precisionBits: number;
  private readonly subBuckets: number;
  private readonly counts: Float64Array;
  private total = 0;
  private sumOfValues = 0;
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = 0;

  constructor(precisionBits = 6) {
    if (!(Number.isInteger(precisionBits) && precisionBits >= 1 && precisionBits <= 12)) {
      throw new RangeError(`histogram precision ${precisionBits} out of range 1..12`);
    }
    this.precisionBits = precisionBits;
    this.subBuckets = 1 << precisionBits;
    this.counts = new Float64Array((MAX_EXPONENT - precisionBits + 2) * this.subBuckets);
  }

  get count(): number {
    return this.total;
  }

  record(value: number): void {
    const v = value > 0 ? value : 0; // also maps NaN to 0
    this.counts[this.bucketOf(v)]++;
    this.total++;
    this.sumOfValues += v;
    if (v < this.minimum) this.minimum = v;
    if (v > this.maximum) this.maximum = v;
  }

  /** Adds `count` occurrences of `value` (for merging foreign data). */
  recordMany(value: number, count: number): void {
    if (count <= 0) return;
    const v = value > 0 ? value : 0;
    this.counts[this.bucketOf(v)] += count;
    this.total += count;
    this.sumOfValues += v * count;
    if (v < this.minimum) this.minimum = v;
    if (v > this.maximum) this.maximum = v;
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
    for (let index = 0; index < this.counts.length; index++) this.counts[index] += other.counts[index];
    this.total += other.total;
    this.sumOfValues += other.sumOfValues;
    this.minimum = Math.min(this.minimum, other.minimum);
    this.maximum = Math.max(this.maximum, other.maximum);
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sumOfValues = 0;
    this.minimum = Number.POSITIVE_INFINITY;
    this.maximum = 0;
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
