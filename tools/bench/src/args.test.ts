import { describe, expect, it } from "vitest";
import { parseBenchArgs, UsageError } from "./args.js";

describe("parseBenchArgs", () => {
  it("defaults to every benchmark, one run, text output", () => {
    expect(parseBenchArgs([])).toEqual({
      only: undefined,
      repeat: 1,
      json: false,
      guests: undefined,
      help: false,
    });
  });

  it("reads flags with separate and inline values", () => {
    expect(parseBenchArgs(["--only", "cpu", "--repeat", "3", "--json"])).toMatchObject({
      only: "cpu",
      repeat: 3,
      json: true,
    });
    expect(parseBenchArgs(["--only=linux", "--repeat=2", "--guests=/g"])).toMatchObject({
      only: "linux",
      repeat: 2,
      guests: "/g",
    });
    expect(parseBenchArgs(["--only", "smp"]).only).toBe("smp");
    expect(parseBenchArgs(["--only", "sched"]).only).toBe("sched");
    expect(parseBenchArgs(["--only=idle"]).only).toBe("idle");
    expect(parseBenchArgs(["-h"]).help).toBe(true);
  });

  it.each([
    [["--only", "gpu"], /cpu, linux, io, idle, smp or sched/],
    [["--only"], /needs a value/],
    [["--only", "--json"], /needs a value/],
    [["--repeat", "0"], /whole number/],
    [["--repeat", "1.5"], /whole number/],
    [["--repeat", "101"], /whole number/],
    [["--json=yes"], /takes no value/],
    [["--fast"], /unknown argument "--fast"/],
    [["cpu"], /unknown argument/],
  ])("rejects %j with a usage message", (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
