import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of this package (holds the Makefile); the same from src/ and dist/. */
export const guestProgramsDir: string = fileURLToPath(new URL("..", import.meta.url));

/** Where `make` puts the ELF files and harness objects. */
export const guestBuildDir: string = join(guestProgramsDir, "build");

/** Programs that print on the NS16550A UART and exit through the sifive,test syscon. */
export const virtPrograms = [
  "hello",
  "isa-int",
  "isa-atomic",
  "isa-priv",
  "isa-mmu",
  "isa-fp",
  "bench-cpu",
  "bench-cpu-small",
  "profile-spin",
] as const;

/** Plain-assembly programs every hart runs from `_start`; they never exit (see the README). */
export const smpPrograms = ["spinlock-smp"] as const;

/** `spinlock-smp`: the lock word and the counter of lock handovers, in guest physical memory. */
export const SPINLOCK_SMP_LOCK = 0x8010_0000;
export const SPINLOCK_SMP_COUNTER = 0x8010_0040;

/** Programs that use only the HTIF tohost/fromhost mailbox. */
export const htifPrograms = ["hello-htif", "htif-p-pass", "htif-p-fail"] as const;

/** Self-checking programs: each prints `PASS` and exits with code 0 when all checks hold. */
export const selfCheckingPrograms = ["isa-int", "isa-atomic", "isa-priv", "isa-mmu", "isa-fp"] as const;

export type VirtProgram = (typeof virtPrograms)[number];
export type HtifProgram = (typeof htifPrograms)[number];
export type SmpProgram = (typeof smpPrograms)[number];
export type GuestProgram = VirtProgram | HtifProgram | SmpProgram;

export function guestProgramPath(name: GuestProgram): string {
  return join(guestBuildDir, `${name}.elf`);
}

/** Compiler flags every guest is built with. */
export const guestTargetFlags: readonly string[] = ["-march=rv64gc_zba_zbb_zbs", "-mabi=lp64d"];

/**
 * Inputs for linking a generated signature program (see diff/sig-harness.S):
 * link `objects` with the generated assembly using `linkScript`.
 */
export const signatureHarness = {
  linkScript: join(guestProgramsDir, "common", "link.ld"),
  objects: ["crt0.o", "lib.o", "platform-virt.o", "sig-harness.o"].map((o) => join(guestBuildDir, o)),
  scratchBytes: 512,
} as const;
