import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openImage, VirtioBlk, VirtMachine } from "@monovisor/devmodel";
import type { BenchContext } from "./context.js";
import { linuxGuestCandidates } from "./paths.js";
import { QEMU_MISSING, runQemu, tail } from "./qemu.js";
import { formatTable } from "./table.js";

/** In-guest `dd` throughput on virtio-blk, in MB/s as the guest's dd reports it. */
export interface IoResult {
  readonly id: string;
  readonly title: string;
  readonly monovisor: number | undefined;
  readonly qemu: number | undefined;
  readonly notes: readonly string[];
  readonly failed: boolean;
}

export type DiskFormat = "raw" | "qcow2";

interface IoWorkload {
  readonly id: string;
  readonly title: string;
  readonly format: DiskFormat;
  /** Which of the script's two dd lines this row reports. */
  readonly line: 0 | 1;
}

const READ_MIB = 24;
const WRITE_MIB = 8;
/** Reads the raw device past the page cache, then writes a file with fsync on the ext4 root. */
const IO_SCRIPT =
  `dd if=/dev/vda of=/dev/null bs=1M count=${READ_MIB} iflag=direct; ` +
  `dd if=/dev/zero of=/io-bench.dat bs=1M count=${WRITE_MIB} conv=fsync; rm -f /io-bench.dat; sync\n`;

export const IO_WORKLOADS: readonly IoWorkload[] = [
  { id: "io-raw-read", title: `io: raw, read ${READ_MIB} MiB (O_DIRECT)`, format: "raw", line: 0 },
  { id: "io-raw-write", title: `io: raw, ext4 write ${WRITE_MIB} MiB + fsync`, format: "raw", line: 1 },
  { id: "io-qcow2-read", title: `io: qcow2 overlay, read ${READ_MIB} MiB`, format: "qcow2", line: 0 },
  { id: "io-qcow2-write", title: `io: qcow2 overlay, ext4 write ${WRITE_MIB} MiB`, format: "qcow2", line: 1 },
];

export function ioCmdline(): string {
  return `console=ttyS0 quiet root=/dev/vda rw init=/init run=${Buffer.from(IO_SCRIPT).toString("base64")}`;
}

/**
 * The MB/s figures of busybox `dd` lines ("... copied, 0.55 seconds, 14.5MB/s"), in order;
 * kB/s and GB/s are converted.
 */
export function parseDdRates(console: string): number[] {
  const rates: number[] = [];
  for (const m of console.matchAll(/copied, [\d.]+ seconds, ([\d.]+)([kMG])B\/s/g)) {
    const scale = m[2] === "k" ? 1 / 1024 : m[2] === "G" ? 1024 : 1;
    rates.push(Number(m[1]) * scale);
  }
  return rates;
}

interface DiskSet {
  readonly dir: string;
  /** The image the guest boots from, per format. */
  readonly image: (format: DiskFormat) => string;
}

/** A fresh copy of the shared ext4 root (and a qcow2 overlay on it) for one run of one side. */
function makeDisks(rootfs: string): DiskSet {
  const dir = mkdtempSync(join(tmpdir(), "monovisor-io-bench-"));
  const raw = join(dir, "rootfs.ext4");
  copyFileSync(rootfs, raw);
  const overlay = join(dir, "overlay.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", raw, "-F", "raw", overlay]);
  return { dir, image: (format) => (format === "raw" ? raw : overlay) };
}

async function monovisorRates(
  kernel: Uint8Array,
  image: string,
  format: DiskFormat,
): Promise<number[] | string> {
  const backend = await openImage(image, { format });
  let console = "";
  const decoder = new TextDecoder();
  const vm = new VirtMachine({
    kernel,
    cmdline: ioCmdline(),
    memoryBytes: 256 * 1024 * 1024,
    hartCount: 1,
    console: {
      write: (b) => {
        console += decoder.decode(b, { stream: true });
      },
    },
    virtio: [new VirtioBlk({ backend })],
  });
  const timer = setTimeout(() => vm.stop(), 300_000);
  const exit = await vm.run();
  clearTimeout(timer);
  await backend.close();
  const rates = parseDdRates(console);
  if (exit.kind !== "poweroff" || rates.length < 2) return `ended with ${exit.kind}: ${tail(console)}`;
  return rates;
}

