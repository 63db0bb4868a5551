/**
 * Bit numbers in `mip`/`mie` that the interrupt controllers drive (privileged spec 1.12, 3.1.9).
 * Passed as `mipBit` to {@link InterruptTarget.setPending}.
 */
export const MipBit = {
  /** Supervisor software interrupt; ACLINT SSWI sets it, software clears it through `sip`. */
  SSIP: 1,
  /** Machine software interrupt; follows the ACLINT MSWI `msip` register. */
  MSIP: 3,
  /** Supervisor timer interrupt (Sstc or SBI TIME; not driven by these controllers). */
  STIP: 5,
  /** Machine timer interrupt; ACLINT MTIMER, `mtime >= mtimecmp`. */
  MTIP: 7,
  /** Supervisor external interrupt; the hart's S-mode PLIC context. */
  SEIP: 9,
  /** Machine external interrupt; the hart's M-mode PLIC context. */
  MEIP: 11,
} as const;

export type MipBitNumber = (typeof MipBit)[keyof typeof MipBit];
