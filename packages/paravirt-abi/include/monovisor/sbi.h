/* SPDX-License-Identifier: MIT */
/*
 * monovisor paravirtual ABI: RISC-V SBI v2.0 and the monovisor vendor extension.
 * Generated from @monovisor/paravirt-abi (src/spec.ts) by
 * `pnpm --filter @monovisor/paravirt-abi gen`. Do not edit.
 */
#ifndef MONOVISOR_SBI_H
#define MONOVISOR_SBI_H

#ifdef __ASSEMBLER__
#define MONOVISOR_UL(x) x
#else
#define MONOVISOR_UL(x) x##UL
#endif

/* Version encoding (spec and vendor extension): major in bits 30:24, minor in bits 23:0. */
#define SBI_SPEC_VERSION_MAJOR_SHIFT                 24
#define SBI_SPEC_VERSION_MAJOR_MASK                  0x7f
#define SBI_SPEC_VERSION_MINOR_MASK                  0xffffff
#define SBI_SPEC_VERSION(major, minor)               ((((major) & SBI_SPEC_VERSION_MAJOR_MASK) << SBI_SPEC_VERSION_MAJOR_SHIFT) | ((minor) & SBI_SPEC_VERSION_MINOR_MASK))
#define MONOVISOR_SBI_SPEC_VERSION                   MONOVISOR_UL(0x02000000) /* SBI 2.0 */

/* Error codes (sbiret.error). */
#define SBI_SUCCESS                                  0 /* Completed successfully */
#define SBI_ERR_FAILED                               (-1) /* Failed */
#define SBI_ERR_NOT_SUPPORTED                        (-2) /* Not supported (also: unknown EID or FID) */
#define SBI_ERR_INVALID_PARAM                        (-3) /* Invalid parameter(s) */
#define SBI_ERR_DENIED                               (-4) /* Denied or not allowed */
#define SBI_ERR_INVALID_ADDRESS                      (-5) /* Invalid address(es) */
#define SBI_ERR_ALREADY_AVAILABLE                    (-6) /* Already available */
#define SBI_ERR_ALREADY_STARTED                      (-7) /* Already started */
#define SBI_ERR_ALREADY_STOPPED                      (-8) /* Already stopped */
#define SBI_ERR_NO_SHMEM                             (-9) /* Shared memory not available */

/* Reserved EID ranges. */
#define SBI_EXT_EXPERIMENTAL_START                   MONOVISOR_UL(0x08000000) /* Experimental extensions */
#define SBI_EXT_EXPERIMENTAL_END                     MONOVISOR_UL(0x08ffffff)
#define SBI_EXT_VENDOR_START                         MONOVISOR_UL(0x09000000) /* Vendor extensions; low 24 bits match mvendorid */
#define SBI_EXT_VENDOR_END                           MONOVISOR_UL(0x09ffffff)
#define SBI_EXT_FIRMWARE_START                       MONOVISOR_UL(0x0a000000) /* Firmware extensions; low 24 bits are the implementation ID */
#define SBI_EXT_FIRMWARE_END                         MONOVISOR_UL(0x0affffff)

/* XLEN-wide all-ones arguments. */
#define SBI_HART_MASK_BASE_ALL                       (MONOVISOR_UL(-1)) /* hart_mask_base selecting every hart (hart_mask ignored) */
#define SBI_SHMEM_DISABLE                            (MONOVISOR_UL(-1)) /* shmem_phys_lo/hi value that disables a shared-memory area */

/* Legacy Set Timer (EID 0x0), since SBI 0.1. */
#define SBI_EXT_0_1_SET_TIMER                        MONOVISOR_UL(0x0)

/* Legacy Console Putchar (EID 0x1), since SBI 0.1. */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR                  MONOVISOR_UL(0x1)

/* Legacy Console Getchar (EID 0x2), since SBI 0.1. */
#define SBI_EXT_0_1_CONSOLE_GETCHAR                  MONOVISOR_UL(0x2)

/* Legacy Clear IPI (EID 0x3), since SBI 0.1. */
#define SBI_EXT_0_1_CLEAR_IPI                        MONOVISOR_UL(0x3)

/* Legacy Send IPI (EID 0x4), since SBI 0.1. */
#define SBI_EXT_0_1_SEND_IPI                         MONOVISOR_UL(0x4)

