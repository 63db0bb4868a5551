export { Fpu } from "./fpu/index.js";
export * as riscv from "./hart/constants.js";
export * as csr from "./hart/csr-numbers.js";
export { fatalTrapMessage } from "./hart/fatal-trap.js";
export type { EcallHandler, HartOptions, TrapHook } from "./hart/hart.js";
export { Hart } from "./hart/hart.js";
export type { HartState } from "./hart/hart-state.js";
export { HART_STATE_TYPE, HART_STATE_VERSION, HartStateError } from "./hart/hart-state.js";
export type { AclintConfig, AclintSswiState, AclintState } from "./irq/aclint.js";
export {
  ACLINT_MAX_HARTS,
  Aclint,
  AclintSswi,
  CLINT_MMIO_SIZE,
  CLINT_MSIP_BASE,
  CLINT_MTIME,
  CLINT_MTIMECMP_BASE,
  SSWI_MMIO_SIZE,
  SSWI_SETSSIP_BASE,
} from "./irq/aclint.js";
export type { InterruptTarget, IrqLine } from "./irq/irq-line.js";
export type { MipBitNumber } from "./irq/mip.js";
export { MipBit } from "./irq/mip.js";
export type { PlicConfig, PlicState, PrivilegeContext } from "./irq/plic.js";
export {
  PLIC_CONTEXT_BASE,
  PLIC_CONTEXT_CLAIM,
  PLIC_CONTEXT_STRIDE,
  PLIC_CONTEXT_THRESHOLD,
  PLIC_ENABLE_BASE,
  PLIC_ENABLE_STRIDE,
  PLIC_MAX_PRIORITY,
  PLIC_MAX_SOURCES,
  PLIC_PENDING_BASE,
  PLIC_PRIORITY_BASE,
  PLIC_VIRT_SOURCE_COUNT,
  Plic,
  plicContext,
  plicMmioSize,
} from "./irq/plic.js";
export type { MmioRegion } from "./memory/bus.js";
export { MmioBus, MmioOverlapError } from "./memory/bus.js";
export type { GuestMemoryLayout, GuestMemoryOptions } from "./memory/guest-memory.js";
export { GuestMemory, GuestMemoryRangeError, HART_STATE_BYTES } from "./memory/guest-memory.js";
export type { AccessSize, MmioDevice } from "./memory/mmio.js";
export type { SbiCallCounters } from "./sbi/counters.js";
export type {
  SbiPlatform,
  SbiRemoteHarts,
  SbiServerOptions,
  SbiServerState,
  SbiServerStateV1,
} from "./sbi/sbi-server.js";
export {
  createSbiSharedState,
  MONOVISOR_SBI_IMPL_VERSION,
  SBI_SERVER_STATE_TYPE,
  SBI_SERVER_STATE_VERSION,
  SbiServer,
} from "./sbi/sbi-server.js";
export type { StealTimeState } from "./sbi/steal-time.js";
export type { SupervisorEntryOptions } from "./sbi/supervisor-entry.js";
export { enterSupervisor, enterSupervisorWords } from "./sbi/supervisor-entry.js";
export type {
  BlockReason,
  Choice,
  PickResult,
  SchedEvent,
  SchedPolicy,
  SchedStats,
  SchedulerCore,
  SchedulerOptions,
  Segment,
  SimResult,
  SimulateOptions,
  SimVcpuResult,
  SimVm,
  SwitchReason,
  VcpuStats,
  VmSpec,
  VmStats,
  WakeReason,
  Workload,
} from "./sched/index.js";
export { CreditPolicy, GangPolicy, Scheduler, simulate } from "./sched/index.js";
export { VcpuControl } from "./threads/control.js";
export type { VcpuPoolOptions } from "./threads/vcpu-pool.js";
export { VcpuPool } from "./threads/vcpu-pool.js";
export type { ThreadedMmioRegion, VcpuThreadsOptions } from "./threads/vcpu-threads.js";
export { VcpuThreads } from "./threads/vcpu-threads.js";
export type { Clock } from "./time/clock.js";
export { absoluteOrigin, InstructionClock, VirtualClock, WallClock } from "./time/clock.js";
