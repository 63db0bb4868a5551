/** `sifive,test` finisher register map (SiFive test device, as on QEMU's `virt`). */

/** The one register: writes of `(code << 16) | status` act on the machine. */
export const SIFIVE_TEST_FINISHER = 0x0;

/** Status (bits 15:0): stop the machine reporting failure; bits 31:16 carry the exit code. */
export const FINISHER_FAIL = 0x3333;
/** Status: stop the machine reporting success (Linux's syscon-poweroff value). */
export const FINISHER_PASS = 0x5555;
/** Status: reset the machine (Linux's syscon-reboot value). */
export const FINISHER_RESET = 0x7777;

export const FINISHER_STATUS_MASK = 0xffff;
export const FINISHER_CODE_SHIFT = 16;