/* Legacy Remote FENCE.I (EID 0x5), since SBI 0.1. */
#define SBI_EXT_0_1_REMOTE_FENCE_I                   MONOVISOR_UL(0x5)

/* Legacy Remote SFENCE.VMA (EID 0x6), since SBI 0.1. */
#define SBI_EXT_0_1_REMOTE_SFENCE_VMA                MONOVISOR_UL(0x6)

/* Legacy Remote SFENCE.VMA with ASID (EID 0x7), since SBI 0.1. */
#define SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID           MONOVISOR_UL(0x7)

/* Legacy System Shutdown (EID 0x8), since SBI 0.1. */
#define SBI_EXT_0_1_SHUTDOWN                         MONOVISOR_UL(0x8)

/* Base (EID 0x10), since SBI 0.2. */
#define SBI_EXT_BASE                                 MONOVISOR_UL(0x10)
#define SBI_EXT_BASE_GET_SPEC_VERSION                0
#define SBI_EXT_BASE_GET_IMPL_ID                     1
#define SBI_EXT_BASE_GET_IMPL_VERSION                2
#define SBI_EXT_BASE_PROBE_EXTENSION                 3
#define SBI_EXT_BASE_GET_MVENDORID                   4
#define SBI_EXT_BASE_GET_MARCHID                     5
#define SBI_EXT_BASE_GET_MIMPID                      6

/* Timer (EID 0x54494d45), since SBI 0.2. */
#define SBI_EXT_TIME                                 MONOVISOR_UL(0x54494d45)
#define SBI_EXT_TIME_SET_TIMER                       0

/* S-mode IPI (EID 0x735049), since SBI 0.2. */
#define SBI_EXT_IPI                                  MONOVISOR_UL(0x735049)
#define SBI_EXT_IPI_SEND_IPI                         0

/* Remote Fence (EID 0x52464e43), since SBI 0.2. */
#define SBI_EXT_RFENCE                               MONOVISOR_UL(0x52464e43)
#define SBI_EXT_RFENCE_REMOTE_FENCE_I                0
#define SBI_EXT_RFENCE_REMOTE_SFENCE_VMA             1
#define SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID        2
#define SBI_EXT_RFENCE_REMOTE_HFENCE_GVMA_VMID       3
#define SBI_EXT_RFENCE_REMOTE_HFENCE_GVMA            4
#define SBI_EXT_RFENCE_REMOTE_HFENCE_VVMA_ASID       5
#define SBI_EXT_RFENCE_REMOTE_HFENCE_VVMA            6

/* Hart State Management (EID 0x48534d), since SBI 0.2. */
#define SBI_EXT_HSM                                  MONOVISOR_UL(0x48534d)
#define SBI_EXT_HSM_HART_START                       0
#define SBI_EXT_HSM_HART_STOP                        1
#define SBI_EXT_HSM_HART_GET_STATUS                  2
#define SBI_EXT_HSM_HART_SUSPEND                     3

/* System Reset (EID 0x53525354), since SBI 0.3. */
#define SBI_EXT_SRST                                 MONOVISOR_UL(0x53525354)
#define SBI_EXT_SRST_SYSTEM_RESET                    0

/* Performance Monitoring Unit (EID 0x504d55), since SBI 0.3. */
#define SBI_EXT_PMU                                  MONOVISOR_UL(0x504d55)
#define SBI_EXT_PMU_NUM_COUNTERS                     0
#define SBI_EXT_PMU_COUNTER_GET_INFO                 1
#define SBI_EXT_PMU_COUNTER_CONFIG_MATCHING          2
#define SBI_EXT_PMU_COUNTER_START                    3
#define SBI_EXT_PMU_COUNTER_STOP                     4
#define SBI_EXT_PMU_COUNTER_FW_READ                  5
#define SBI_EXT_PMU_COUNTER_FW_READ_HI               6
#define SBI_EXT_PMU_SNAPSHOT_SET_SHMEM               7

/* Debug Console (EID 0x4442434e), since SBI 2.0. */
#define SBI_EXT_DBCN                                 MONOVISOR_UL(0x4442434e)
#define SBI_EXT_DBCN_CONSOLE_WRITE                   0
#define SBI_EXT_DBCN_CONSOLE_READ                    1
#define SBI_EXT_DBCN_CONSOLE_WRITE_BYTE              2

