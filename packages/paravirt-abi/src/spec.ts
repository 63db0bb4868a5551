/**
 * The SBI contract as data: the single source from which the TypeScript constants, the host
 * dispatch table, the C header and the Markdown reference are derived. Facts come from the RISC-V
 * SBI specification v2.0; the vendor extension is ours.
 */
import { SBI_V0_1, SBI_V0_2, SBI_V0_3, SBI_V2_0, type SbiVersion, sbiVersion } from "./version.js";

/** C types that appear in the specification's prototypes. */
export type SbiCType =
  | "unsigned long"
  | "long"
  | "int"
  | "uint8_t"
  | "uint32_t"
  | "uint64_t"
  | "const unsigned long *";

export interface SbiArgumentDescription {
  readonly name: string;
  readonly type: SbiCType;
}

export interface SbiFunctionDescription {
  readonly fid: number;
  /** Upper-case key used for constants: `SbiFid.HSM.HART_START`, `SBI_EXT_HSM_HART_START`. */
  readonly id: string;
  /** The prototype name in the specification. */
  readonly name: string;
  /** Spec version (standard and legacy) or vendor-extension version that introduced the function. */
  readonly since: SbiVersion;
  /** In order: a0, a1, ... */
  readonly args: readonly SbiArgumentDescription[];
  /** What `sbiret.value` (legacy: `a0`) holds on success. */
  readonly returns: string;
  readonly summary: string;
}

/**
 * - `standard`: v0.2+ calling convention, EID in a7, FID in a6, `sbiret` in a0/a1.
 * - `legacy`: v0.1, one function per EID, a6 ignored, result in a0 only.
 * - `vendor`: our extension; standard calling convention, versioned on its own.
 */
export type SbiExtensionKind = "standard" | "legacy" | "vendor";

export interface SbiExtensionDescription {
  /** Upper-case key used for constants: `SbiEid.HSM`, `SBI_EXT_HSM`. */
  readonly id: string;
  readonly eid: number;
  readonly title: string;
  readonly kind: SbiExtensionKind;
  /** Spec version that introduced the extension (vendor: the vendor version that introduced it). */
  readonly since: SbiVersion;
  readonly functions: readonly SbiFunctionDescription[];
}

export interface SbiErrorDescription {
  readonly id: string;
  readonly value: number;
  readonly description: string;
}

export interface SbiConstantDescription {
  readonly id: string;
  readonly value: number;
  readonly description: string;
}

/** A range of values the spec reserves or hands to platforms; documented, not named. */
export interface SbiValueRange {
  readonly first: number;
  readonly last: number;
  readonly description: string;
}

export interface SbiConstantGroup {
  readonly id: string;
  readonly title: string;
  /** Prefix of the C macros, e.g. `SBI_HSM_STATE_`. */
  readonly cPrefix: string;
  readonly values: readonly SbiConstantDescription[];
  readonly ranges?: readonly SbiValueRange[];
}

const ul = (name: string) => ({ name, type: "unsigned long" }) as const;
const HART_MASK = [ul("hart_mask"), ul("hart_mask_base")] as const;
const REMOTE_RANGE = [...HART_MASK, ul("start_addr"), ul("size")] as const;

/** Version of our vendor extension (same encoding as the spec version). See README, "Version policy". */
export const MONOVISOR_VENDOR_VERSION: SbiVersion = sbiVersion(1, 0);
const MONOVISOR_V1_0 = sbiVersion(1, 0);

/**
 * The `mvendorid` our harts report. 0 is the value the privileged spec gives implementations
 * without a JEDEC id, as QEMU's generic CPUs use.
 */
export const MONOVISOR_MVENDORID = 0;

/** First vendor-specific EID; the spec requires the low 24 bits to match `mvendorid`. */
export const SBI_VENDOR_EID_BASE = 0x0900_0000;

/** The vendor extension's EID, derived from our `mvendorid` as the spec demands. */
export const MONOVISOR_VENDOR_EID = SBI_VENDOR_EID_BASE | (MONOVISOR_MVENDORID & 0xff_ffff);

