import { MENVCFG_HI_STCE, PRIV_S, S_INTERRUPTS } from "../hart/constants.js";
import {
  CSR_MCOUNTEREN,
  CSR_MEDELEG,
  CSR_MENVCFG,
  CSR_MIDELEG,
  CSR_SCOUNTEREN,
} from "../hart/csr-numbers.js";
import type { Hart } from "../hart/hart.js";

/** `mcounteren`: CY, TM and IR, so S-mode reads `cycle`, `time` and `instret` without trapping. */
const COUNTERS_CY_TM_IR = 0b111;
/** Every exception the hart lets M-mode delegate (the CSR keeps only its writable bits). */
const DELEGATE_ALL_EXCEPTIONS = 0xffff;

export interface SupervisorEntryOptions {
  /** Sets `menvcfg.STCE`: S-mode owns `stimecmp` (Sstc) instead of calling SBI `set_timer`. */
  readonly sstc?: boolean;
}

/**
 * Puts a hart where the hypervisor boot flow starts S-mode code (DESIGN §1), for the boot hart and
 * for HSM `hart_start` alike: reset state, S-mode at `(pcLo, pcHi)`, a0/a1 from raw register
 * words, `satp` = 0 and `sstatus.SIE` = 0 (both by reset). With no M-mode firmware in this flow,
 * every trap and S-level interrupt is delegated to S-mode; S-mode `ecall`s reach the SBI server.
 */
export function enterSupervisorWords(
  hart: Hart,
  pcLo: number,
  pcHi: number,
  a0Lo: number,
  a0Hi: number,
  a1Lo: number,
  a1Hi: number,
  options: SupervisorEntryOptions = {},
): void {
  hart.reset(pcLo, pcHi);
  hart.csrWrite(CSR_MEDELEG, DELEGATE_ALL_EXCEPTIONS, 0);
  hart.csrWrite(CSR_MIDELEG, S_INTERRUPTS, 0);
  hart.csrWrite(CSR_MCOUNTEREN, COUNTERS_CY_TM_IR, 0);
  // Firmware would open the counters to U-mode too; Linux itself never writes scounteren.
  hart.csrWrite(CSR_SCOUNTEREN, COUNTERS_CY_TM_IR, 0);
  if (options.sstc === true) hart.csrWrite(CSR_MENVCFG, 0, MENVCFG_HI_STCE);
  hart.setPriv(PRIV_S);
  const x = hart.x;
  x[20] = a0Lo;
  x[21] = a0Hi;
  x[22] = a1Lo;
  x[23] = a1Hi;
}

/**
 * {@link enterSupervisorWords} with 64-bit values.
 *
 * @example
 * enterSupervisor(hart, 0x8020_0000, hart.hartId, dtbAddress); // a0 = hartid, a1 = dtb
 */
export function enterSupervisor(
  hart: Hart,
  entry: number | bigint,
  a0: number | bigint,
  a1: number | bigint,
  options: SupervisorEntryOptions = {},
): void {
  const [pcLo, pcHi] = words(entry);
  const [a0Lo, a0Hi] = words(a0);
  const [a1Lo, a1Hi] = words(a1);
  enterSupervisorWords(hart, pcLo, pcHi, a0Lo, a0Hi, a1Lo, a1Hi, options);
}

function words(value: number | bigint): [lo: number, hi: number] {
  const v = BigInt.asUintN(64, BigInt(value));
  return [Number(v & 0xffff_ffffn) | 0, Number(v >> 32n) | 0];
}
