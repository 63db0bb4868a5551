/* Trap frame layout shared by the assembly entries and C (trap_frame_t in guest.h). */
#ifndef GUEST_FRAME_H
#define GUEST_FRAME_H

#define FRAME_EPC (32 * 8)
#define FRAME_CAUSE (33 * 8)
#define FRAME_TVAL (34 * 8)
#define FRAME_STATUS (35 * 8)
#define FRAME_SIZE (36 * 8)

/* a7 value of the ecall that ends run_in_mode(). */
#define MODE_EXIT_MAGIC 0x4d4f4445

#ifdef __ASSEMBLER__
/* Saves every GPR but sp (x2), which the caller stores itself. */
#define SAVE_GPRS \
  sd x1, 1*8(sp); sd x3, 3*8(sp); sd x4, 4*8(sp); sd x5, 5*8(sp); sd x6, 6*8(sp); \
  sd x7, 7*8(sp); sd x8, 8*8(sp); sd x9, 9*8(sp); sd x10, 10*8(sp); sd x11, 11*8(sp); \
  sd x12, 12*8(sp); sd x13, 13*8(sp); sd x14, 14*8(sp); sd x15, 15*8(sp); sd x16, 16*8(sp); \
  sd x17, 17*8(sp); sd x18, 18*8(sp); sd x19, 19*8(sp); sd x20, 20*8(sp); sd x21, 21*8(sp); \
  sd x22, 22*8(sp); sd x23, 23*8(sp); sd x24, 24*8(sp); sd x25, 25*8(sp); sd x26, 26*8(sp); \
  sd x27, 27*8(sp); sd x28, 28*8(sp); sd x29, 29*8(sp); sd x30, 30*8(sp); sd x31, 31*8(sp); \
  sd x0, 0(sp)
#define RESTORE_GPRS \
  ld x1, 1*8(sp); ld x3, 3*8(sp); ld x4, 4*8(sp); ld x5, 5*8(sp); ld x6, 6*8(sp); \
  ld x7, 7*8(sp); ld x8, 8*8(sp); ld x9, 9*8(sp); ld x10, 10*8(sp); ld x11, 11*8(sp); \
  ld x12, 12*8(sp); ld x13, 13*8(sp); ld x14, 14*8(sp); ld x15, 15*8(sp); ld x16, 16*8(sp); \
  ld x17, 17*8(sp); ld x18, 18*8(sp); ld x19, 19*8(sp); ld x20, 20*8(sp); ld x21, 21*8(sp); \
  ld x22, 22*8(sp); ld x23, 23*8(sp); ld x24, 24*8(sp); ld x25, 25*8(sp); ld x26, 26*8(sp); \
  ld x27, 27*8(sp); ld x28, 28*8(sp); ld x29, 29*8(sp); ld x30, 30*8(sp); ld x31, 31*8(sp)
#endif

#endif