/**
 * Returned by the vendor extension's `get_signature`. Any implementation with `mvendorid` 0 may
 * use the same vendor EID, so a guest checks this before trusting the other functions.
 */
export const MONOVISOR_SIGNATURE = 0x4d4f_4e56; // "MONV"

/**
 * `get_impl_id` value. No ID is registered for monovisor; this one lies far above the
 * sequentially assigned registry so it cannot collide with a future assignment.
 */
export const MONOVISOR_SBI_IMPL_ID = 0x4d4f_4e56;

export const SBI_ERRORS = [
  { id: "SUCCESS", value: 0, description: "Completed successfully" },
  { id: "ERR_FAILED", value: -1, description: "Failed" },
  { id: "ERR_NOT_SUPPORTED", value: -2, description: "Not supported (also: unknown EID or FID)" },
  { id: "ERR_INVALID_PARAM", value: -3, description: "Invalid parameter(s)" },
  { id: "ERR_DENIED", value: -4, description: "Denied or not allowed" },
  { id: "ERR_INVALID_ADDRESS", value: -5, description: "Invalid address(es)" },
  { id: "ERR_ALREADY_AVAILABLE", value: -6, description: "Already available" },
  { id: "ERR_ALREADY_STARTED", value: -7, description: "Already started" },
  { id: "ERR_ALREADY_STOPPED", value: -8, description: "Already stopped" },
  { id: "ERR_NO_SHMEM", value: -9, description: "Shared memory not available" },
] as const satisfies readonly SbiErrorDescription[];

const legacy = (
  eid: number,
  id: string,
  title: string,
  name: string,
  args: readonly SbiArgumentDescription[],
  returns: string,
  summary: string,
) =>
  ({
    id: `LEGACY_${id}`,
    eid,
    title: `Legacy ${title}`,
    kind: "legacy",
    since: SBI_V0_1,
    functions: [{ fid: 0, id, name, since: SBI_V0_1, args, returns, summary }],
  }) as const;