/* System Suspend (EID 0x53555350), since SBI 2.0. */
#define SBI_EXT_SUSP                                 MONOVISOR_UL(0x53555350)
#define SBI_EXT_SUSP_SYSTEM_SUSPEND                  0

/* Collaborative Processor Performance Control (EID 0x43505043), since SBI 2.0. */
#define SBI_EXT_CPPC                                 MONOVISOR_UL(0x43505043)
#define SBI_EXT_CPPC_PROBE                           0
#define SBI_EXT_CPPC_READ                            1
#define SBI_EXT_CPPC_READ_HI                         2
#define SBI_EXT_CPPC_WRITE                           3

/* Steal-time Accounting (EID 0x535441), since SBI 2.0. */
#define SBI_EXT_STA                                  MONOVISOR_UL(0x535441)
#define SBI_EXT_STA_STEAL_TIME_SET_SHMEM             0

/* monovisor vendor extension (EID 0x09000000), since vendor extension version 1.0. */
#define SBI_EXT_MONOVISOR                            MONOVISOR_UL(0x09000000)
#define SBI_EXT_MONOVISOR_GET_SIGNATURE              0
#define SBI_EXT_MONOVISOR_GET_VERSION                1
#define SBI_EXT_MONOVISOR_PROBE_FUNCTION             2
#define SBI_EXT_MONOVISOR_TRACE_MARK                 3

/* monovisor vendor extension identification and version. */
#define MONOVISOR_SIGNATURE                          MONOVISOR_UL(0x4d4f4e56) /* "MONV" */
#define MONOVISOR_VENDOR_VERSION                     MONOVISOR_UL(0x01000000) /* 1.0 */

/* SBI implementation IDs (BASE get_impl_id). */
#define SBI_IMPL_ID_BBL                              MONOVISOR_UL(0x0) /* Berkeley Boot Loader */
#define SBI_IMPL_ID_OPENSBI                          MONOVISOR_UL(0x1) /* OpenSBI */
#define SBI_IMPL_ID_XVISOR                           MONOVISOR_UL(0x2) /* Xvisor */
#define SBI_IMPL_ID_KVM                              MONOVISOR_UL(0x3) /* KVM */
#define SBI_IMPL_ID_RUSTSBI                          MONOVISOR_UL(0x4) /* RustSBI */
#define SBI_IMPL_ID_DIOSIX                           MONOVISOR_UL(0x5) /* Diosix */
#define SBI_IMPL_ID_COFFER                           MONOVISOR_UL(0x6) /* Coffer */
#define SBI_IMPL_ID_XEN                              MONOVISOR_UL(0x7) /* Xen Project */
#define SBI_IMPL_ID_POLARFIRE_HSS                    MONOVISOR_UL(0x8) /* PolarFire Hart Software Services */
#define SBI_IMPL_ID_COREBOOT                         MONOVISOR_UL(0x9) /* coreboot */
#define SBI_IMPL_ID_OREBOOT                          MONOVISOR_UL(0xa) /* oreboot */
#define SBI_IMPL_ID_BHYVE                            MONOVISOR_UL(0xb) /* bhyve */
#define SBI_IMPL_ID_MONOVISOR                        MONOVISOR_UL(0x4d4f4e56) /* monovisor (unregistered) */

/* HSM hart states (hart_get_status). */
#define SBI_HSM_STATE_STARTED                        MONOVISOR_UL(0x0) /* Running */
#define SBI_HSM_STATE_STOPPED                        MONOVISOR_UL(0x1) /* Not executing */
#define SBI_HSM_STATE_START_PENDING                  MONOVISOR_UL(0x2) /* hart_start accepted, not yet running */
#define SBI_HSM_STATE_STOP_PENDING                   MONOVISOR_UL(0x3) /* hart_stop accepted, not yet stopped */
#define SBI_HSM_STATE_SUSPENDED                      MONOVISOR_UL(0x4) /* In a suspend state */
#define SBI_HSM_STATE_SUSPEND_PENDING                MONOVISOR_UL(0x5) /* hart_suspend accepted, not yet suspended */
#define SBI_HSM_STATE_RESUME_PENDING                 MONOVISOR_UL(0x6) /* Woken up, not yet running */

