import { describe, expect, it } from "vitest";
import { bootGuest, guestFile } from "./guests.js";

describe("firmware flow (OpenSBI in M-mode, as qemu-system-riscv64 -bios)", () => {
  it("boots Linux through OpenSBI fw_jump and powers off", async () => {
    const run = await bootGuest(
      {
        bios: guestFile("firmware/fw_jump.bin"),
        kernel: guestFile("linux-6.1-virt/Image"),
        initrd: guestFile("linux-6.1-virt/initramfs.cpio.gz"),
        cmdline: "console=ttyS0 quiet poweroff=1",
      },
      90_000,
    );
    expect(run.exit, run.console.slice(-2000)).toEqual({ kind: "poweroff" });
    expect(run.console).toContain("OpenSBI v1.");
    expect(run.console).toContain("Domain0 Next Address      : 0x0000000080200000");
    expect(run.console).toContain("monovisor-guest: poweroff");
    console.info(`OpenSBI + linux boot to poweroff: ${run.seconds.toFixed(1)} s`);
  });

  it("reaches the U-Boot prompt through OpenSBI fw_dynamic and runs a command", async () => {
    const run = await bootGuest(
      { bios: guestFile("firmware/fw_dynamic.bin"), kernel: guestFile("firmware/u-boot-smode.bin") },
      60_000,
      async (vm, console) => {
        await console.waitFor("Hit any key to stop autoboot");
        vm.sendInput(new TextEncoder().encode("\n"));
        await console.waitFor("=> ");
        vm.sendInput(new TextEncoder().encode("version\n"));
        await console.waitFor("GNU ld");
        vm.sendInput(new TextEncoder().encode("poweroff\n"));
      },
    );
    expect(run.console).toContain("Domain0 Next Mode         : S-mode");
    expect(run.console).toMatch(/U-Boot 20\d\d\.\d\d/);
    expect(run.console).toContain("=> version");
    // U-Boot's poweroff goes through SBI SRST to OpenSBI, which writes the syscon.
    expect(run.exit, run.console.slice(-1500)).toEqual({ kind: "poweroff" });
  });
});
