import { describe, expect, it } from "vitest";
import { type LinuxBootRequest, linuxBoardFrom } from "./linux-board.js";

const request: LinuxBootRequest = {
  kernel: new Uint8Array(4),
  initrd: new Uint8Array(4),
  cmdline: "console=ttyS0 quiet poweroff=1",
  memoryBytes: 256 * 1024 * 1024,
  timeoutMs: 10_000,
};

/** Stands in for VirtMachine: prints a line, retires instructions, ends as told. */
function fakeMachine(exit: { kind: string; message?: string }) {
  return class {
    readonly harts = [{ instret: 1000 }, { instret: 500 }];
    constructor(private readonly config: { cmdline: string; console: { write(b: Uint8Array): void } }) {}
    async run() {
      this.config.console.write(new TextEncoder().encode(`cmdline ${this.config.cmdline}\n`));
      return exit;
    }
    stop() {}
  };
}

describe("linuxBoardFrom", () => {
  it("reports no board when the module does not export VirtMachine", () => {
    expect(linuxBoardFrom({ runBareMetal: () => {} })).toBeUndefined();
  });

  it("boots through VirtMachine and reports a poweroff with the console and instructions", async () => {
    const board = linuxBoardFrom({ VirtMachine: fakeMachine({ kind: "poweroff" }) });
    const outcome = await board!.boot(request);
    expect(outcome).toEqual({
      poweredOff: true,
      exit: "poweroff",
      console: "cmdline console=ttyS0 quiet poweroff=1\n",
      instructions: 1500,
    });
  });

  it("says how a run that did not power off ended", async () => {
    const board = linuxBoardFrom({ VirtMachine: fakeMachine({ kind: "crash", message: "hart 0 stuck" }) });
    const outcome = await board!.boot(request);
    expect(outcome.poweredOff).toBe(false);
    expect(outcome.exit).toBe("crash: hart 0 stuck");
  });
});