/* HSM suspend types (hart_suspend). */
#define SBI_HSM_SUSPEND_RETENTIVE                    MONOVISOR_UL(0x0) /* Default retentive: returns to the caller */
#define SBI_HSM_SUSPEND_NON_RETENTIVE                MONOVISOR_UL(0x80000000) /* Default non-retentive: resumes at resume_addr */

/* SRST reset types (system_reset). */
#define SBI_SRST_TYPE_SHUTDOWN                       MONOVISOR_UL(0x0) /* Power off */
#define SBI_SRST_TYPE_COLD_REBOOT                    MONOVISOR_UL(0x1) /* Power cycle */
#define SBI_SRST_TYPE_WARM_REBOOT                    MONOVISOR_UL(0x2) /* Reset without a power cycle */

/* SRST reset reasons (system_reset). */
#define SBI_SRST_REASON_NO_REASON                    MONOVISOR_UL(0x0) /* No reason given */
#define SBI_SRST_REASON_SYSTEM_FAILURE               MONOVISOR_UL(0x1) /* System failure */

/* SUSP sleep types (system_suspend). */
#define SBI_SUSP_SLEEP_TYPE_SUSPEND_TO_RAM           MONOVISOR_UL(0x0) /* Suspend to RAM; implied by the extension */

/* STA steal-time record layout (little-endian, 64-byte aligned). */
#define SBI_STA_SHMEM_SEQUENCE_OFFSET                MONOVISOR_UL(0x0) /* u32; odd while the hypervisor updates `steal` */
#define SBI_STA_SHMEM_FLAGS_OFFSET                   MONOVISOR_UL(0x4) /* u32; always 0 */
#define SBI_STA_SHMEM_STEAL_OFFSET                   MONOVISOR_UL(0x8) /* u64; stolen time in nanoseconds */
#define SBI_STA_SHMEM_PREEMPTED_OFFSET               MONOVISOR_UL(0x10) /* u8; non-zero while the hart is preempted */
#define SBI_STA_SHMEM_SIZE                           MONOVISOR_UL(0x40) /* Record size and required alignment in bytes */

#ifndef __ASSEMBLER__

#if defined(__riscv) && __riscv_xlen != 64
#error "monovisor/sbi.h wrappers assume RV64 (LP64)"
#endif

struct sbiret {
	long error;
	long value;
};

/* SBI v0.2+ calling convention: EID in a7, FID in a6, arguments in a0-a5, result in a0/a1. */
static inline struct sbiret sbi_ecall(unsigned long eid, unsigned long fid, unsigned long arg0,
				       unsigned long arg1, unsigned long arg2, unsigned long arg3,
				       unsigned long arg4, unsigned long arg5)
{
	register unsigned long a0 __asm__("a0") = arg0;
	register unsigned long a1 __asm__("a1") = arg1;
	register unsigned long a2 __asm__("a2") = arg2;
	register unsigned long a3 __asm__("a3") = arg3;
	register unsigned long a4 __asm__("a4") = arg4;
	register unsigned long a5 __asm__("a5") = arg5;
	register unsigned long a6 __asm__("a6") = fid;
	register unsigned long a7 __asm__("a7") = eid;
	struct sbiret ret;

	__asm__ __volatile__("ecall"
			     : "+r"(a0), "+r"(a1)
			     : "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a6), "r"(a7)
			     : "memory");
	ret.error = (long)a0;
	ret.value = (long)a1;
	return ret;
}

/* SBI v0.1 calling convention: EID in a7, arguments in a0-a3, result in a0 only. */
static inline long sbi_legacy_ecall(unsigned long eid, unsigned long arg0, unsigned long arg1,
				    unsigned long arg2, unsigned long arg3)
{
	register unsigned long a0 __asm__("a0") = arg0;
	register unsigned long a1 __asm__("a1") = arg1;
	register unsigned long a2 __asm__("a2") = arg2;
	register unsigned long a3 __asm__("a3") = arg3;
	register unsigned long a7 __asm__("a7") = eid;

	__asm__ __volatile__("ecall"
			     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)
			     : "r"(a7)
			     : "memory");
	return (long)a0;
}

