import { describe, expect, it } from "vitest";
import { DeviceStateError } from "../state/device-state.js";
import { SifiveTest, type SifiveTestEvent, type SifiveTestState } from "./sifive-test.js";

function setup() {
  const events: SifiveTestEvent[] = [];
  const dev = new SifiveTest({ onEvent: (e) => events.push(e) });
  return { dev, events };
}

describe("sifive,test finisher", () => {
  it("reports poweroff, failure with its exit code, and reset", () => {
    const { dev, events } = setup();
    dev.write(0, 4, 0x5555);
    dev.write(0, 4, (42 << 16) | 0x3333);
    dev.write(0, 4, 0x7777);
    dev.write(0, 4, (0xffff << 16) | 0x3333);
    expect(events).toEqual([
      { kind: "poweroff" },
      { kind: "fail", code: 42 },
      { kind: "reset" },
      { kind: "fail", code: 0xffff },
    ]);
  });

  it("accepts a 2-byte store of the status", () => {
    const { dev, events } = setup();
    dev.write(0, 2, 0x5555);
    expect(events).toEqual([{ kind: "poweroff" }]);
  });

  it("ignores other values, offsets and byte stores; reads 0", () => {
    const { dev, events } = setup();
    dev.write(0, 4, 0x1234);
    dev.write(0, 4, (1 << 16) | 0x5556);
    dev.write(4, 4, 0x5555);
    dev.write(0, 1, 0x55);
    dev.write(0xffc, 4, 0x7777);
    expect(events).toEqual([]);
    expect(dev.read(0, 4)).toBe(0);
  });

  it("ignores the code bits of pass and reset", () => {
    const { dev, events } = setup();
    dev.write(0, 4, (7 << 16) | 0x5555);
    expect(events).toEqual([{ kind: "poweroff" }]);
  });

  it("saves and restores its (empty) versioned state", () => {
    const { dev } = setup();
    const state = JSON.parse(JSON.stringify(dev.saveState())) as SifiveTestState;
    expect(state).toEqual({ type: "sifive-test", version: 1 });
    dev.restoreState(state);
    expect(() => dev.restoreState({ type: "sifive-test", version: 9 } as unknown as SifiveTestState)).toThrow(
      DeviceStateError,
    );
    expect(() =>
      dev.restoreState({ type: "goldfish-rtc", version: 1 } as unknown as SifiveTestState),
    ).toThrow(/type goldfish-rtc/);
  });
});
