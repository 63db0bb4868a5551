import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BlockBackend, openImage, VirtioBlk, VirtioRng } from "@monovisor/devmodel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootGuest, guestFile, guestsDir, runScriptArg } from "./guests.js";

const LINUX = "linux-6.1-virt";
const TIMEOUT_MS = 60_000;
/** md5 of 4 MiB of zeros. */
const ZEROS_4M_MD5 = "b5cfa9d6c8febd618f91ac2843d50a1c";

/**
 * Writes a file and 4 MiB through the page cache to the disk, reads the disk back with O_DIRECT
 * (so the bytes come from the device, not the cache), and remounts the root read-only so the
 * filesystem is clean when init powers off.
 */
const SCRIPT = [
  "echo written-by-guest > /hello.txt",
  "dd if=/dev/zero of=/zeros bs=1M count=4 conv=fsync 2>&1 | tail -n1 | sed 's/^/dd-write: /'",
  "dd if=/dev/vda of=/dev/null bs=1M count=8 iflag=direct 2>&1 | tail -n1 | sed 's/^/dd-read: /'",
  "md5sum /zeros /init",
  "rm /zeros",
  "mount -o remount,ro /",
  "",
].join("\n");

function md5(path: string): string {
  return execFileSync("md5sum", [path], { encoding: "utf8" }).split(" ")[0];
}

function tool(name: string, pkg: string): string {
  const found = spawnSync(name, ["--version"], { encoding: "utf8" });
  if (found.error !== undefined) throw new Error(`${name} is not installed: install ${pkg}`);
  return name;
}

async function bootFromDisk(backend: BlockBackend) {
  try {
    const run = await bootGuest(
      {
        kernel: guestFile(`${LINUX}/Image`),
        cmdline: `console=ttyS0 quiet root=/dev/vda rw init=/init ${runScriptArg(SCRIPT)}`,
        memoryBytes: 128 * 1024 * 1024,
        virtio: [new VirtioBlk({ backend }), new VirtioRng()],
        onWarning: (message) => {
          throw new Error(message);
        },
      },
      TIMEOUT_MS,
    );
    expect(run.exit, run.console.slice(-3000)).toEqual({ kind: "poweroff" });
    expect(run.console).toContain("monovisor-guest: exit=0");
    expect(run.console).toContain(`${ZEROS_4M_MD5}  /zeros`);
    expect(run.console).toContain(`${md5(join(guestsDir(), LINUX, "init"))}  /init`);
    expect(run.console).not.toMatch(/EXT4-fs error|I\/O error|Oops|Kernel panic/);
    const dd = run.console.split("\n").filter((l) => l.startsWith("dd-"));
    console.info(`virtio-blk boot + script: ${run.seconds.toFixed(1)} s; ${dd.join("; ")}`);
    return run;
  } finally {
    await backend.close();
  }
}

describe("Linux 6.1 with an ext4 root on virtio-blk", () => {
  let dir: string;
  let copy: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "monovisor-blk-"));
    copy = join(dir, "rootfs.ext4");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("boots from a raw image, writes files, and leaves a clean filesystem", async () => {
    copyFileSync(join(guestsDir(), LINUX, "rootfs.ext4"), copy);
    await bootFromDisk(await openImage(copy, { format: "raw" }));
    const fsck = spawnSync(tool("e2fsck", "e2fsprogs"), ["-fn", copy], { encoding: "utf8" });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    const hello = execFileSync("debugfs", ["-R", "cat /hello.txt", copy], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(hello).toBe("written-by-guest\n");
  });

  it("boots through a qcow2 overlay over a raw backing file", async () => {
    copyFileSync(join(guestsDir(), LINUX, "rootfs.ext4"), copy);
    const overlay = join(dir, "overlay.qcow2");
    const qemuImg = tool("qemu-img", "qemu-utils");
    execFileSync(qemuImg, ["create", "-q", "-f", "qcow2", "-b", copy, "-F", "raw", overlay]);
    const before = md5(copy);
    await bootFromDisk(await openImage(overlay, { format: "qcow2" }));
    const check = spawnSync(qemuImg, ["check", overlay], { encoding: "utf8" });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("No errors were found");
    // The guest's writes went to the overlay only.
    expect(md5(copy)).toBe(before);
    const flat = join(dir, "flat.ext4");
    execFileSync(qemuImg, ["convert", "-O", "raw", overlay, flat]);
    const fsck = spawnSync("e2fsck", ["-fn", flat], { encoding: "utf8" });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  });
});
