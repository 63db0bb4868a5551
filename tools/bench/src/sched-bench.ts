import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VirtMachine, type VirtMachineExit } from "@monovisor/devmodel";
import { VcpuPool } from "@monovisor/hv-core";
import type { BenchContext } from "./context.js";
import { formatTable } from "./table.js";

/** The lock-heavy guest (tools/guest-programs/programs/spinlock-smp.S) and its counter. */
const SPINLOCK_ELF = join("tools", "guest-programs", "build", "spinlock-smp.elf");
const SPINLOCK_SMP_COUNTER = 0x8010_0040;

/** How long each scheduler scenario runs, host time. */
const WINDOW_MS = 3000;

export interface FairnessResult {
  /** Weights of the two VMs sharing one worker. */
  readonly weights: readonly [number, number];
  /** Instructions each retired (both run the same loop, so this is their CPU share). */
  readonly instructions: readonly [number, number];
  /** instructions[0] / instructions[1]. */
  readonly ratio: number;
  /** How far the ratio is from the weights' ratio, in percent of it. */
  readonly errorPercent: number;
}

export interface GangResult {
  /** Lock handovers per second, all VMs together: credit, credit with `pause` yields, gang. */
  readonly credit: number;
  readonly creditPause: number;
  readonly gang: number;
}

export interface SchedResult {
  readonly fairness: FairnessResult | undefined;
  readonly gang: GangResult | undefined;
  readonly notes: readonly string[];
}

/** The share of the first VM against the second, and its distance from the weights' ratio. */
export function fairness(
  weights: readonly [number, number],
  instructions: readonly [number, number],
): FairnessResult {
  const ratio = instructions[1] > 0 ? instructions[0] / instructions[1] : Number.POSITIVE_INFINITY;
  const want = weights[0] / weights[1];
  return { weights, instructions, ratio, errorPercent: (100 * Math.abs(ratio - want)) / want };
}

/** Reads the spinlock program's counter (a little-endian 64-bit word) from a machine's RAM. */
function handovers(vm: VirtMachine): number {
  const off = vm.memory.hostOffset(SPINLOCK_SMP_COUNTER, 8);
  const view = new DataView(vm.memory.buffer as ArrayBuffer, off, 8);
  return Number(view.getBigUint64(0, true));
}

/** Boots `count` copies of the spinlock program on `pool`, lets them run, stops them. */
async function runOnPool(
  pool: VcpuPool,
  elf: Uint8Array,
  machines: readonly { readonly harts: number; readonly weight?: number }[],
): Promise<VirtMachine[]> {
  const vms = machines.map(
    (m) =>
      new VirtMachine({
        kernel: elf,
        bios: "none",
        memoryBytes: 16 * 1024 * 1024,
        hartCount: m.harts,
        pool,
        weight: m.weight,
      }),
  );
  const runs = vms.map((vm) => vm.run());
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  for (const vm of vms) vm.stop();
  const exits: VirtMachineExit[] = await Promise.all(runs);
  const bad = exits.find((e) => e.kind !== "stopped");
  if (bad !== undefined) throw new Error(`a guest ended early: ${JSON.stringify(bad)}`);
  return vms;
}

/**
 * The scheduler's figures: two 1-hart VMs with weights 2:1 on one worker (CPU share), and two
 * 2-hart VMs running the lock-heavy `spinlock-smp` on two workers, 2× overcommitted, under the
 * credit and the gang policies (lock handovers per second).
 */
export async function runSchedBench(ctx: BenchContext): Promise<SchedResult> {
  const notes: string[] = [];
  const path = join(ctx.root, SPINLOCK_ELF);
  if (!existsSync(path)) {
    return {
      fairness: undefined,
      gang: undefined,
      notes: [`sched: ${path} missing (run make in tools/guest-programs)`],
    };
  }
  const elf = new Uint8Array(readFileSync(path));

  ctx.progress("sched: fairness, weights 512:256 on one worker");
  const weights: [number, number] = [512, 256];
  let fair: FairnessResult | undefined;
  {
    const pool = new VcpuPool({ workers: 1 });
    try {
      const vms = await runOnPool(pool, elf, [
        { harts: 1, weight: weights[0] },
        { harts: 1, weight: weights[1] },
      ]);
      fair = fairness(weights, [vms[0].harts[0].instret, vms[1].harts[0].instret]);
    } catch (error) {
      notes.push(`sched: fairness: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await pool.close();
    }
  }

  const throughput = async (policy: "credit" | "gang", pauseYield: boolean): Promise<number> => {
    ctx.progress(
      `sched: spinlock, 2 VMs x 2 harts on 2 workers, ${policy}${pauseYield ? " with pause yields" : ""}`,
    );
    const pool = new VcpuPool({ workers: 2, policy, pauseYield });
    try {
      const vms = await runOnPool(pool, elf, [{ harts: 2 }, { harts: 2 }]);
      return vms.reduce((sum, vm) => sum + handovers(vm), 0) / (WINDOW_MS / 1000);
    } finally {
      await pool.close();
    }
  };
  let gang: GangResult | undefined;
  try {
    gang = {
      credit: await throughput("credit", false),
      creditPause: await throughput("credit", true),
      gang: await throughput("gang", false),
    };
  } catch (error) {
    notes.push(`sched: gang: ${error instanceof Error ? error.message : String(error)}`);
  }
  notes.push(
    `sched: each scenario runs ${WINDOW_MS / 1000} s; time slices 1 ms; the guests are tools/guest-programs/programs/spinlock-smp.S`,
  );
  return { fairness: fair, gang, notes };
}

function times(value: number, base: number): string {
  return base > 0 ? `${(value / base).toFixed(2)}x` : "-";
}

/** The scheduler tables. */
export function formatSchedReport(r: SchedResult): string {
  const lines: string[] = [];
  if (r.fairness !== undefined) {
    const f = r.fairness;
    lines.push(
      formatTable(
        [
          { header: "two VMs on one worker" },
          { header: "weights", align: "right" },
          { header: "CPU share", align: "right" },
          { header: "off by", align: "right" },
        ],
        [
          [
            "instructions retired, VM 1 : VM 2",
            `${f.weights[0]}:${f.weights[1]}`,
            `${f.ratio.toFixed(2)}:1`,
            `${f.errorPercent.toFixed(1)} %`,
          ],
        ],
      ),
    );
  }
  if (r.gang !== undefined) {
    const g = r.gang;
    lines.push(
      formatTable(
        [
          { header: "spinlock, 2 VMs x 2 harts, 2 workers" },
          { header: "credit", align: "right" },
          { header: "+ pause yields", align: "right" },
          { header: "gang", align: "right" },
        ],
        [
          [
            "lock handovers per second",
            Math.round(g.credit).toLocaleString("en-US"),
            `${Math.round(g.creditPause).toLocaleString("en-US")} (${times(g.creditPause, g.credit)})`,
            `${Math.round(g.gang).toLocaleString("en-US")} (${times(g.gang, g.credit)})`,
          ],
        ],
      ),
    );
  }
  return `\n${lines.join("\n\n")}\n${r.notes.map((n) => `* ${n}`).join("\n")}\n`;
}
