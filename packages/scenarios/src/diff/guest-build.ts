import { spawnSync } from "node:child_process";
import { guestProgramsDir } from "@monovisor/guest-programs";
import { CROSS_GCC, requireTool } from "./toolchain.js";

/** Runs `make` in tools/guest-programs (incremental); throws with the build log on failure. */
export function buildGuestPrograms(): void {
  requireTool("make");
  requireTool(CROSS_GCC);
  const result = spawnSync("make", ["-C", guestProgramsDir, "-j2", "all"], { encoding: "utf8" });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `make -C ${guestProgramsDir} failed (status ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}
