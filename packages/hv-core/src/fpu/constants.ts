/** Exception flag bits, as in the `fflags` CSR. */
export const FLAG_NV = 16;
/** Divide by zero. */
export const FLAG_DZ = 8;
/** Overflow. */
export const FLAG_OF = 4;
/** Underflow (tiny after rounding and inexact). */
export const FLAG_UF = 2;
/** Inexact. */
export const FLAG_NX = 1;

/** Rounding modes as encoded in `frm` / the instruction `rm` field (`dyn` is resolved by the caller). */
export const RM_RNE = 0;
/** Round toward zero. */
export const RM_RTZ = 1;
/** Round down (toward -infinity). */
export const RM_RDN = 2;
/** Round up (toward +infinity). */
export const RM_RUP = 3;
/** Round to nearest, ties to max magnitude. */
export const RM_RMM = 4;

/** Canonical binary32 NaN. */
export const CANONICAL_NAN_S = 0x7fc00000;
/** High word of the canonical binary64 NaN (the low word is 0). */
export const CANONICAL_NAN_D_HI = 0x7ff80000;

/** `fclass` result bits. */
export const CLASS_NEG_INF = 1 << 0;
export const CLASS_NEG_NORMAL = 1 << 1;
export const CLASS_NEG_SUBNORMAL = 1 << 2;
export const CLASS_NEG_ZERO = 1 << 3;
export const CLASS_POS_ZERO = 1 << 4;
export const CLASS_POS_SUBNORMAL = 1 << 5;
export const CLASS_POS_NORMAL = 1 << 6;
export const CLASS_POS_INF = 1 << 7;
export const CLASS_SNAN = 1 << 8;
export const CLASS_QNAN = 1 << 9;
