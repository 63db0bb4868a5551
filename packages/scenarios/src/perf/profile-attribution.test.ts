/** The guest-PC sampler attributes samples to the function that runs. */
import { readFileSync } from "node:fs";
import { VirtMachine } from "@monovisor/devmodel";
import { guestProgramPath } from "@monovisor/guest-programs";
import { Profile, parseElfSymbols, Symbolizer } from "@monovisor/perf";
import { beforeAll, describe, expect, it } from "vitest";
import { requireGuestBuild } from "../diff/suite.js";

beforeAll(() => requireGuestBuild());

describe("guest PC sampling on the virt board", () => {
  // threads 0: the hart runs on the main thread; 1: on a vCPU thread, samples queued to this one.
  it.for([0, 1])(
    "puts at least 90%% of the samples of a busy loop in its function (threads: %i)",
    async (threads) => {
      const elf = new Uint8Array(readFileSync(guestProgramPath("profile-spin")));
      const symbolizer = new Symbolizer();
      symbolizer.add(parseElfSymbols(elf), { module: "profile-spin" });
      const profile = new Profile(symbolizer);
      const vm = new VirtMachine({
        bios: "none",
        kernel: elf,
        memoryBytes: 16 * 1024 * 1024,
        threads,
        sampler: (hart, lo, hi, priv) => profile.addSampleParts(hart, lo, hi, priv),
        sampleEveryInstructions: 1000,
      });
      expect(await vm.run()).toEqual({ kind: "poweroff" });
      const [top] = profile.top(1);
      expect(profile.total).toBeGreaterThan(1000);
      expect(top.name).toBe("spin_here");
      expect(top.percent).toBeGreaterThanOrEqual(90);
      expect(top.byMode.machine).toBe(top.samples);
    },
  );
});
