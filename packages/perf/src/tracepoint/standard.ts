import type { TracepointSpec } from "./fields.js";

/** Privilege levels in their RISC-V encoding, so a hart passes its mode number unchanged. */
const PRIVILEGE = ["U", "S", "reserved", "M"] as const;

/**
 * The tracepoints every layer emits. Order fixes the ids; append, never reorder, so recordings
 * stay readable (the recording carries its own table as well).
 */
export const STANDARD_TRACEPOINTS = [
  {
    name: "hart.trap",
    class: "trap",
    kind: "span",
    description: "A trap taken by a hart; the duration is the time the hypervisor spent on it.",
    fields: [
      { name: "durNs", type: "f64" },
      { name: "cause", type: "u32", description: "exception code; bit 31 set for interrupts" },
      { name: "epc", type: "u64" },
      { name: "tval", type: "u64" },
      { name: "from", type: "enum", values: PRIVILEGE },
    ],
  },
  {
    name: "hart.wfi",
    class: "hart",
    kind: "span",
    description: "A hart blocked in WFI; the duration is how long it waited.",
    fields: [
      { name: "durNs", type: "f64" },
      { name: "pc", type: "u64" },
    ],
  },
  {
    name: "sbi.call",
    class: "sbi",
    kind: "span",
    description: "A hypercall served by the hypervisor's SBI implementation.",
    fields: [
      { name: "durNs", type: "f64" },
      { name: "eid", type: "u32" },
      { name: "fid", type: "u32" },
      { name: "arg0", type: "u64" },
      { name: "error", type: "i32" },
      { name: "value", type: "u64" },
    ],
  },
  {
    name: "mmio.access",
    class: "mmio",
    kind: "span",
    description: "A guest access to a device register.",
    fields: [
      { name: "durNs", type: "f64" },
      { name: "addr", type: "u64" },
      { name: "size", type: "u32" },
      { name: "write", type: "bool" },
      { name: "value", type: "u64" },
      { name: "device", type: "str" },
    ],
  },
  {
    name: "irq.raise",
    class: "irq",
    kind: "point",
    description: "An interrupt line changed level at a controller.",
    fields: [
      {
        name: "controller",
        type: "enum",
        values: ["plic", "aclint-mswi", "aclint-mtimer", "aclint-sswi", "aia"],
      },
      { name: "source", type: "u32" },
      { name: "level", type: "u32" },
    ],
  },
  {
    name: "irq.claim",
    class: "irq",
    kind: "point",
    description: "A PLIC context claimed an interrupt.",
    fields: [
      { name: "context", type: "u32" },
      { name: "source", type: "u32" },
    ],
  },
  {
    name: "irq.complete",
    class: "irq",
    kind: "point",
    description: "A PLIC context completed an interrupt.",
    fields: [
      { name: "context", type: "u32" },
      { name: "source", type: "u32" },
    ],
  },
  {
    name: "timer.program",
    class: "timer",
    kind: "point",
    description: "A timer compare register was written.",
    fields: [
      { name: "deadline", type: "u64" },
      { name: "now", type: "u64" },
      { name: "mode", type: "enum", values: PRIVILEGE },
    ],
  },
  {
    name: "timer.fire",
    class: "timer",
    kind: "point",
    description: "A timer deadline passed and its interrupt became pending.",
    fields: [
      { name: "deadline", type: "u64" },
      { name: "now", type: "u64" },
      { name: "mode", type: "enum", values: PRIVILEGE },
    ],
  },
  {
    name: "tlb.flush",
    class: "mmu",
    kind: "point",
    description: "Software TLB entries were dropped.",
    fields: [
      { name: "scope", type: "enum", values: ["all", "asid", "page", "asid-page"] },
      { name: "reason", type: "enum", values: ["sfence.vma", "satp", "privilege", "remote"] },
      { name: "asid", type: "u32" },
      { name: "vaddr", type: "u64" },
    ],
  },
  {
    name: "mmu.walk",
    class: "mmu",
    kind: "point",
    description: "A page-table walk after a TLB miss.",
    fields: [
      { name: "vaddr", type: "u64" },
      { name: "access", type: "enum", values: ["fetch", "load", "store"] },
      { name: "levels", type: "u32" },
      { name: "result", type: "enum", values: ["ok", "page-fault", "access-fault"] },
      { name: "paddr", type: "u64" },
    ],
  },
  {
    name: "sched.switch",
    class: "sched",
    kind: "point",
    description: "A host worker (pCPU) switched to this vCPU.",
    fields: [
      { name: "pcpu", type: "u32" },
      { name: "prevVm", type: "i32", description: "-1 when the worker was idle" },
      { name: "prevVcpu", type: "i32" },
      { name: "reason", type: "enum", values: ["preempt", "block", "yield", "exit"] },
    ],
  },
  {
    name: "sched.block",
    class: "sched",
    kind: "point",
    description: "A vCPU stopped being runnable.",
    fields: [{ name: "reason", type: "enum", values: ["wfi", "hsm-stop", "hsm-suspend", "pause", "io"] }],
  },
  {
    name: "sched.wake",
    class: "sched",
    kind: "point",
    description: "A vCPU became runnable.",
    fields: [
      { name: "reason", type: "enum", values: ["irq", "timer", "ipi", "hsm-start", "resume", "kick"] },
      { name: "waker", type: "i32", description: "vCPU that caused the wake-up, -1 for the host" },
    ],
  },
  {
    name: "sched.migrate",
    class: "sched",
    kind: "point",
    description: "A vCPU moved to another host worker.",
    fields: [
      { name: "fromPcpu", type: "u32" },
      { name: "toPcpu", type: "u32" },
    ],
  },
  {
    name: "sched.steal",
    class: "sched",
    kind: "span",
    description: "Steal time: the vCPU was runnable but no worker ran it.",
    fields: [
      { name: "durNs", type: "f64" },
      { name: "pcpu", type: "u32" },
    ],
  },
  {
    name: "virtio.request",
    class: "virtio",
    kind: "span",
    description: "A virtqueue request from notify to completion.",
    fields: [
      { name: "durNs", type: "f64" },
      { name: "device", type: "str" },
      { name: "queue", type: "u32" },
      { name: "head", type: "u32", description: "head descriptor index" },
      { name: "op", type: "u32", description: "device-specific request type" },
      { name: "bytes", type: "u32" },
      { name: "status", type: "u32" },
    ],
  },
] as const satisfies readonly TracepointSpec[];

export type StandardTracepointSpec = (typeof STANDARD_TRACEPOINTS)[number];
export type StandardTracepointName = StandardTracepointSpec["name"];
export type StandardTracepointSpecOf<N extends StandardTracepointName> = Extract<
  StandardTracepointSpec,
  { name: N }
>;
