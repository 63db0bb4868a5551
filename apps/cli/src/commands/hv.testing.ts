/** Test helpers: the `hv` command as a child process, and a tiny bare-metal guest for it. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const MAIN = join(ROOT, "apps/cli/src/main.ts");

/**
 * A flat M-mode program for `--bios none`: writes 'A' to the UART, counts down 2^20, then
 * powers off through the sifive,test syscon. Every hart runs it.
 */
const SPIN_PROGRAM = new Uint32Array([
  0x001002b7, // lui  t0, 0x100        syscon
  0x00005337, // lui  t1, 0x5
  0x55530313, // addi t1, t1, 0x555    poweroff code 0x5555
  0x100003b7, // lui  t2, 0x10000      uart0
  0x04100e13, // li   t3, 'A'
  0x01c38023, // sb   t3, 0(t2)
  0x00100eb7, // lui  t4, 0x100
  0xfffe8e93, // 1: addi t4, t4, -1
  0xfe0e9ee3, // bnez t4, 1b
  0x0062a023, // sw   t1, 0(t0)
  0x0000006f, // 2: j 2b
]);

/** A temporary folder holding the spin program (`kernel`); `remove()` deletes it. */
export function spinGuest(prefix: string): { dir: string; kernel: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const kernel = join(dir, "spin.bin");
  writeFileSync(kernel, new Uint8Array(SPIN_PROGRAM.buffer));
  return { dir, kernel, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `hv args` from the sources with no input; its status and output. */
export function hv(args: string[]) {
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    input: "",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