/* Programs the next timer event; clears the pending timer interrupt. Result: 0. */
static inline long sbi_legacy_set_timer(unsigned long stime_value)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_SET_TIMER, (unsigned long)stime_value, 0, 0, 0);
}

/* Writes one byte to the debug console. Result: 0 on success, negative on failure. */
static inline long sbi_legacy_console_putchar(int ch)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_CONSOLE_PUTCHAR, (unsigned long)ch, 0, 0, 0);
}

/* Reads one byte from the debug console. Result: the byte read, or -1 when none is pending. */
static inline long sbi_legacy_console_getchar(void)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0);
}

/* Clears a pending supervisor IPI. Result: 0. */
static inline long sbi_legacy_clear_ipi(void)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_CLEAR_IPI, 0, 0, 0, 0);
}

/* Sends a supervisor software interrupt to the harts in the mask (in memory). Result: 0. */
static inline long sbi_legacy_send_ipi(const unsigned long *hart_mask)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_SEND_IPI, (unsigned long)hart_mask, 0, 0, 0);
}

/* Runs FENCE.I on the harts in the mask. Result: 0. */
static inline long sbi_legacy_remote_fence_i(const unsigned long *hart_mask)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_REMOTE_FENCE_I, (unsigned long)hart_mask, 0, 0, 0);
}

/* Runs SFENCE.VMA over the range on the harts in the mask. Result: 0. */
static inline long sbi_legacy_remote_sfence_vma(const unsigned long *hart_mask, unsigned long start, unsigned long size)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_REMOTE_SFENCE_VMA, (unsigned long)hart_mask, (unsigned long)start, (unsigned long)size, 0);
}

/* Runs SFENCE.VMA over the range for one ASID on the harts in the mask. Result: 0. */
static inline long sbi_legacy_remote_sfence_vma_asid(const unsigned long *hart_mask, unsigned long start, unsigned long size, unsigned long asid)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID, (unsigned long)hart_mask, (unsigned long)start, (unsigned long)size, (unsigned long)asid);
}

/* Powers the system off. Result: does not return. */
static inline long sbi_legacy_shutdown(void)
{
	return sbi_legacy_ecall(SBI_EXT_0_1_SHUTDOWN, 0, 0, 0, 0);
}

/* Returns the implemented SBI specification version. Value: spec version, major in bits 30:24, minor in bits 23:0. */
static inline struct sbiret sbi_get_spec_version(void)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0, 0);
}

/* Identifies the SBI implementation, so software can work around its quirks. Value: implementation ID. */
static inline struct sbiret sbi_get_impl_id(void)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_IMPL_ID, 0, 0, 0, 0, 0, 0);
}

/* Returns the version of the SBI implementation. Value: implementation-specific version. */
static inline struct sbiret sbi_get_impl_version(void)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_IMPL_VERSION, 0, 0, 0, 0, 0, 0);
}

/* Tells whether an extension is available. Value: 0 when absent, 1 (or an extension-specific non-zero value) when present. */
static inline struct sbiret sbi_probe_extension(long extension_id)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_PROBE_EXTENSION, (unsigned long)extension_id, 0, 0, 0, 0, 0);
}

/* Returns the machine vendor ID. Value: a legal mvendorid value. */
static inline struct sbiret sbi_get_mvendorid(void)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_MVENDORID, 0, 0, 0, 0, 0, 0);
}

/* Returns the machine architecture ID. Value: a legal marchid value. */
static inline struct sbiret sbi_get_marchid(void)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_MARCHID, 0, 0, 0, 0, 0, 0);
}

/* Returns the machine implementation ID. Value: a legal mimpid value. */
static inline struct sbiret sbi_get_mimpid(void)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_MIMPID, 0, 0, 0, 0, 0, 0);
}

/* Programs the next timer event (absolute time); clears the pending timer interrupt. Value: 0. */
static inline struct sbiret sbi_set_timer(unsigned long stime_value)
{
	return sbi_ecall(SBI_EXT_TIME, SBI_EXT_TIME_SET_TIMER, (unsigned long)stime_value, 0, 0, 0, 0, 0);
}