export const SBI_EXTENSIONS = [
  legacy(
    0x00,
    "SET_TIMER",
    "Set Timer",
    "sbi_set_timer",
    [{ name: "stime_value", type: "uint64_t" }],
    "0",
    "Programs the next timer event; clears the pending timer interrupt.",
  ),
  legacy(
    0x01,
    "CONSOLE_PUTCHAR",
    "Console Putchar",
    "sbi_console_putchar",
    [{ name: "ch", type: "int" }],
    "0 on success, negative on failure",
    "Writes one byte to the debug console.",
  ),
  legacy(
    0x02,
    "CONSOLE_GETCHAR",
    "Console Getchar",
    "sbi_console_getchar",
    [],
    "the byte read, or -1 when none is pending",
    "Reads one byte from the debug console.",
  ),
  legacy(0x03, "CLEAR_IPI", "Clear IPI", "sbi_clear_ipi", [], "0", "Clears a pending supervisor IPI."),
  legacy(
    0x04,
    "SEND_IPI",
    "Send IPI",
    "sbi_send_ipi",
    [{ name: "hart_mask", type: "const unsigned long *" }],
    "0",
    "Sends a supervisor software interrupt to the harts in the mask (in memory).",
  ),
  legacy(
    0x05,
    "REMOTE_FENCE_I",
    "Remote FENCE.I",
    "sbi_remote_fence_i",
    [{ name: "hart_mask", type: "const unsigned long *" }],
    "0",
    "Runs FENCE.I on the harts in the mask.",
  ),
  legacy(
    0x06,
    "REMOTE_SFENCE_VMA",
    "Remote SFENCE.VMA",
    "sbi_remote_sfence_vma",
    [{ name: "hart_mask", type: "const unsigned long *" }, ul("start"), ul("size")],
    "0",
    "Runs SFENCE.VMA over the range on the harts in the mask.",
  ),
  legacy(
    0x07,
    "REMOTE_SFENCE_VMA_ASID",
    "Remote SFENCE.VMA with ASID",
    "sbi_remote_sfence_vma_asid",
    [{ name: "hart_mask", type: "const unsigned long *" }, ul("start"), ul("size"), ul("asid")],
    "0",
    "Runs SFENCE.VMA over the range for one ASID on the harts in the mask.",
  ),
  legacy(
    0x08,
    "SHUTDOWN",
    "System Shutdown",
    "sbi_shutdown",
    [],
    "does not return",
    "Powers the system off.",
  ),
  {
    id: "BASE",
    eid: 0x10,
    title: "Base",
    kind: "standard",
    since: SBI_V0_2,
    functions: [
      {
        fid: 0,
        id: "GET_SPEC_VERSION",
        name: "sbi_get_spec_version",
        since: SBI_V0_2,
        args: [],
        returns: "spec version, major in bits 30:24, minor in bits 23:0",
        summary: "Returns the implemented SBI specification version.",
      },
      {
        fid: 1,
        id: "GET_IMPL_ID",
        name: "sbi_get_impl_id",
        since: SBI_V0_2,
        args: [],
        returns: "implementation ID",
        summary: "Identifies the SBI implementation, so software can work around its quirks.",
      },
      {
        fid: 2,
        id: "GET_IMPL_VERSION",
        name: "sbi_get_impl_version",
        since: SBI_V0_2,
        args: [],
        returns: "implementation-specific version",
        summary: "Returns the version of the SBI implementation.",
      },
      {
        fid: 3,
        id: "PROBE_EXTENSION",
        name: "sbi_probe_extension",
        since: SBI_V0_2,
        args: [{ name: "extension_id", type: "long" }],
        returns: "0 when absent, 1 (or an extension-specific non-zero value) when present",
        summary: "Tells whether an extension is available.",
      },
      {
        fid: 4,
        id: "GET_MVENDORID",
        name: "sbi_get_mvendorid",
        since: SBI_V0_2,
        args: [],
        returns: "a legal mvendorid value",
        summary: "Returns the machine vendor ID.",
      },
      {
        fid: 5,
        id: "GET_MARCHID",
        name: "sbi_get_marchid",
        since: SBI_V0_2,
        args: [],
        returns: "a legal marchid value",
        summary: "Returns the machine architecture ID.",
      },
      {
        fid: 6,
        id: "GET_MIMPID",
        name: "sbi_get_mimpid",
        since: SBI_V0_2,
        args: [],
        returns: "a legal mimpid value",
        summary: "Returns the machine implementation ID.",
      },
    ],
  },
  {
    id: "TIME",
    eid: 0x5449_4d45,
    title: "Timer",
    kind: "standard",
    since: SBI_V0_2,
    functions: [
      {
        fid: 0,
        id: "SET_TIMER",
        name: "sbi_set_timer",
        since: SBI_V0_2,
        args: [{ name: "stime_value", type: "uint64_t" }],
        returns: "0",
        summary: "Programs the next timer event (absolute time); clears the pending timer interrupt.",
      },
    ],
  },
  {
    id: "IPI",
    eid: 0x73_5049,
    title: "S-mode IPI",
    kind: "standard",
    since: SBI_V0_2,
    functions: [
      {
        fid: 0,
        id: "SEND_IPI",
        name: "sbi_send_ipi",
        since: SBI_V0_2,
        args: HART_MASK,
        returns: "0",
        summary: "Raises a supervisor software interrupt on the harts in the mask.",
      },
    ],
  },
  {
    id: "RFENCE",
    eid: 0x5246_4e43,
    title: "Remote Fence",
    kind: "standard",
    since: SBI_V0_2,
    functions: [
      {
        fid: 0,
        id: "REMOTE_FENCE_I",
        name: "sbi_remote_fence_i",
        since: SBI_V0_2,
        args: HART_MASK,
        returns: "0",
        summary: "Runs FENCE.I on the harts in the mask.",
      },
      {
        fid: 1,
        id: "REMOTE_SFENCE_VMA",
        name: "sbi_remote_sfence_vma",
        since: SBI_V0_2,
        args: REMOTE_RANGE,
        returns: "0",
        summary: "Runs SFENCE.VMA over the range on the harts in the mask.",
      },
      {
        fid: 2,
        id: "REMOTE_SFENCE_VMA_ASID",
        name: "sbi_remote_sfence_vma_asid",
        since: SBI_V0_2,
        args: [...REMOTE_RANGE, ul("asid")],
        returns: "0",
        summary: "Runs SFENCE.VMA over the range for one ASID on the harts in the mask.",
      },
      {
        fid: 3,
        id: "REMOTE_HFENCE_GVMA_VMID",
        name: "sbi_remote_hfence_gvma_vmid",
        since: SBI_V0_2,
        args: [...REMOTE_RANGE, ul("vmid")],
        returns: "0",
        summary: "Runs HFENCE.GVMA over the guest-physical range for one VMID.",
      },
      {
        fid: 4,
        id: "REMOTE_HFENCE_GVMA",
        name: "sbi_remote_hfence_gvma",
        since: SBI_V0_2,
        args: REMOTE_RANGE,
        returns: "0",
        summary: "Runs HFENCE.GVMA over the guest-physical range for all VMIDs.",
      },
      {
        fid: 5,
        id: "REMOTE_HFENCE_VVMA_ASID",
        name: "sbi_remote_hfence_vvma_asid",
        since: SBI_V0_2,
        args: [...REMOTE_RANGE, ul("asid")],
        returns: "0",
        summary: "Runs HFENCE.VVMA over the guest-virtual range for one ASID.",
      },
      {
        fid: 6,
        id: "REMOTE_HFENCE_VVMA",
        name: "sbi_remote_hfence_vvma",
        since: SBI_V0_2,
        args: REMOTE_RANGE,
        returns: "0",
        summary: "Runs HFENCE.VVMA over the guest-virtual range for all ASIDs.",
      },
    ],
  },
  {
    id: "HSM",
    eid: 0x48_534d,
    title: "Hart State Management",
    kind: "standard",
    since: SBI_V0_2,
    functions: [
      {
        fid: 0,
        id: "HART_START",
        name: "sbi_hart_start",
        since: SBI_V0_2,
        args: [ul("hartid"), ul("start_addr"), ul("opaque")],
        returns: "0",
        summary: "Starts a stopped hart in S-mode at start_addr with a0 = hartid, a1 = opaque.",
      },
      {
        fid: 1,
        id: "HART_STOP",
        name: "sbi_hart_stop",
        since: SBI_V0_2,
        args: [],
        returns: "does not return on success",
        summary: "Stops the calling hart.",
      },
      {
        fid: 2,
        id: "HART_GET_STATUS",
        name: "sbi_hart_get_status",
        since: SBI_V0_2,
        args: [ul("hartid")],
        returns: "the hart's HSM state",
        summary: "Returns the HSM state of a hart.",
      },
      {
        fid: 3,
        id: "HART_SUSPEND",
        name: "sbi_hart_suspend",
        since: SBI_V0_3,
        args: [{ name: "suspend_type", type: "uint32_t" }, ul("resume_addr"), ul("opaque")],
        returns: "0 (retentive suspend returns; non-retentive resumes at resume_addr)",
        summary: "Suspends the calling hart until an interrupt.",
      },
    ],
  },
  {
    id: "SRST",
    eid: 0x5352_5354,
    title: "System Reset",
    kind: "standard",
    since: SBI_V0_3,
    functions: [
      {
        fid: 0,
        id: "SYSTEM_RESET",
        name: "sbi_system_reset",
        since: SBI_V0_3,
        args: [
          { name: "reset_type", type: "uint32_t" },
          { name: "reset_reason", type: "uint32_t" },
        ],
        returns: "does not return on success",
        summary: "Shuts down or reboots the system.",
      },
    ],
  },
  {
    id: "PMU",
    eid: 0x50_4d55,
    title: "Performance Monitoring Unit",
    kind: "standard",
    since: SBI_V0_3,
    functions: [
      {
        fid: 0,
        id: "NUM_COUNTERS",
        name: "sbi_pmu_num_counters",
        since: SBI_V0_3,
        args: [],
        returns: "number of counters (hardware and firmware)",
        summary: "Counts the PMU counters.",
      },
      {
        fid: 1,
        id: "COUNTER_GET_INFO",
        name: "sbi_pmu_counter_get_info",
        since: SBI_V0_3,
        args: [ul("counter_idx")],
        returns: "counter info (CSR number, width, type)",
        summary: "Describes one counter.",
      },
      {
        fid: 2,
        id: "COUNTER_CONFIG_MATCHING",
        name: "sbi_pmu_counter_config_matching",
        since: SBI_V0_3,
        args: [
          ul("counter_idx_base"),
          ul("counter_idx_mask"),
          ul("config_flags"),
          ul("event_idx"),
          { name: "event_data", type: "uint64_t" },
        ],
        returns: "the counter index chosen",
        summary: "Finds and configures a counter for an event.",
      },
      {
        fid: 3,
        id: "COUNTER_START",
        name: "sbi_pmu_counter_start",
        since: SBI_V0_3,
        args: [
          ul("counter_idx_base"),
          ul("counter_idx_mask"),
          ul("start_flags"),
          { name: "initial_value", type: "uint64_t" },
        ],
        returns: "0",
        summary: "Starts a set of counters.",
      },
      {
        fid: 4,
        id: "COUNTER_STOP",
        name: "sbi_pmu_counter_stop",
        since: SBI_V0_3,
        args: [ul("counter_idx_base"), ul("counter_idx_mask"), ul("stop_flags")],
        returns: "0",
        summary: "Stops a set of counters.",
      },
      {
        fid: 5,
        id: "COUNTER_FW_READ",
        name: "sbi_pmu_counter_fw_read",
        since: SBI_V0_3,
        args: [ul("counter_idx")],
        returns: "the firmware counter's value",
        summary: "Reads a firmware counter.",
      },
      {
        fid: 6,
        id: "COUNTER_FW_READ_HI",
        name: "sbi_pmu_counter_fw_read_hi",
        since: SBI_V2_0,
        args: [ul("counter_idx")],
        returns: "upper 32 bits of the firmware counter (0 on RV64)",
        summary: "Reads the upper half of a firmware counter.",
      },
      {
        fid: 7,
        id: "SNAPSHOT_SET_SHMEM",
        name: "sbi_pmu_snapshot_set_shmem",
        since: SBI_V2_0,
        args: [ul("shmem_phys_lo"), ul("shmem_phys_hi"), ul("flags")],
        returns: "0",
        summary: "Sets the shared memory for counter snapshots.",
      },
    ],
  },
  {
    id: "DBCN",
    eid: 0x4442_434e,
    title: "Debug Console",
    kind: "standard",
    since: SBI_V2_0,
    functions: [
      {
        fid: 0,
        id: "CONSOLE_WRITE",
        name: "sbi_debug_console_write",
        since: SBI_V2_0,
        args: [ul("num_bytes"), ul("base_addr_lo"), ul("base_addr_hi")],
        returns: "number of bytes written",
        summary: "Writes bytes from guest memory to the debug console.",
      },
      {
        fid: 1,
        id: "CONSOLE_READ",
        name: "sbi_debug_console_read",
        since: SBI_V2_0,
        args: [ul("num_bytes"), ul("base_addr_lo"), ul("base_addr_hi")],
        returns: "number of bytes read",
        summary: "Reads bytes from the debug console into guest memory, without blocking.",
      },
      {
        fid: 2,
        id: "CONSOLE_WRITE_BYTE",
        name: "sbi_debug_console_write_byte",
        since: SBI_V2_0,
        args: [{ name: "byte", type: "uint8_t" }],
        returns: "0",
        summary: "Writes one byte to the debug console.",
      },
    ],
  },
  {
    id: "SUSP",
    eid: 0x5355_5350,
    title: "System Suspend",
    kind: "standard",
    since: SBI_V2_0,
    functions: [
      {
        fid: 0,
        id: "SYSTEM_SUSPEND",
        name: "sbi_system_suspend",
        since: SBI_V2_0,
        args: [{ name: "sleep_type", type: "uint32_t" }, ul("resume_addr"), ul("opaque")],
        returns: "returns only on error; resumes at resume_addr",
        summary: "Suspends the system; all other harts must be stopped.",
      },
    ],
  },
  {
    id: "CPPC",
    eid: 0x4350_5043,
    title: "Collaborative Processor Performance Control",
    kind: "standard",
    since: SBI_V2_0,
    functions: [
      {
        fid: 0,
        id: "PROBE",
        name: "sbi_cppc_probe",
        since: SBI_V2_0,
        args: [{ name: "cppc_reg_id", type: "uint32_t" }],
        returns: "register width in bits, 0 when not implemented",
        summary: "Tells whether a CPPC register is implemented.",
      },
      {
        fid: 1,
        id: "READ",
        name: "sbi_cppc_read",
        since: SBI_V2_0,
        args: [{ name: "cppc_reg_id", type: "uint32_t" }],
        returns: "register value",
        summary: "Reads a CPPC register.",
      },
      {
        fid: 2,
        id: "READ_HI",
        name: "sbi_cppc_read_hi",
        since: SBI_V2_0,
        args: [{ name: "cppc_reg_id", type: "uint32_t" }],
        returns: "upper 32 bits of the register (0 on RV64)",
        summary: "Reads the upper half of a CPPC register.",
      },
      {
        fid: 3,
        id: "WRITE",
        name: "sbi_cppc_write",
        since: SBI_V2_0,
        args: [
          { name: "cppc_reg_id", type: "uint32_t" },
          { name: "val", type: "uint64_t" },
        ],
        returns: "0",
        summary: "Writes a CPPC register.",
      },
    ],
  },
  {
    id: "STA",
    eid: 0x53_5441,
    title: "Steal-time Accounting",
    kind: "standard",
    since: SBI_V2_0,
    functions: [
      {
        fid: 0,
        id: "STEAL_TIME_SET_SHMEM",
        name: "sbi_steal_time_set_shmem",
        since: SBI_V2_0,
        args: [ul("shmem_phys_lo"), ul("shmem_phys_hi"), ul("flags")],
        returns: "0",
        summary: "Sets (or, with all-ones, clears) the calling hart's 64-byte steal-time record.",
      },
    ],
  },
  {
    id: "MONOVISOR",
    eid: MONOVISOR_VENDOR_EID,
    title: "monovisor vendor extension",
    kind: "vendor",
    since: MONOVISOR_V1_0,
    functions: [
      {
        fid: 0,
        id: "GET_SIGNATURE",
        name: "sbi_monovisor_get_signature",
        since: MONOVISOR_V1_0,
        args: [],
        returns: 'MONOVISOR_SIGNATURE (0x4d4f4e56, "MONV")',
        summary: "Proves the vendor EID belongs to monovisor; check it before any other call.",
      },
      {
        fid: 1,
        id: "GET_VERSION",
        name: "sbi_monovisor_get_version",
        since: MONOVISOR_V1_0,
        args: [],
        returns: "vendor extension version, encoded like the spec version",
        summary: "Returns the vendor extension version the hypervisor implements.",
      },
      {
        fid: 2,
        id: "PROBE_FUNCTION",
        name: "sbi_monovisor_probe_function",
        since: MONOVISOR_V1_0,
        args: [ul("fid")],
        returns: "1 when the function is implemented, 0 otherwise",
        summary: "Tells whether one vendor function is available.",
      },
      {
        fid: 3,
        id: "TRACE_MARK",
        name: "sbi_monovisor_trace_mark",
        since: MONOVISOR_V1_0,
        args: [ul("tag"), ul("value")],
        returns: "0",
        summary: "Records a guest marker in the hypervisor's trace; a no-op while tracing is off.",
      },
    ],
  },
] as const satisfies readonly SbiExtensionDescription[];

