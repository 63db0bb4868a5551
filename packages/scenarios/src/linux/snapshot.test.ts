import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  openImage,
  VirtioBlk,
  VirtMachine,
  type VirtMachineConfig,
  type VirtRestoreOptions,
} from "@monovisor/devmodel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleRecorder, guestFile, guestsDir } from "./guests.js";

const LINUX = "linux-6.1-virt";
const TIMEOUT_MS = 30_000;
const text = (s: string) => new TextEncoder().encode(s);

/** Races `promise` against a timeout that names what was awaited and shows the console. */
async function within<T>(promise: Promise<T>, what: string, console: ConsoleRecorder): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}; console:\n${console.text.slice(-2000)}`)),
      TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Boots to the guest's shell, runs `setup` there, pauses and saves; the original machine is stopped. */
async function bootAndSave(config: VirtMachineConfig, setup?: { command: string; until: string }) {
  const console = new ConsoleRecorder();
  const vm = new VirtMachine({ ...config, console });
  const running = vm.run();
  await within(console.waitFor("monovisor-guest: shell"), "the shell", console);
  if (setup !== undefined) {
    vm.sendInput(text(setup.command));
    await within(console.waitFor(setup.until), setup.until, console);
  }
  await vm.pause();
  expect(vm.paused).toBe(true);
  const snapshot = await vm.saveSnapshot();
  vm.stop();
  expect(await running).toEqual({ kind: "stopped" });
  return { snapshot, console };
}

/** Restores into a new machine, types `command`, and returns the console once `until` appears. */
async function restoreAndRun(
  snapshot: Uint8Array,
  options: VirtRestoreOptions,
  command: string,
  until: RegExp,
) {
  const console = new ConsoleRecorder();
  const vm = VirtMachine.fromSnapshot(snapshot, { ...options, console });
  const running = vm.run();
  vm.sendInput(text(command));
  const seen = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (until.test(console.text)) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  try {
    await within(Promise.race([seen, running.then(() => undefined)]), String(until), console);
  } finally {
    vm.stop();
  }
  const exit = await running;
  expect(exit, console.text).toEqual({ kind: "stopped" });
  return console.text;
}

describe("Linux 6.1 saved at its shell and restored into a new machine", () => {
  let shellSnapshot: Uint8Array | undefined;

  it("answers on the restored console", async () => {
    const started = performance.now();
    const { snapshot } = await bootAndSave({
      kernel: guestFile(`${LINUX}/Image`),
      initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
      cmdline: "console=ttyS0 quiet",
      memoryBytes: 128 * 1024 * 1024,
    });
    shellSnapshot = snapshot;
    const saved = performance.now();
    const out = await restoreAndRun(
      snapshot,
      {},
      "echo restored-ok; uname -r\n",
      /restored-ok\r?\n6\.1\.\d+/,
    );
    expect(out).toMatch(/restored-ok\r?\n6\.1\.\d+/);
    console.info(
      `snapshot ${(snapshot.length / 1048576).toFixed(1)} MiB; boot+save ${((saved - started) / 1000).toFixed(1)} s, ` +
        `restore+answer ${((performance.now() - saved) / 1000).toFixed(1)} s`,
    );
  });

  it("saves a 2-hart guest running on vCPU threads and restores it onto threads again", async () => {
    // The pause hands the harts' states back from their worker threads; the restore attaches
    // them to new ones. Both CPUs must answer, and the guest's clock must run on from the save.
    const uptime = (text: string, tag: string) =>
      Number(new RegExp(`${tag} (\\d+\\.\\d+)`).exec(text)?.[1] ?? Number.NaN);
    const { snapshot, console: before } = await bootAndSave(
      {
        kernel: guestFile(`${LINUX}/Image`),
        initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
        cmdline: "console=ttyS0 quiet",
        memoryBytes: 128 * 1024 * 1024,
        hartCount: 2,
        threads: 2,
      },
      // `$((1 + 1))` tells the output from the echoed command line.
      { command: "echo up-$((1 + 1))-before $(cut -d' ' -f1 /proc/uptime)\n", until: "up-2-before " },
    );
    const out = await restoreAndRun(
      snapshot,
      { threads: 2 },
      "for c in 1 2; do taskset $c echo threaded-restore-$c; done; echo up-$((1 + 1))-after $(cut -d' ' -f1 /proc/uptime)\n",
      /up-2-after \d+\.\d+/,
    );
    expect(out).toMatch(/threaded-restore-1\r?\n/);
    expect(out).toMatch(/threaded-restore-2\r?\n/);
    // No jump either way: a clock restarting from 0 in the new threads reads to Linux as a huge leap.
    const gap = uptime(out, "up-2-after") - uptime(before.text, "up-2-before");
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(60);
  });

  it("answers when another process restores it with 'hv restore'", async () => {
    expect(shellSnapshot).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "monovisor-snap-"));
    try {
      const file = join(dir, "shell.mvsnap");
      writeFileSync(file, shellSnapshot as Uint8Array);
      const root = fileURLToPath(new URL("../../../..", import.meta.url));
      const child = spawn(
        process.execPath,
        ["--conditions=source", "--import", "tsx", join(root, "apps/cli/src/main.ts"), "restore", file],
        { cwd: root, stdio: ["pipe", "pipe", "pipe"] },
      );
      let out = "";
      let answered = false;
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (!answered && /restored-ok\r?\n6\.1\.\d+/.test(out)) {
          answered = true;
          child.stdin.write("poweroff -f\n");
        }
      });
      child.stderr.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stdin.write("echo restored-ok; uname -r\n");
      const code = await new Promise<number | null>((done) => {
        const timer = setTimeout(() => child.kill(), TIMEOUT_MS);
        child.on("exit", (c) => {
          clearTimeout(timer);
          done(c);
        });
      });
      expect(out).toMatch(/restored-ok\r?\n6\.1\.\d+/);
      expect(code, out).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("with an ext4 root on virtio-blk", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "monovisor-snap-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("reads back a file written before the save from the re-opened disk", async () => {
      const disk = join(dir, "rootfs.ext4");
      copyFileSync(join(guestsDir(), LINUX, "rootfs.ext4"), disk);
      const first = await openImage(disk, { format: "raw" });
      let snapshot: Uint8Array;
      let md5: string;
      try {
        const saved = await bootAndSave(
          {
            kernel: guestFile(`${LINUX}/Image`),
            cmdline: "console=ttyS0 quiet root=/dev/vda rw init=/init",
            memoryBytes: 128 * 1024 * 1024,
            virtio: [new VirtioBlk({ backend: first })],
          },
          {
            command: "seq 1 20000 > /before.txt; sync; md5sum /before.txt; echo written-$((6*7))\n",
            until: "written-42",
          },
        );
        snapshot = saved.snapshot;
        md5 = /([0-9a-f]{32}) {2}\/before\.txt/.exec(saved.console.text)?.[1] ?? "";
        expect(md5).toMatch(/^[0-9a-f]{32}$/);
      } finally {
        await first.close();
      }
      const backend = await openImage(disk, { format: "raw" });
      try {
        // Dropping the page cache makes the guest read the file from the disk again.
        const out = await restoreAndRun(
          snapshot,
          { virtio: [new VirtioBlk({ backend })] },
          "echo 3 > /proc/sys/vm/drop_caches; md5sum /before.txt; echo done-$((6*7))\n",
          /done-42/,
        );
        expect(out).toContain(`${md5}  /before.txt`);
        expect(out).not.toMatch(/EXT4-fs error|I\/O error/);
      } finally {
        await backend.close();
      }
    });
  });
});
