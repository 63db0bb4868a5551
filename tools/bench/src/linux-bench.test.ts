import { describe, expect, it } from "vitest";
import { LINUX_WORKLOADS, linuxCmdline, missingOutput } from "./linux-bench.js";
import { linuxGuestCandidates } from "./paths.js";

describe("linux workloads", () => {
  const [poweroff, run] = LINUX_WORKLOADS;

  it("builds the guest command line with the init contract's options", () => {
    expect(linuxCmdline(poweroff)).toBe("console=ttyS0 quiet poweroff=1");
    const script = Buffer.from(linuxCmdline(run).split("run=")[1], "base64").toString();
    expect(script).toBe("uname -a; dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum\n");
  });

  it("accepts a console only when every expected line is there", () => {
    const good =
      "monovisor-guest: up 0.5s\nLinux guest 6.1\n2c7ab85a893283e98c931e9511add182  -\nmonovisor-guest: exit=0\n";
    expect(missingOutput(run, good)).toBeUndefined();
    expect(missingOutput(run, good.replace("exit=0", "exit=1"))).toBeDefined();
    expect(missingOutput(poweroff, "monovisor-guest: poweroff\n")).toBeUndefined();
  });
});

describe("linuxGuestCandidates", () => {
  it("looks in shared guests, then $MONOVISOR_GUESTS or else the repo cache", () => {
    expect(linuxGuestCandidates("/r/main", { MONOVISOR_GUESTS: "/g/linux" })).toEqual([
      "/r/shared/guests/linux-6.1-virt",
      "/g/linux",
    ]);
    expect(linuxGuestCandidates("/r/main", { MONOVISOR_GUESTS: "g" })[1]).toBe("/r/main/g");
    expect(linuxGuestCandidates("/r/main", {})).toEqual([
      "/r/shared/guests/linux-6.1-virt",
      "/r/main/.cache/guests/linux-6.1-virt",
    ]);
  });
});