/** EID ranges the specification sets aside. */
export const SBI_EID_RANGES = [
  { id: "EXPERIMENTAL", first: 0x0800_0000, last: 0x08ff_ffff, description: "Experimental extensions" },
  {
    id: "VENDOR",
    first: 0x0900_0000,
    last: 0x09ff_ffff,
    description: "Vendor extensions; low 24 bits match mvendorid",
  },
  {
    id: "FIRMWARE",
    first: 0x0a00_0000,
    last: 0x0aff_ffff,
    description: "Firmware extensions; low 24 bits are the implementation ID",
  },
] as const satisfies readonly (SbiValueRange & { readonly id: string })[];

/** Named values used as arguments or results of the functions above. */
export const SBI_CONSTANT_GROUPS = [
  {
    id: "IMPL_ID",
    title: "SBI implementation IDs (BASE get_impl_id)",
    cPrefix: "SBI_IMPL_ID_",
    values: [
      { id: "BBL", value: 0, description: "Berkeley Boot Loader" },
      { id: "OPENSBI", value: 1, description: "OpenSBI" },
      { id: "XVISOR", value: 2, description: "Xvisor" },
      { id: "KVM", value: 3, description: "KVM" },
      { id: "RUSTSBI", value: 4, description: "RustSBI" },
      { id: "DIOSIX", value: 5, description: "Diosix" },
      { id: "COFFER", value: 6, description: "Coffer" },
      { id: "XEN", value: 7, description: "Xen Project" },
      { id: "POLARFIRE_HSS", value: 8, description: "PolarFire Hart Software Services" },
      { id: "COREBOOT", value: 9, description: "coreboot" },
      { id: "OREBOOT", value: 10, description: "oreboot" },
      { id: "BHYVE", value: 11, description: "bhyve" },
      { id: "MONOVISOR", value: MONOVISOR_SBI_IMPL_ID, description: "monovisor (unregistered)" },
    ],
  },
  {
    id: "HSM_STATE",
    title: "HSM hart states (hart_get_status)",
    cPrefix: "SBI_HSM_STATE_",
    values: [
      { id: "STARTED", value: 0, description: "Running" },
      { id: "STOPPED", value: 1, description: "Not executing" },
      { id: "START_PENDING", value: 2, description: "hart_start accepted, not yet running" },
      { id: "STOP_PENDING", value: 3, description: "hart_stop accepted, not yet stopped" },
      { id: "SUSPENDED", value: 4, description: "In a suspend state" },
      { id: "SUSPEND_PENDING", value: 5, description: "hart_suspend accepted, not yet suspended" },
      { id: "RESUME_PENDING", value: 6, description: "Woken up, not yet running" },
    ],
  },
  {
    id: "HSM_SUSPEND_TYPE",
    title: "HSM suspend types (hart_suspend)",
    cPrefix: "SBI_HSM_SUSPEND_",
    values: [
      { id: "RETENTIVE", value: 0x0000_0000, description: "Default retentive: returns to the caller" },
      {
        id: "NON_RETENTIVE",
        value: 0x8000_0000,
        description: "Default non-retentive: resumes at resume_addr",
      },
    ],
    ranges: [
      { first: 0x0000_0001, last: 0x0fff_ffff, description: "Reserved" },
      { first: 0x1000_0000, last: 0x7fff_ffff, description: "Platform-specific retentive" },
      { first: 0x8000_0001, last: 0x8fff_ffff, description: "Reserved" },
      { first: 0x9000_0000, last: 0xffff_ffff, description: "Platform-specific non-retentive" },
    ],
  },
  {
    id: "SRST_TYPE",
    title: "SRST reset types (system_reset)",
    cPrefix: "SBI_SRST_TYPE_",
    values: [
      { id: "SHUTDOWN", value: 0, description: "Power off" },
      { id: "COLD_REBOOT", value: 1, description: "Power cycle" },
      { id: "WARM_REBOOT", value: 2, description: "Reset without a power cycle" },
    ],
    ranges: [
      { first: 0x0000_0003, last: 0xefff_ffff, description: "Reserved" },
      { first: 0xf000_0000, last: 0xffff_ffff, description: "Vendor or platform specific" },
    ],
  },
  {
    id: "SRST_REASON",
    title: "SRST reset reasons (system_reset)",
    cPrefix: "SBI_SRST_REASON_",
    values: [
      { id: "NO_REASON", value: 0, description: "No reason given" },
      { id: "SYSTEM_FAILURE", value: 1, description: "System failure" },
    ],
    ranges: [
      { first: 0x0000_0002, last: 0xdfff_ffff, description: "Reserved" },
      { first: 0xe000_0000, last: 0xefff_ffff, description: "SBI implementation specific" },
      { first: 0xf000_0000, last: 0xffff_ffff, description: "Vendor or platform specific" },
    ],
  },
  {
    id: "SUSP_SLEEP_TYPE",
    title: "SUSP sleep types (system_suspend)",
    cPrefix: "SBI_SUSP_SLEEP_TYPE_",
    values: [{ id: "SUSPEND_TO_RAM", value: 0, description: "Suspend to RAM; implied by the extension" }],
    ranges: [
      { first: 0x0000_0001, last: 0x7fff_ffff, description: "Reserved" },
      { first: 0x8000_0000, last: 0xffff_ffff, description: "Platform-specific" },
    ],
  },
  {
    id: "STA_SHMEM",
    title: "STA steal-time record layout (little-endian, 64-byte aligned)",
    cPrefix: "SBI_STA_SHMEM_",
    values: [
      { id: "SEQUENCE_OFFSET", value: 0, description: "u32; odd while the hypervisor updates `steal`" },
      { id: "FLAGS_OFFSET", value: 4, description: "u32; always 0" },
      { id: "STEAL_OFFSET", value: 8, description: "u64; stolen time in nanoseconds" },
      { id: "PREEMPTED_OFFSET", value: 16, description: "u8; non-zero while the hart is preempted" },
      { id: "SIZE", value: 64, description: "Record size and required alignment in bytes" },
    ],
  },
] as const satisfies readonly SbiConstantGroup[];

