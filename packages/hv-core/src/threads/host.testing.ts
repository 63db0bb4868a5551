import type { VcpuThreadsOptions } from "./vcpu-threads.js";

/** Host callbacks for thread tests: no console, reset ignored, a crash fails the test. */
export const QUIET_HOST: Pick<
  VcpuThreadsOptions,
  "consoleWrite" | "consoleRead" | "onSystemReset" | "onCrash"
> = {
  consoleWrite: () => {},
  consoleRead: () => 0,
  onSystemReset: () => {},
  onCrash: (message) => {
    throw new Error(message);
  },
};