/* Raises a supervisor software interrupt on the harts in the mask. Value: 0. */
static inline struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_IPI, SBI_EXT_IPI_SEND_IPI, (unsigned long)hart_mask, (unsigned long)hart_mask_base, 0, 0, 0, 0);
}

/* Runs FENCE.I on the harts in the mask. Value: 0. */
static inline struct sbiret sbi_remote_fence_i(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_EXT_RFENCE_REMOTE_FENCE_I, (unsigned long)hart_mask, (unsigned long)hart_mask_base, 0, 0, 0, 0);
}

/* Runs SFENCE.VMA over the range on the harts in the mask. Value: 0. */
static inline struct sbiret sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base, unsigned long start_addr, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_EXT_RFENCE_REMOTE_SFENCE_VMA, (unsigned long)hart_mask, (unsigned long)hart_mask_base, (unsigned long)start_addr, (unsigned long)size, 0, 0);
}

/* Runs SFENCE.VMA over the range for one ASID on the harts in the mask. Value: 0. */
static inline struct sbiret sbi_remote_sfence_vma_asid(unsigned long hart_mask, unsigned long hart_mask_base, unsigned long start_addr, unsigned long size, unsigned long asid)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID, (unsigned long)hart_mask, (unsigned long)hart_mask_base, (unsigned long)start_addr, (unsigned long)size, (unsigned long)asid, 0);
}

/* Runs HFENCE.GVMA over the guest-physical range for one VMID. Value: 0. */
static inline struct sbiret sbi_remote_hfence_gvma_vmid(unsigned long hart_mask, unsigned long hart_mask_base, unsigned long start_addr, unsigned long size, unsigned long vmid)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_EXT_RFENCE_REMOTE_HFENCE_GVMA_VMID, (unsigned long)hart_mask, (unsigned long)hart_mask_base, (unsigned long)start_addr, (unsigned long)size, (unsigned long)vmid, 0);
}

/* Runs HFENCE.GVMA over the guest-physical range for all VMIDs. Value: 0. */
static inline struct sbiret sbi_remote_hfence_gvma(unsigned long hart_mask, unsigned long hart_mask_base, unsigned long start_addr, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_EXT_RFENCE_REMOTE_HFENCE_GVMA, (unsigned long)hart_mask, (unsigned long)hart_mask_base, (unsigned long)start_addr, (unsigned long)size, 0, 0);
}

/* Runs HFENCE.VVMA over the guest-virtual range for one ASID. Value: 0. */
static inline struct sbiret sbi_remote_hfence_vvma_asid(unsigned long hart_mask, unsigned long hart_mask_base, unsigned long start_addr, unsigned long size, unsigned long asid)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_EXT_RFENCE_REMOTE_HFENCE_VVMA_ASID, (unsigned long)hart_mask, (unsigned long)hart_mask_base, (unsigned long)start_addr, (unsigned long)size, (unsigned long)asid, 0);
}

/* Runs HFENCE.VVMA over the guest-virtual range for all ASIDs. Value: 0. */
static inline struct sbiret sbi_remote_hfence_vvma(unsigned long hart_mask, unsigned long hart_mask_base, unsigned long start_addr, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_EXT_RFENCE_REMOTE_HFENCE_VVMA, (unsigned long)hart_mask, (unsigned long)hart_mask_base, (unsigned long)start_addr, (unsigned long)size, 0, 0);
}

/* Starts a stopped hart in S-mode at start_addr with a0 = hartid, a1 = opaque. Value: 0. */
static inline struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_EXT_HSM_HART_START, (unsigned long)hartid, (unsigned long)start_addr, (unsigned long)opaque, 0, 0, 0);
}

/* Stops the calling hart. Value: does not return on success. */
static inline struct sbiret sbi_hart_stop(void)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_EXT_HSM_HART_STOP, 0, 0, 0, 0, 0, 0);
}

/* Returns the HSM state of a hart. Value: the hart's HSM state. */
static inline struct sbiret sbi_hart_get_status(unsigned long hartid)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_EXT_HSM_HART_GET_STATUS, (unsigned long)hartid, 0, 0, 0, 0, 0);
}

/* Suspends the calling hart until an interrupt. Value: 0 (retentive suspend returns; non-retentive resumes at resume_addr). */
static inline struct sbiret sbi_hart_suspend(unsigned int suspend_type, unsigned long resume_addr, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_EXT_HSM_HART_SUSPEND, (unsigned long)suspend_type, (unsigned long)resume_addr, (unsigned long)opaque, 0, 0, 0);
}

