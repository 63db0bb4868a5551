/**
 * Differential tests: the same ELF on QEMU (the oracle) and on monovisor must
 * print byte-identical consoles.
 */
import { guestProgramPath, selfCheckingPrograms } from "@monovisor/guest-programs";
import { beforeAll, describe, expect, it } from "vitest";
import { generateSignatureProgram } from "./gen.js";
import { runOnMonovisor } from "./monovisor.js";
import { runQemu } from "./qemu.js";
import { buildSignatureElf, describeDifference } from "./signature.js";
import { DIFF_LENGTH, DIFF_SEEDS, requireGuestBuild } from "./suite.js";

beforeAll(() => requireGuestBuild());

describe("random instruction sequences: monovisor matches QEMU", () => {
  it.each(DIFF_SEEDS)("seed %i", async (seed) => {
    const program = generateSignatureProgram({ seed, length: DIFF_LENGTH });
    const elf = await buildSignatureElf(program);
    const oracle = await runQemu(elf);
    expect(oracle.console, "QEMU did not complete the signature").toContain("SIG END\n");
    const ours = runOnMonovisor(elf, 10_000_000);
    expect(ours.console, `seed ${seed}: ${elf}\n${describeDifference(oracle.console, ours.console)}`).toBe(
      oracle.console,
    );
    expect(ours.status).toBe("pass");
  });
});

describe("self-checking programs on monovisor", () => {
  it.each(selfCheckingPrograms)("%s prints PASS and matches QEMU", async (name) => {
    const elf = guestProgramPath(name);
    const ours = runOnMonovisor(elf);
    expect(ours.console, ours.message).toMatch(/\nPASS\n$/);
    expect(ours.status).toBe("pass");
    expect(ours.exitCode).toBe(0);
    const oracle = await runQemu(elf);
    expect(ours.console, describeDifference(oracle.console, ours.console)).toBe(oracle.console);
  });

  it("hello prints its greeting", () => {
    const r = runOnMonovisor(guestProgramPath("hello"));
    expect(r.console).toBe("hello from monovisor guest\n");
    expect(r.status).toBe("pass");
  });

  it("bench-cpu-small matches QEMU's checksum", async () => {
    const elf = guestProgramPath("bench-cpu-small");
    const ours = runOnMonovisor(elf);
    const oracle = await runQemu(elf);
    expect(ours.console).toBe(oracle.console);
    expect(ours.status).toBe("pass");
  });
});

describe("HTIF programs on monovisor", () => {
  it("htif-p-pass passes through tohost", () => {
    const r = runOnMonovisor(guestProgramPath("htif-p-pass"));
    expect(r.console).toBe("htif-p: riscv-tests style, HTIF only\nPASS\n");
    expect(r.status).toBe("pass");
  });

  it("htif-p-fail fails with code 3", () => {
    const r = runOnMonovisor(guestProgramPath("htif-p-fail"));
    expect(r.status).toBe("fail");
    expect(r.exitCode).toBe(3);
  });

  it("hello-htif prints through HTIF putchar", () => {
    const r = runOnMonovisor(guestProgramPath("hello-htif"));
    expect(r.console).toBe("hello from monovisor guest\n");
    expect(r.status).toBe("pass");
  });
});
