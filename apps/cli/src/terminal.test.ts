import { describe, expect, it } from "vitest";
import { exitMessage, exitStatus } from "./commands/run.js";
import { EscapeDecoder } from "./terminal.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("EscapeDecoder", () => {
  it("passes ordinary input through", () => {
    expect(new EscapeDecoder().feed(bytes("ls\r"))).toEqual({ toGuest: bytes("ls\r"), actions: [] });
  });

  it("turns Ctrl-A x into quit and Ctrl-A h into help", () => {
    const d = new EscapeDecoder();
    expect(d.feed(bytes("a\x01hb\x01x")).actions).toEqual(["help", "quit"]);
    expect(d.feed(bytes("\x01s\x01S")).actions).toEqual(["save", "save"]);
  });

  it("sends one Ctrl-A for Ctrl-A Ctrl-A, also across reads", () => {
    const d = new EscapeDecoder();
    expect(d.feed(bytes("a\x01")).toGuest).toEqual(bytes("a"));
    expect(d.feed(bytes("\x01b"))).toEqual({ toGuest: bytes("\x01b"), actions: [] });
  });

  it("drops unknown escapes", () => {
    expect(new EscapeDecoder().feed(bytes("\x01zq"))).toEqual({ toGuest: bytes("q"), actions: [] });
  });
});

describe("hv run exit status", () => {
  it("is 0 only for a clean poweroff or a user quit", () => {
    expect(exitStatus({ kind: "poweroff" })).toBe(0);
    expect(exitStatus({ kind: "stopped" })).toBe(0);
    expect(exitStatus({ kind: "crash", message: "x" })).toBe(2);
    expect(exitStatus({ kind: "error", error: new Error("x") })).toBe(3);
    expect(exitStatus({ kind: "reset" })).toBe(4);
    expect(exitStatus({ kind: "fail", code: 7 })).toBe(7);
    expect(exitStatus({ kind: "fail", code: 0 })).toBe(1);
  });

  it("explains every non-clean exit in one line", () => {
    expect(exitMessage({ kind: "poweroff" })).toBeUndefined();
    for (const exit of [
      { kind: "crash", message: "hart 0: boom" },
      { kind: "error", error: new Error("bad") },
      { kind: "reset" },
      { kind: "fail", code: 3 },
    ] as const) {
      const line = exitMessage(exit);
      expect(line).toBeDefined();
      expect(line).not.toContain("\n");
    }
  });
});
