/**
 * `google,goldfish-rtc` register map: 32-bit registers, time in nanoseconds since the Unix epoch.
 * Names follow Linux's rtc-goldfish.c and QEMU's goldfish_rtc.c.
 */

/** Read: low half of the current time; latches the high half into TIME_HIGH. Write: set it. */
export const RTC_TIME_LOW = 0x00;
/** Read: the high half latched by the last TIME_LOW read. Write: set it. */
export const RTC_TIME_HIGH = 0x04;
/** Write: low half of the alarm time, and arm the alarm. */
export const RTC_ALARM_LOW = 0x08;
/** Write: high half of the alarm time (write it before ALARM_LOW). */
export const RTC_ALARM_HIGH = 0x0c;
/** Bit 0: the alarm raises the interrupt line. */
export const RTC_IRQ_ENABLED = 0x10;
/** Write: disarm the alarm. */
export const RTC_CLEAR_ALARM = 0x14;
/** Read: 1 while an alarm is armed and has not fired. */
export const RTC_ALARM_STATUS = 0x18;
/** Write: acknowledge a fired alarm, lowering the interrupt. */
export const RTC_CLEAR_INTERRUPT = 0x1c;

/** IRQ_ENABLED bit 0. */
export const RTC_IRQ_ENABLE_BIT = 0x1;
