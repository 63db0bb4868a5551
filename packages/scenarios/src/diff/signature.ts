import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { guestTargetFlags, signatureHarness } from "@monovisor/guest-programs";
import type { GeneratedProgram } from "./gen.js";
import { CROSS_GCC, requireTool } from "./toolchain.js";

const execFileAsync = promisify(execFile);

/** Linked ELFs are cached here, keyed by the hash of everything that goes into them. */
export const signatureCacheDir: string = join(tmpdir(), "monovisor-signature-cache");

let harnessDigest: string | undefined;

function harnessHash(): string {
  if (harnessDigest === undefined) {
    const h = createHash("sha256");
    for (const file of [signatureHarness.linkScript, ...signatureHarness.objects]) {
      if (!existsSync(file)) {
        throw new Error(`${file} is missing: run make -C tools/guest-programs (the test setup does this).`);
      }
      h.update(readFileSync(file));
    }
    harnessDigest = h.digest("hex");
  }
  return harnessDigest;
}

/** Assembles and links a generated program with the signature harness; returns the ELF path. */
export async function buildSignatureElf(program: GeneratedProgram): Promise<string> {
  requireTool(CROSS_GCC);
  const key = createHash("sha256").update(harnessHash()).update(program.source).digest("hex").slice(0, 24);
  mkdirSync(signatureCacheDir, { recursive: true });
  const elfPath = join(signatureCacheDir, `seed-${program.seed}-${key}.elf`);
  if (existsSync(elfPath)) return elfPath;
  const sourcePath = join(signatureCacheDir, `seed-${program.seed}-${key}.S`);
  writeFileSync(sourcePath, program.source);
  // Link to a private name first so a concurrent reader never sees a partial file.
  const partial = `${elfPath}.${process.pid}.tmp`;
  try {
    await execFileAsync(CROSS_GCC, [
      ...guestTargetFlags,
      "-mcmodel=medany",
      "-nostdlib",
      "-static",
      "-T",
      signatureHarness.linkScript,
      "-Wl,--no-warn-rwx-segments",
      "-o",
      partial,
      ...signatureHarness.objects,
      sourcePath,
    ]);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? String(e);
    throw new Error(`assembling generated program (seed ${program.seed}) failed:\n${stderr}`);
  }
  renameSync(partial, elfPath);
  return elfPath;
}

export interface Signature {
  x: bigint[];
  f: bigint[];
  fcsr: number;
  memory: bigint[];
}

/** Parses the harness output (between SIG BEGIN and SIG END); undefined if incomplete. */
export function parseSignature(console: string): Signature | undefined {
  const begin = console.indexOf("SIG BEGIN\n");
  const end = console.indexOf("SIG END\n");
  if (begin < 0 || end < begin) return undefined;
  const sig: Signature = { x: [], f: [], fcsr: -1, memory: [] };
  for (const line of console.slice(begin, end).split("\n").slice(1)) {
    const [name, value] = line.split(" ");
    if (name === undefined || value === undefined) continue;
    if (name === "fcsr") sig.fcsr = Number.parseInt(value, 16);
    else if (name.startsWith("x")) sig.x[Number(name.slice(1))] = BigInt(`0x${value}`);
    else if (name.startsWith("f")) sig.f[Number(name.slice(1))] = BigInt(`0x${value}`);
    else if (name.startsWith("m")) sig.memory.push(BigInt(`0x${value}`));
  }
  return sig;
}

/** First lines that differ, for a readable assertion message. */
export function describeDifference(expected: string, actual: string, context = 3): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < context * 2; i++) {
    if (a[i] !== b[i])
      out.push(`line ${i + 1}: qemu ${JSON.stringify(a[i])} vs monovisor ${JSON.stringify(b[i])}`);
  }
  return out.join("\n");
}
