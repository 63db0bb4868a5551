import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFsBackend, Virtio9p } from "@monovisor/devmodel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootGuest, guestFile, runScriptArg } from "./guests.js";

const LINUX = "linux-6.1-virt";
const TIMEOUT_MS = 60_000;
const SECRET = "host-secret-9f2c";

/**
 * Mounts the share, reads a host file, writes one, lists the directory and tries to get out:
 * `..` past the mount point, and symlinks planted on the host that point outside the share.
 * Symlinks are resolved by the guest in its own namespace, so none of them can reach the host.
 */
const SCRIPT = [
  "mkdir -p /mnt",
  "mount -t 9p -o trans=virtio,version=9p2000.L hostshare /mnt || exit 3",
  "md5sum /mnt/data.bin",
  "echo written-by-guest > /mnt/guest.txt",
  "mkdir /mnt/newdir && echo nested > /mnt/newdir/n.txt && mv /mnt/newdir/n.txt /mnt/newdir/m.txt",
  "rm /mnt/remove-me.txt",
  "ls /mnt | tr '\\n' ' ' | sed 's/^/listing: /'; echo",
  'for p in /mnt/../../etc/hostname /mnt/abs /mnt/rel /mnt/outlink/secret; do cat $p 2>/dev/null && echo "read-ok $p" || echo "blocked $p"; done',
  "echo planted > /mnt/dangle 2>/dev/null",
  "sync; umount /mnt && echo unmounted",
  "",
].join("\n");

describe("Linux 6.1 with a host directory shared over virtio-9p", () => {
  let top: string;
  let share: string;
  let outside: string;
  beforeAll(() => {
    top = mkdtempSync(join(tmpdir(), "monovisor-9p-scenario-"));
    share = join(top, "share");
    outside = join(top, "outside");
    mkdirSync(share);
    mkdirSync(outside);
    writeFileSync(join(outside, "secret"), `${SECRET}\n`);
    writeFileSync(
      join(share, "data.bin"),
      Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff)),
    );
    writeFileSync(join(share, "remove-me.txt"), "bye\n");
    symlinkSync(join(outside, "secret"), join(share, "abs"));
    symlinkSync("../outside/secret", join(share, "rel"));
    symlinkSync(outside, join(share, "outlink"));
    symlinkSync(join(outside, "planted"), join(share, "dangle"));
  });
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it("mounts the share, reads and writes files, and cannot leave it", async () => {
    const md5 = execFileSync("md5sum", [join(share, "data.bin")], { encoding: "utf8" }).split(" ")[0];
    const run = await bootGuest(
      {
        kernel: guestFile(`${LINUX}/Image`),
        initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
        cmdline: `console=ttyS0 quiet ${runScriptArg(SCRIPT)}`,
        memoryBytes: 128 * 1024 * 1024,
        virtio: [new Virtio9p({ backend: new NodeFsBackend(share), tag: "hostshare" })],
        onWarning: (message) => {
          throw new Error(message);
        },
      },
      TIMEOUT_MS,
    );
    expect(run.exit, run.console.slice(-3000)).toEqual({ kind: "poweroff" });
    expect(run.console, run.console.slice(-3000)).toContain("monovisor-guest: exit=0");
    expect(run.console).toContain(`${md5}  /mnt/data.bin`);
    const listing = run.console.split("\n").find((l) => l.startsWith("listing: ")) ?? "";
    expect(listing.trim().split(" ").slice(1).filter(Boolean).sort()).toEqual(
      ["abs", "dangle", "data.bin", "guest.txt", "newdir", "outlink", "rel"].sort(),
    );
    expect(run.console).toContain("unmounted");
    // Nothing outside the share was read or written.
    expect(run.console).not.toContain(SECRET);
    for (const p of ["abs", "rel", "outlink/secret"]) expect(run.console).toContain(`blocked /mnt/${p}`);
    expect(readdirSync(outside)).toEqual(["secret"]);
    expect(existsSync(join(top, "planted"))).toBe(false);
    // The guest's writes are on the host.
    expect(readFileSync(join(share, "guest.txt"), "utf8")).toBe("written-by-guest\n");
    expect(readFileSync(join(share, "newdir", "m.txt"), "utf8")).toBe("nested\n");
    expect(existsSync(join(share, "remove-me.txt"))).toBe(false);
    console.info(`virtio-9p boot + script: ${run.seconds.toFixed(1)} s`);
  });
});
