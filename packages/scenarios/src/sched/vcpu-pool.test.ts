import { readFileSync } from "node:fs";
import { VirtMachine } from "@monovisor/devmodel";
import { guestProgramPath, SPINLOCK_SMP_COUNTER } from "@monovisor/guest-programs";
import { VcpuPool } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spinlockMachine(pool: VcpuPool, hartCount: number, weight?: number): VirtMachine {
  return new VirtMachine({
    kernel: new Uint8Array(readFileSync(guestProgramPath("spinlock-smp"))),
    bios: "none",
    memoryBytes: 16 * 1024 * 1024,
    hartCount,
    pool,
    weight,
  });
}

function handovers(vm: VirtMachine): number {
  const off = vm.memory.hostOffset(SPINLOCK_SMP_COUNTER, 8);
  return Number(new DataView(vm.memory.buffer as ArrayBuffer, off, 8).getBigUint64(0, true));
}

describe("virt machines sharing a vCPU pool", () => {
  it("share one worker by weight, and each keeps its own lock counter", async () => {
    const pool = new VcpuPool({ workers: 1 });
    const heavy = spinlockMachine(pool, 1, 512);
    const light = spinlockMachine(pool, 1, 256);
    try {
      const runs = [heavy.run(), light.run()];
      await sleep(1500);
      heavy.stop();
      light.stop();
      expect(await Promise.all(runs)).toEqual([{ kind: "stopped" }, { kind: "stopped" }]);
    } finally {
      await pool.close();
    }
    const ratio = heavy.harts[0].instret / light.harts[0].instret;
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.6);
    // Separate memories: each counter only counts its own machine's handovers.
    expect(handovers(heavy)).toBeGreaterThan(handovers(light));
    expect(handovers(light)).toBeGreaterThan(0);
  }, 30_000);

  it("runs a 2-hart lock-heavy guest on a gang pool and hands the lock between its harts", async () => {
    const pool = new VcpuPool({ workers: 2, policy: "gang" });
    const a = spinlockMachine(pool, 2);
    const b = spinlockMachine(pool, 2);
    try {
      const runs = [a.run(), b.run()];
      await sleep(1500);
      a.stop();
      b.stop();
      expect(await Promise.all(runs)).toEqual([{ kind: "stopped" }, { kind: "stopped" }]);
    } finally {
      await pool.close();
    }
    for (const vm of [a, b]) {
      expect(handovers(vm)).toBeGreaterThan(1000);
      // Both harts of each machine ran in their slots.
      for (const h of vm.harts) expect(h.instret).toBeGreaterThan(100_000);
    }
  }, 30_000);

  it("refuses a gang larger than the pool with a clear error", async () => {
    const pool = new VcpuPool({ workers: 1, policy: "gang" });
    try {
      const exit = await spinlockMachine(pool, 2).run();
      expect(exit.kind).toBe("error");
      if (exit.kind === "error") expect(String(exit.error)).toMatch(/gang of 2 vCPUs needs as many workers/);
    } finally {
      await pool.close();
    }
  });
});
