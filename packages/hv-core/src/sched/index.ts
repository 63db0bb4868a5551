export { CreditPolicy } from "./credit.js";
export { GangPolicy } from "./gang.js";
export type { Choice, SchedPolicy } from "./policy.js";
export type { SchedulerCore, SchedulerOptions } from "./scheduler.js";
export { Scheduler } from "./scheduler.js";
export type { Segment, SimResult, SimulateOptions, SimVcpuResult, SimVm, Workload } from "./simulate.js";
export { simulate } from "./simulate.js";
export { CREDIT_INIT, DEFAULT_WEIGHT, VcpuState, VmState } from "./state.js";
export type {
  BlockReason,
  PickResult,
  SchedEvent,
  SchedStats,
  SwitchReason,
  VcpuStats,
  VmSpec,
  VmStats,
  WakeReason,
} from "./types.js";
