import { type FoldedStack, foldStacks } from "../export/folded.js";
import { splitAddress } from "../symbols/symbol-table.js";
import type { Symbolizer } from "../symbols/symbolizer.js";

/** The privilege a sample was taken in; RISC-V encodes U=0, S=1, M=3. */
export type ProfileMode = "user" | "kernel" | "machine";

const PRIVILEGE_OF: Readonly<Record<ProfileMode, number>> = { user: 0, kernel: 1, machine: 3 };
const MODE_OF_PRIVILEGE: readonly ProfileMode[] = ["user", "kernel", "kernel", "machine"];

export interface ProfileSample {
  readonly vcpu: number;
  readonly pc: bigint;
  readonly mode: ProfileMode;
  /** Address space of user samples, to pick the right user symbol table. */
  readonly asid?: number;
  /** Return addresses, innermost caller first (the sampled pc excluded). */
  readonly callchain?: readonly bigint[];
}

export interface ProfileEntry {
  /** Symbol name, or the address in hex when no table covers it. */
  readonly name: string;
  readonly module?: string;
  readonly samples: number;
  /** Share of the samples the query covered, 0..100. */
  readonly percent: number;
  readonly byMode: Readonly<Record<ProfileMode, number>>;
}

export interface ProfileQuery {
  readonly vcpu?: number;
  readonly mode?: ProfileMode;
}

interface Bucket {
  readonly name: string;
  readonly module: string | undefined;
  /** Samples by privilege (index 0..3) and vCPU. */
  readonly byPrivilege: Float64Array;
  readonly byVcpu: Map<number, Float64Array>;
}

/**
 * A sampling profile: pcs (and optional call chains) attributed to guest functions. Samples
 * are symbolized as they arrive and counted by symbol, so memory grows with the number of
 * distinct functions, not samples.
 */
export class Profile {
  private readonly symbolizer: Symbolizer | undefined;
  private readonly buckets = new Map<number | string, Bucket>();
  private readonly chainStacks = new Map<string, number>();
  private samples = 0;

  constructor(symbolizer?: Symbolizer) {
    this.symbolizer = symbolizer;
  }

  get total(): number {
    return this.samples;
  }

  addSample(sample: ProfileSample): void {
    const [lo, hi] = splitAddress(BigInt.asUintN(64, sample.pc));
    const bucket = this.count(sample.vcpu, lo, hi, PRIVILEGE_OF[sample.mode], sample.asid);
    if (sample.callchain !== undefined && sample.callchain.length > 0) {
      const frames = sample.callchain.map((address) => this.frameName(address, sample.asid)).reverse();
      frames.push(bucket.name);
      const key = frames.join(";");
      this.chainStacks.set(key, (this.chainStacks.get(key) ?? 0) + 1);
    }
  }

  /** A sample from lo/hi pc words and a privilege number, without BigInt. */
  addSampleParts(vcpu: number, pcLo: number, pcHi: number, privilege: number, asid?: number): void {
    this.count(vcpu, pcLo, pcHi, privilege, asid);
  }

  private count(
    vcpu: number,
    pcLo: number,
    pcHi: number,
    privilege: number,
    asid: number | undefined,
  ): Bucket {
    const id = this.symbolizer?.symbolId(pcLo, pcHi, asid) ?? -1;
    const key: number | string = id >= 0 ? id : `${pcHi >>> 0}:${pcLo >>> 0}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      const described = id >= 0 ? this.symbolizer?.describe(id) : undefined;
      const hex = `0x${((BigInt(pcHi >>> 0) << 32n) | BigInt(pcLo >>> 0)).toString(16)}`;
      bucket = {
        name: described?.name ?? hex,
        module: described?.module,
        byPrivilege: new Float64Array(4),
        byVcpu: new Map(),
      };
      this.buckets.set(key, bucket);
    }
    const level = privilege & 3;
    bucket.byPrivilege[level]++;
    let perVcpu = bucket.byVcpu.get(vcpu);
    if (perVcpu === undefined) {
      perVcpu = new Float64Array(4);
      bucket.byVcpu.set(vcpu, perVcpu);
    }
    perVcpu[level]++;
    this.samples++;
    return bucket;
  }

  /** The `n` functions with most samples, highest first. */
  top(n: number, query: ProfileQuery = {}): ProfileEntry[] {
    const rows: { bucket: Bucket; byMode: Record<ProfileMode, number>; samples: number }[] = [];
    let covered = 0;
    for (const bucket of this.buckets.values()) {
      const counts = query.vcpu === undefined ? bucket.byPrivilege : bucket.byVcpu.get(query.vcpu);
      if (counts === undefined) continue;
      const byMode: Record<ProfileMode, number> = { user: 0, kernel: 0, machine: 0 };
      counts.forEach((count, level) => {
        byMode[MODE_OF_PRIVILEGE[level]] += count;
      });
      const samples =
        query.mode === undefined ? byMode.user + byMode.kernel + byMode.machine : byMode[query.mode];
      if (samples === 0) continue;
      covered += samples;
      rows.push({ bucket, byMode, samples });
    }
    rows.sort((a, b) => b.samples - a.samples || (a.bucket.name < b.bucket.name ? -1 : 1));
    return rows.slice(0, Math.max(0, n)).map(({ bucket, byMode, samples }) => ({
      name: bucket.name,
      ...(bucket.module === undefined ? {} : { module: bucket.module }),
      samples,
      percent: (samples / covered) * 100,
      byMode,
    }));
  }

  /** Folded stacks for flame graphs; samples without a call chain are a one-frame stack. */
  folded(): string {
    const stacks: FoldedStack[] = [...this.chainStacks].map(([key, count]) => ({
      frames: key.split(";"),
      count,
    }));
    const chained = new Map<string, number>();
    for (const [key, count] of this.chainStacks) {
      const leaf = key.slice(key.lastIndexOf(";") + 1);
      chained.set(leaf, (chained.get(leaf) ?? 0) + count);
    }
    for (const bucket of this.buckets.values()) {
      const total = bucket.byPrivilege.reduce((sum, count) => sum + count, 0);
      // Chained samples of this leaf are already in `stacks`.
      const alone = total - (chained.get(bucket.name) ?? 0);
      chained.delete(bucket.name);
      if (alone > 0) stacks.push({ frames: [bucket.name], count: alone });
    }
    return foldStacks(stacks);
  }

  reset(): void {
    this.buckets.clear();
    this.chainStacks.clear();
    this.samples = 0;
  }

  private frameName(address: bigint, asid: number | undefined): string {
    return this.symbolizer?.lookup(address, asid)?.name ?? `0x${BigInt.asUintN(64, address).toString(16)}`;
  }
}