/* Shuts down or reboots the system. Value: does not return on success. */
static inline struct sbiret sbi_system_reset(unsigned int reset_type, unsigned int reset_reason)
{
	return sbi_ecall(SBI_EXT_SRST, SBI_EXT_SRST_SYSTEM_RESET, (unsigned long)reset_type, (unsigned long)reset_reason, 0, 0, 0, 0);
}

/* Counts the PMU counters. Value: number of counters (hardware and firmware). */
static inline struct sbiret sbi_pmu_num_counters(void)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_NUM_COUNTERS, 0, 0, 0, 0, 0, 0);
}

/* Describes one counter. Value: counter info (CSR number, width, type). */
static inline struct sbiret sbi_pmu_counter_get_info(unsigned long counter_idx)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_GET_INFO, (unsigned long)counter_idx, 0, 0, 0, 0, 0);
}

/* Finds and configures a counter for an event. Value: the counter index chosen. */
static inline struct sbiret sbi_pmu_counter_config_matching(unsigned long counter_idx_base, unsigned long counter_idx_mask, unsigned long config_flags, unsigned long event_idx, unsigned long event_data)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_CONFIG_MATCHING, (unsigned long)counter_idx_base, (unsigned long)counter_idx_mask, (unsigned long)config_flags, (unsigned long)event_idx, (unsigned long)event_data, 0);
}

/* Starts a set of counters. Value: 0. */
static inline struct sbiret sbi_pmu_counter_start(unsigned long counter_idx_base, unsigned long counter_idx_mask, unsigned long start_flags, unsigned long initial_value)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_START, (unsigned long)counter_idx_base, (unsigned long)counter_idx_mask, (unsigned long)start_flags, (unsigned long)initial_value, 0, 0);
}

/* Stops a set of counters. Value: 0. */
static inline struct sbiret sbi_pmu_counter_stop(unsigned long counter_idx_base, unsigned long counter_idx_mask, unsigned long stop_flags)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_STOP, (unsigned long)counter_idx_base, (unsigned long)counter_idx_mask, (unsigned long)stop_flags, 0, 0, 0);
}

/* Reads a firmware counter. Value: the firmware counter's value. */
static inline struct sbiret sbi_pmu_counter_fw_read(unsigned long counter_idx)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_FW_READ, (unsigned long)counter_idx, 0, 0, 0, 0, 0);
}

/* Reads the upper half of a firmware counter. Value: upper 32 bits of the firmware counter (0 on RV64). */
static inline struct sbiret sbi_pmu_counter_fw_read_hi(unsigned long counter_idx)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_FW_READ_HI, (unsigned long)counter_idx, 0, 0, 0, 0, 0);
}

/* Sets the shared memory for counter snapshots. Value: 0. */
static inline struct sbiret sbi_pmu_snapshot_set_shmem(unsigned long shmem_phys_lo, unsigned long shmem_phys_hi, unsigned long flags)
{
	return sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_SNAPSHOT_SET_SHMEM, (unsigned long)shmem_phys_lo, (unsigned long)shmem_phys_hi, (unsigned long)flags, 0, 0, 0);
}

/* Writes bytes from guest memory to the debug console. Value: number of bytes written. */
static inline struct sbiret sbi_debug_console_write(unsigned long num_bytes, unsigned long base_addr_lo, unsigned long base_addr_hi)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_EXT_DBCN_CONSOLE_WRITE, (unsigned long)num_bytes, (unsigned long)base_addr_lo, (unsigned long)base_addr_hi, 0, 0, 0);
}

/* Reads bytes from the debug console into guest memory, without blocking. Value: number of bytes read. */
static inline struct sbiret sbi_debug_console_read(unsigned long num_bytes, unsigned long base_addr_lo, unsigned long base_addr_hi)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_EXT_DBCN_CONSOLE_READ, (unsigned long)num_bytes, (unsigned long)base_addr_lo, (unsigned long)base_addr_hi, 0, 0, 0);
}

