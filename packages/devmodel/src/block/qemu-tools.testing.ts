/** Runs Debian's qemu-img / qemu-io as reference tools for the block tests. Test-only. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

function run(tool: string, args: string[], cwd?: string): ToolResult {
  const result = spawnSync(tool, args, {
    encoding: "utf8",
    cwd,
    timeout: 30_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? `${tool} not found: install Debian's qemu-utils (apt-get install qemu-utils)`
        : `${tool} failed to run: ${result.error.message}`,
    );
  }
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Fails with a message naming the package when the tools are missing. */
export function requireQemuUtils(): void {
  for (const tool of ["qemu-img", "qemu-io"]) {
    const { status } = run(tool, ["--version"]);
    if (status !== 0) throw new Error(`${tool} is broken: reinstall Debian's qemu-utils`);
  }
}

/** Runs qemu-img and throws on a nonzero exit unless `allowFailure`. */
export function qemuImg(args: string[], options: { cwd?: string; allowFailure?: boolean } = {}): ToolResult {
  const result = run("qemu-img", args, options.cwd);
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(`qemu-img ${args.join(" ")} exited ${result.status}: ${result.stderr}${result.stdout}`);
  }
  return result;
}

/** Runs qemu-io commands (`write -P 0xab 0 4k`, `write -z …`) against an image. */
export function qemuIo(image: string, format: string, commands: string[]): void {
  const args = ["-f", format];
  for (const c of commands) args.push("-c", c);
  args.push(image);
  const result = run("qemu-io", args);
  if (result.status !== 0 || /error|failed/i.test(result.stdout + result.stderr)) {
    throw new Error(`qemu-io ${args.join(" ")}: ${result.stderr}${result.stdout}`);
  }
}

/** `qemu-img check`: returns the result; status 0 means no errors and no leaks. */
export function qemuCheck(image: string): ToolResult {
  return qemuImg(["check", "-f", "qcow2", image], { allowFailure: true });
}

/** `qemu-img compare` of a qcow2 image against a raw file; status 0 means identical. */
export function qemuCompare(image: string, raw: string): ToolResult {
  return qemuImg(["compare", "-f", "qcow2", "-F", "raw", image, raw], { allowFailure: true });
}

/** What qemu-img itself reads from an image, as bytes. */
export function qemuContents(image: string, dir: string): Uint8Array {
  const out = join(dir, `contents-${Math.random().toString(36).slice(2)}.raw`);
  qemuImg(["convert", "-O", "raw", image, out]);
  const bytes = new Uint8Array(readFileSync(out));
  rmSync(out);
  return bytes;
}

/** A temporary directory removed by `dispose()`. */
export function scratchDir(): { path: string; file: (name: string) => string; dispose: () => void } {
  const path = mkdtempSync(join(tmpdir(), "monovisor-block-"));
  return {
    path,
    file: (name) => join(path, name),
    dispose: () => rmSync(path, { recursive: true, force: true }),
  };
}

export function writeBytes(path: string, bytes: Uint8Array): void {
  writeFileSync(path, bytes);
}

/** Deterministic bytes for test patterns (xorshift32). */
export function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

export function randomBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}
