/**
 * The QEMU side of the differential suite on its own: the guest programs and
 * the generated signature programs must behave on the oracle before a
 * monovisor mismatch means anything.
 */
import { guestProgramPath, selfCheckingPrograms } from "@monovisor/guest-programs";
import { beforeAll, describe, expect, it } from "vitest";
import { generateSignatureProgram } from "./gen.js";
import { runQemu } from "./qemu.js";
import { buildSignatureElf, parseSignature } from "./signature.js";
import { DIFF_LENGTH, DIFF_SEEDS, requireGuestBuild } from "./suite.js";

beforeAll(() => requireGuestBuild());

describe("guest programs on QEMU virt", () => {
  it("hello prints its greeting and powers off with pass", async () => {
    const r = await runQemu(guestProgramPath("hello"));
    expect(r.timedOut).toBe(false);
    expect(r.console).toBe("hello from monovisor guest\n");
    expect(r.exitCode).toBe(0);
  });

  it.each(selfCheckingPrograms)("%s passes", async (name) => {
    const r = await runQemu(guestProgramPath(name));
    expect(r.timedOut).toBe(false);
    expect(r.console).toMatch(/\nPASS\n$/);
    expect(r.console).not.toContain("FAIL");
    expect(r.exitCode).toBe(0);
  });

  it("bench-cpu-small prints a checksum and passes", async () => {
    const r = await runQemu(guestProgramPath("bench-cpu-small"));
    expect(r.console).toMatch(/checksum [0-9a-f]{16}\nPASS\n$/);
    expect(r.exitCode).toBe(0);
  });
});

describe("HTIF programs on QEMU spike", () => {
  it("htif-p-pass exits with pass through tohost", async () => {
    const r = await runQemu(guestProgramPath("htif-p-pass"), { machine: "spike" });
    expect(r.console).toBe("htif-p: riscv-tests style, HTIF only\nPASS\n");
    expect(r.exitCode).toBe(0);
  });

  it("htif-p-fail exits with its failing test number", async () => {
    const r = await runQemu(guestProgramPath("htif-p-fail"), { machine: "spike" });
    expect(r.console).toContain("FAIL");
    expect(r.exitCode).toBe(3);
  });

  it("hello-htif prints through HTIF putchar", async () => {
    const r = await runQemu(guestProgramPath("hello-htif"), { machine: "spike" });
    expect(r.console).toBe("hello from monovisor guest\n");
    expect(r.exitCode).toBe(0);
  });
});

describe("generated signature programs on QEMU", () => {
  it.each(DIFF_SEEDS)("seed %i runs to a complete signature", async (seed) => {
    const program = generateSignatureProgram({ seed, length: DIFF_LENGTH });
    const elf = await buildSignatureElf(program);
    const r = await runQemu(elf);
    expect(r.console).not.toContain("unexpected trap");
    const sig = parseSignature(r.console);
    expect(sig, r.console).toBeDefined();
    expect(sig?.x).toHaveLength(32);
    expect(sig?.x[0]).toBe(0n);
    expect(sig?.f).toHaveLength(32);
    expect(sig?.memory).toHaveLength(64);
    expect(r.exitCode).toBe(0);
  });

  it("is deterministic on QEMU", async () => {
    const elf = await buildSignatureElf(
      generateSignatureProgram({ seed: DIFF_SEEDS[0], length: DIFF_LENGTH }),
    );
    const [a, b] = await Promise.all([runQemu(elf), runQemu(elf)]);
    expect(a.console).toBe(b.console);
  });
});