/* Writes one byte to the debug console. Value: 0. */
static inline struct sbiret sbi_debug_console_write_byte(unsigned char byte)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_EXT_DBCN_CONSOLE_WRITE_BYTE, (unsigned long)byte, 0, 0, 0, 0, 0);
}

/* Suspends the system; all other harts must be stopped. Value: returns only on error; resumes at resume_addr. */
static inline struct sbiret sbi_system_suspend(unsigned int sleep_type, unsigned long resume_addr, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_SUSP, SBI_EXT_SUSP_SYSTEM_SUSPEND, (unsigned long)sleep_type, (unsigned long)resume_addr, (unsigned long)opaque, 0, 0, 0);
}

/* Tells whether a CPPC register is implemented. Value: register width in bits, 0 when not implemented. */
static inline struct sbiret sbi_cppc_probe(unsigned int cppc_reg_id)
{
	return sbi_ecall(SBI_EXT_CPPC, SBI_EXT_CPPC_PROBE, (unsigned long)cppc_reg_id, 0, 0, 0, 0, 0);
}

/* Reads a CPPC register. Value: register value. */
static inline struct sbiret sbi_cppc_read(unsigned int cppc_reg_id)
{
	return sbi_ecall(SBI_EXT_CPPC, SBI_EXT_CPPC_READ, (unsigned long)cppc_reg_id, 0, 0, 0, 0, 0);
}

/* Reads the upper half of a CPPC register. Value: upper 32 bits of the register (0 on RV64). */
static inline struct sbiret sbi_cppc_read_hi(unsigned int cppc_reg_id)
{
	return sbi_ecall(SBI_EXT_CPPC, SBI_EXT_CPPC_READ_HI, (unsigned long)cppc_reg_id, 0, 0, 0, 0, 0);
}

/* Writes a CPPC register. Value: 0. */
static inline struct sbiret sbi_cppc_write(unsigned int cppc_reg_id, unsigned long val)
{
	return sbi_ecall(SBI_EXT_CPPC, SBI_EXT_CPPC_WRITE, (unsigned long)cppc_reg_id, (unsigned long)val, 0, 0, 0, 0);
}

/* Sets (or, with all-ones, clears) the calling hart's 64-byte steal-time record. Value: 0. */
static inline struct sbiret sbi_steal_time_set_shmem(unsigned long shmem_phys_lo, unsigned long shmem_phys_hi, unsigned long flags)
{
	return sbi_ecall(SBI_EXT_STA, SBI_EXT_STA_STEAL_TIME_SET_SHMEM, (unsigned long)shmem_phys_lo, (unsigned long)shmem_phys_hi, (unsigned long)flags, 0, 0, 0);
}

/* Proves the vendor EID belongs to monovisor; check it before any other call. Value: MONOVISOR_SIGNATURE (0x4d4f4e56, "MONV"). */
static inline struct sbiret sbi_monovisor_get_signature(void)
{
	return sbi_ecall(SBI_EXT_MONOVISOR, SBI_EXT_MONOVISOR_GET_SIGNATURE, 0, 0, 0, 0, 0, 0);
}

/* Returns the vendor extension version the hypervisor implements. Value: vendor extension version, encoded like the spec version. */
static inline struct sbiret sbi_monovisor_get_version(void)
{
	return sbi_ecall(SBI_EXT_MONOVISOR, SBI_EXT_MONOVISOR_GET_VERSION, 0, 0, 0, 0, 0, 0);
}

/* Tells whether one vendor function is available. Value: 1 when the function is implemented, 0 otherwise. */
static inline struct sbiret sbi_monovisor_probe_function(unsigned long fid)
{
	return sbi_ecall(SBI_EXT_MONOVISOR, SBI_EXT_MONOVISOR_PROBE_FUNCTION, (unsigned long)fid, 0, 0, 0, 0, 0);
}

/* Records a guest marker in the hypervisor's trace; a no-op while tracing is off. Value: 0. */
static inline struct sbiret sbi_monovisor_trace_mark(unsigned long tag, unsigned long value)
{
	return sbi_ecall(SBI_EXT_MONOVISOR, SBI_EXT_MONOVISOR_TRACE_MARK, (unsigned long)tag, (unsigned long)value, 0, 0, 0, 0);
}

#endif /* __ASSEMBLER__ */

#endif /* MONOVISOR_SBI_H */
