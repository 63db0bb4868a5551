import { describe, expect, it } from "vitest";
import { Scheduler } from "../sched/scheduler.js";
import { GangSlotPolicy, OPEN_SLOT } from "./slot-policy.js";

const SLICE = 1_000_000;

/** One worker's scheduler on a gang pool whose slot table is `table`. */
function worker(table: number[]) {
  const slotOf = (now: number) => (table.length === 0 ? -1 : table[Math.floor(now / SLICE) % table.length]);
  return new Scheduler({ workers: 1, sliceNs: SLICE, policy: new GangSlotPolicy(slotOf, SLICE) });
}

describe("GangSlotPolicy (a worker's share of a gang pool)", () => {
  it("runs each gang VM in its own slot and the other VMs in the open slot, with steal time", () => {
    const sched = worker([1, 2, OPEN_SLOT]);
    sched.addVm({ id: 1, vcpus: 1, gang: true }, 0);
    sched.addVm({ id: 2, vcpus: 1, gang: true }, 0);
    sched.addVm({ id: 3, vcpus: 1, gang: false }, 0);
    const picks = [0, 1, 2, 3].map((slot) => sched.pick(0, slot * SLICE + 10));
    expect(picks.map((p) => p.vm)).toEqual([1, 2, 3, 1]);
    // Each run ends at the slot boundary.
    expect(picks[0].runNs).toBe(SLICE - 10);
    sched.settle(4 * SLICE);
    const steal = sched.stats().vms.map((vm) => vm.stealNs);
    // Runnable throughout: each waited whenever it did not run (VM 1 ran in two slots).
    expect(steal).toEqual([2 * SLICE + 10, 3 * SLICE, 3 * SLICE]);
  });

  it("lets the other VMs have a gang slot whose VM has nothing runnable here, never another gang", () => {
    const sched = worker([1, 2]);
    sched.addVm({ id: 1, vcpus: 1, gang: true }, 0);
    sched.addVm({ id: 2, vcpus: 1, gang: true }, 0);
    sched.addVm({ id: 3, vcpus: 2, gang: false }, 0);
    expect(sched.pick(0, 0).vm).toBe(1);
    sched.block(1, 0, 100, "wfi");
    // VM 1 waits in wfi: its slot goes to the longest waiting vCPU of VM 3, not to VM 2.
    expect(sched.pick(0, 100)).toMatchObject({ vm: 3, vcpu: 0 });
    sched.block(3, 0, 200, "wfi");
    expect(sched.pick(0, 200)).toMatchObject({ vm: 3, vcpu: 1 });
    sched.wake(1, 0, 300, "irq");
    expect(sched.pick(0, 300).vm).toBe(1);
    expect(sched.pick(0, SLICE).vm).toBe(2);
  });

  it("idles until the next slot while a gang vCPU here waits for its own, else until a wake", () => {
    const sched = worker([1, 2]);
    sched.addVm({ id: 1, vcpus: 1, gang: true }, 0);
    sched.addVm({ id: 2, vcpus: 1, gang: true, blocked: [0] }, 0);
    sched.block(1, 0, 0, "wfi");
    expect(sched.pick(0, 10)).toEqual({ vm: -1, vcpu: -1, runNs: Number.POSITIVE_INFINITY });
    sched.wake(1, 0, SLICE + 5, "irq");
    // VM 2's slot: VM 1 may not run, but its slot comes next.
    expect(sched.pick(0, SLICE + 5)).toEqual({ vm: -1, vcpu: -1, runNs: SLICE - 5 });
    expect(sched.pick(0, 2 * SLICE).vm).toBe(1);
  });
});