/**
 * XLEN-wide all-ones arguments. They cannot be held exactly as numbers, so they are named here
 * and the C header spells them as `-1UL`.
 */
export const SBI_ALL_ONES_ARGUMENTS = [
  { id: "HART_MASK_BASE_ALL", description: "hart_mask_base selecting every hart (hart_mask ignored)" },
  { id: "SHMEM_DISABLE", description: "shmem_phys_lo/hi value that disables a shared-memory area" },
] as const satisfies readonly { readonly id: string; readonly description: string }[];

/** The spec version monovisor's SBI implementation reports from `get_spec_version`. */
export const MONOVISOR_SBI_SPEC_VERSION: SbiVersion = SBI_V2_0;

/**
 * Extensions monovisor's SBI implementation serves (DESIGN §6); `probe_extension` answers 0 for
 * all others. Of the legacy calls only the console pair is served (early consoles still use it);
 * PMU, SUSP and CPPC are described for guests and tools but not served.
 */
export const MONOVISOR_SERVED_EXTENSIONS = [
  "LEGACY_CONSOLE_PUTCHAR",
  "LEGACY_CONSOLE_GETCHAR",
  "BASE",
  "TIME",
  "IPI",
  "RFENCE",
  "HSM",
  "SRST",
  "DBCN",
  "STA",
  "MONOVISOR",
] as const satisfies readonly (typeof SBI_EXTENSIONS)[number]["id"][];
