import {
  CAUSE_FETCH_ACCESS,
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_MISALIGNED_FETCH,
  causeName,
  PRIV_M,
  PRIV_S,
} from "./constants.js";
import { CSR_MTVEC, CSR_SATP, CSR_STVEC } from "./csr-numbers.js";
import type { Hart } from "./hart.js";

const TWO32 = 4294967296;

/**
 * Why a trap the hart just took can never be handled (it would loop forever), or undefined when it
 * can: a vector outside RAM while addresses are physical, a vector that itself cannot be fetched,
 * or, with `mTrapsFatal` (no M-mode firmware), any exception that reaches M-mode. Call from a
 * `Hart.onTrap` hook; the message names the hart, the cause, the pc and the mode.
 */
export function fatalTrapMessage(
  hart: Hart,
  cause: number,
  interrupt: boolean,
  mTrapsFatal: boolean,
): string | undefined {
  if (interrupt) return undefined;
  const lo = hart.csrLoArr;
  const hi = hart.csrHiArr;
  const toS = hart.priv !== PRIV_M && ((hart.medeleg >>> cause) & 1) === 1;
  const tvec = toS ? lo[CSR_STVEC] : lo[CSR_MTVEC];
  const tvecHi = toS ? hi[CSR_STVEC] : hi[CSR_MTVEC];
  const base = (tvecHi >>> 0) * TWO32 + ((tvec & -4) >>> 0);
  // S-mode vectors are virtual once paging is on (Linux even relies on a first fault there).
  const physical = !toS || hi[CSR_SATP] >>> 28 === 0;
  const pc = hart.pc;
  const fetchFault =
    cause === CAUSE_FETCH_ACCESS || cause === CAUSE_FETCH_PAGE_FAULT || cause === CAUSE_MISALIGNED_FETCH;
  const why =
    !toS && mTrapsFatal
      ? "trap to M-mode, which no firmware handles in the hypervisor flow"
      : physical && !hart.mem.containsRam(base, 4)
        ? `no trap handler (${toS ? "stvec" : "mtvec"} = ${hex(base)})`
        : fetchFault && pc === base
          ? "the trap vector itself cannot be fetched"
          : undefined;
  if (why === undefined) return undefined;
  const mode = hart.priv === PRIV_M ? "M" : hart.priv === PRIV_S ? "S" : "U";
  return `hart ${hart.hartId}: ${causeName(cause)} at pc ${hex(pc)} (${mode}-mode): ${why}`;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
