import {
  MSTATUS_MXR,
  MSTATUS_SUM,
  PTE_R,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
  SATP_MODE_BARE,
  SATP_MODE_SV39,
} from "../hart/constants.js";
import { CSR_SATP } from "../hart/csr-numbers.js";
import type { Hart } from "../hart/hart.js";

const TWO32 = 4294967296;

/**
 * Reads the aligned doubleword at S-mode virtual address `(vaLo, vaHi)` into `out[0]` (low word)
 * and `out[1]` (high word), as an S-mode load would see it. Returns false where that load would
 * fault. Unlike the hart's own path it neither raises a trap nor sets accessed bits: a fault must
 * become an SBI error, because an `ecall` handler cannot redirect the calling hart.
 */
export function readSupervisorDoubleword(hart: Hart, vaLo: number, vaHi: number, out: Int32Array): boolean {
  if ((vaLo & 7) !== 0) return false;
  const pa = translateSupervisorLoad(hart, vaLo, vaHi);
  const mem = hart.mem;
  if (pa < 0 || !mem.containsRam(pa, 8)) return false;
  const q = (mem.ramOffset + (pa - mem.ramBase)) >>> 2;
  out[0] = mem.i32[q];
  out[1] = mem.i32[q + 1];
  return true;
}

/** Physical address of an S-mode load from `(vaLo, vaHi)`, or -1 where it would fault. */
function translateSupervisorLoad(hart: Hart, vaLo: number, vaHi: number): number {
  const satpLo = hart.csrLoArr[CSR_SATP];
  const satpHi = hart.csrHiArr[CSR_SATP];
  const mode = satpHi >>> 28;
  if (mode === SATP_MODE_BARE) return (vaHi >>> 0) * TWO32 + (vaLo >>> 0);
  const levels = mode === SATP_MODE_SV39 ? 3 : 4;
  // Virtual addresses must be sign-extended from bit 38 (Sv39) or 47 (Sv48).
  const top = mode === SATP_MODE_SV39 ? vaHi >> 6 : vaHi >> 15;
  if (top !== 0 && top !== -1) return -1;
  const mem = hart.mem;
  const mstatus = hart.mstatus;
  let table = ((satpLo >>> 0) + (satpHi & 0xfff) * TWO32) * 4096;
  for (let level = levels - 1; level >= 0; level--) {
    const vpn = vpnAt(level, vaLo, vaHi);
    const pteAddr = table + vpn * 8;
    if (!mem.containsRam(pteAddr, 8)) return -1;
    const q = (mem.ramOffset + (pteAddr - mem.ramBase)) >>> 2;
    const pte = mem.i32[q];
    const pteHi = mem.i32[q + 1];
    if ((pte & PTE_V) === 0 || ((pte & PTE_R) === 0 && (pte & PTE_W) !== 0)) return -1;
    const ppn = (pte >>> 10) + (pteHi & 0x3fffff) * 4194304;
    if ((pte & (PTE_R | PTE_X)) === 0) {
      table = ppn * 4096;
      continue;
    }
    if ((pte & PTE_U) !== 0 && (mstatus & MSTATUS_SUM) === 0) return -1;
    const readable = (pte & PTE_R) !== 0 || ((mstatus & MSTATUS_MXR) !== 0 && (pte & PTE_X) !== 0);
    if (!readable) return -1;
    const superBits = 9 * level;
    if (superBits > 0 && ppn % 2 ** superBits !== 0) return -1;
    const offsetBits = 12 + superBits;
    const offset =
      offsetBits <= 30 ? (vaLo & ((1 << offsetBits) - 1)) >>> 0 : (vaLo >>> 0) + (vaHi & 0x7f) * TWO32;
    return (ppn - (ppn % 2 ** superBits)) * 4096 + offset;
  }
  return -1;
}

function vpnAt(level: number, vaLo: number, vaHi: number): number {
  switch (level) {
    case 0:
      return (vaLo >>> 12) & 0x1ff;
    case 1:
      return (vaLo >>> 21) & 0x1ff;
    case 2:
      return ((vaLo >>> 30) | (vaHi << 2)) & 0x1ff;
    default:
      return (vaHi >>> 7) & 0x1ff;
  }
}
