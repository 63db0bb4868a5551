import { describe, expect, it } from "vitest";
import {
  formatSbiVersion,
  isSbiVersionAtLeast,
  parseSbiVersion,
  SBI_SPEC_RELEASES,
  SBI_V0_2,
  SBI_V2_0,
  sbiVersion,
  sbiVersionMajor,
  sbiVersionMinor,
} from "./version.js";

describe("SBI version encoding", () => {
  it("puts the major in bits 30:24 and the minor in bits 23:0", () => {
    expect(sbiVersion(2, 0)).toBe(0x0200_0000);
    expect(sbiVersion(0, 2)).toBe(0x0000_0002);
    expect(sbiVersion(1, 3)).toBe(0x0100_0003);
    expect(sbiVersion(0x7f, 0xff_ffff)).toBe(0x7fff_ffff);
  });

  it("round-trips major and minor", () => {
    for (const [major, minor] of [
      [0, 1],
      [1, 0],
      [2, 0],
      [3, 12],
      [127, 0xff_ffff],
    ] as const) {
      const v = sbiVersion(major, minor);
      expect(sbiVersionMajor(v)).toBe(major);
      expect(sbiVersionMinor(v)).toBe(minor);
      expect(parseSbiVersion(formatSbiVersion(v))).toBe(v);
    }
  });

  it("rejects what bit 31 or the field widths cannot hold", () => {
    expect(() => sbiVersion(128, 0)).toThrow(RangeError);
    expect(() => sbiVersion(0, 0x100_0000)).toThrow(RangeError);
    expect(() => sbiVersion(-1, 0)).toThrow(RangeError);
    expect(() => sbiVersion(1.5, 0)).toThrow(RangeError);
    expect(parseSbiVersion("128.0")).toBeUndefined();
    expect(parseSbiVersion("2")).toBeUndefined();
    expect(parseSbiVersion("v2.0")).toBeUndefined();
  });

  it("orders versions like their numbers", () => {
    expect(isSbiVersionAtLeast(SBI_V2_0, SBI_V0_2)).toBe(true);
    expect(isSbiVersionAtLeast(SBI_V0_2, SBI_V2_0)).toBe(false);
    expect(isSbiVersionAtLeast(SBI_V2_0, SBI_V2_0)).toBe(true);
    // 0.10 is newer than 0.9 (the minor is a number, not a decimal fraction).
    expect(isSbiVersionAtLeast(sbiVersion(0, 10), sbiVersion(0, 9))).toBe(true);
    expect([...SBI_SPEC_RELEASES].sort((a, b) => a - b)).toEqual(SBI_SPEC_RELEASES);
  });
});