async function qemuRates(
  qemu: string,
  kernelPath: string,
  image: string,
  format: DiskFormat,
): Promise<number[] | string> {
  const result = await runQemu(
    qemu,
    [
      ...["-M", "virt", "-smp", "1", "-m", "256M", "-nographic", "-no-reboot", "-kernel", kernelPath],
      ...["-append", ioCmdline(), "-drive", `file=${image},format=${format},if=none,id=d0`],
      ...["-device", "virtio-blk-device,drive=d0"],
    ],
    120_000,
  );
  const rates = parseDdRates(result.output);
  if (result.exitCode !== 0 || rates.length < 2) return `exit ${result.exitCode}: ${tail(result.output)}`;
  return rates;
}

/**
 * Sequential read and write throughput inside the Linux guest, its ext4 root on virtio-blk (a
 * copy of the shared `rootfs.ext4`, raw or under a qcow2 overlay), next to QEMU on the same image.
 */
export async function runIoBench(ctx: BenchContext, guestDir: string | undefined): Promise<IoResult[]> {
  const dir = (guestDir === undefined ? linuxGuestCandidates(ctx.root, process.env) : [guestDir]).find((d) =>
    existsSync(join(d, "rootfs.ext4")),
  );
  const blank = (note: string): IoResult[] =>
    IO_WORKLOADS.map((w) => ({ ...w, monovisor: undefined, qemu: undefined, notes: [note], failed: false }));
  if (dir === undefined) return blank("io: no rootfs.ext4 next to the guest kernel; io benchmark skipped");
  try {
    execFileSync("qemu-img", ["--version"], { stdio: "ignore" });
  } catch {
    return blank("io: qemu-img not found (Debian package qemu-utils); io benchmark skipped");
  }
  const kernelPath = join(dir, "Image");
  const kernel = new Uint8Array(readFileSync(kernelPath));
  const results: IoResult[] = [];
  for (const format of ["raw", "qcow2"] as const) {
    const notes: string[] = [];
    const best = (runs: number[][], line: 0 | 1) =>
      runs.length === 0 ? undefined : Math.max(...runs.map((r) => r[line]));
    const mono: number[][] = [];
    const qemu: number[][] = [];
    let failed = false;
    for (let run = 1; run <= ctx.repeat; run++) {
      ctx.progress(`io ${format}: monovisor run ${run}/${ctx.repeat}`);
      const disks = makeDisks(join(dir, "rootfs.ext4"));
      try {
        const m = await monovisorRates(kernel, disks.image(format), format);
        if (typeof m === "string") {
          notes.push(`io ${format}: monovisor run failed (${m})`);
          failed = true;
        } else mono.push(m);
      } finally {
        rmSync(disks.dir, { recursive: true, force: true });
      }
      if (ctx.qemu === undefined) continue;
      ctx.progress(`io ${format}: qemu run ${run}/${ctx.repeat}`);
      const qdisks = makeDisks(join(dir, "rootfs.ext4"));
      try {
        const q = await qemuRates(ctx.qemu, kernelPath, qdisks.image(format), format);
        if (typeof q === "string") {
          notes.push(`io ${format}: qemu run failed (${q})`);
          failed = true;
        } else qemu.push(q);
      } finally {
        rmSync(qdisks.dir, { recursive: true, force: true });
      }
    }
    if (ctx.qemu === undefined) notes.push(`io: ${QEMU_MISSING}`);
    for (const w of IO_WORKLOADS.filter((x) => x.format === format)) {
      results.push({ ...w, monovisor: best(mono, w.line), qemu: best(qemu, w.line), notes, failed });
    }
  }
  return results;
}

const IO_COLUMNS = [
  { header: "disk benchmark (in-guest dd)" },
  { header: "monovisor MB/s", align: "right" as const },
  { header: "qemu MB/s", align: "right" as const },
  { header: "throughput vs qemu" },
];

/** The I/O table: MB/s per side and monovisor's share of QEMU's throughput. */
export function formatIoReport(results: readonly IoResult[]): string {
  const cell = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(1));
  const rows = results.map((r) => [
    r.failed ? `${r.title} (FAILED)` : r.title,
    cell(r.monovisor),
    cell(r.qemu),
    r.monovisor === undefined || r.qemu === undefined || r.qemu === 0
      ? "-"
      : `${(r.monovisor / r.qemu).toFixed(2)}x`,
  ]);
  const notes = [...new Set(results.flatMap((r) => r.notes))];
  const parts = ["", formatTable(IO_COLUMNS, rows)];
  if (notes.length > 0) parts.push("", ...notes.map((n) => `* ${n}`));
  return `${parts.join("\n")}\n`;
}
