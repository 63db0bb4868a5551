import { describe, expect, it } from "vitest";
import { describeExit } from "./linux-board.js";

describe("describeExit", () => {
  it("names clean ends by their kind", () => {
    expect(describeExit({ kind: "poweroff" }, false)).toBe("poweroff");
    expect(describeExit({ kind: "reset" }, false)).toBe("reset");
  });

  it("carries the detail of a crash, a failure code or an engine error", () => {
    expect(describeExit({ kind: "crash", message: "hart 0 stuck" }, false)).toBe("crash: hart 0 stuck");
    expect(describeExit({ kind: "fail", code: 3 }, false)).toBe("fail: code 3");
    expect(describeExit({ kind: "error", error: new Error("boom") }, false)).toBe("error: boom");
  });

  it("says timeout when the benchmark stopped the guest", () => {
    expect(describeExit({ kind: "stopped" }, true)).toBe("timeout");
  });
});
