/**
 * SBI version numbers as the base extension's `get_spec_version` returns them: minor in bits
 * 23:0, major in bits 30:24, bit 31 reserved (zero). Our vendor extension encodes its own version
 * the same way so one set of helpers serves both.
 */
export type SbiVersion = number;

export const SBI_VERSION_MAJOR_SHIFT = 24;
export const SBI_VERSION_MAJOR_MASK = 0x7f;
export const SBI_VERSION_MINOR_MASK = 0xff_ffff;

/** Encodes `major.minor`. Throws on values the encoding cannot hold. */
export function sbiVersion(major: number, minor: number): SbiVersion {
  if (!Number.isInteger(major) || major < 0 || major > SBI_VERSION_MAJOR_MASK) {
    throw new RangeError(`SBI major version out of range: ${major}`);
  }
  if (!Number.isInteger(minor) || minor < 0 || minor > SBI_VERSION_MINOR_MASK) {
    throw new RangeError(`SBI minor version out of range: ${minor}`);
  }
  // Multiplication, not <<, keeps the result a non-negative number for every legal major.
  return major * 2 ** SBI_VERSION_MAJOR_SHIFT + minor;
}

export function sbiVersionMajor(version: SbiVersion): number {
  return Math.floor(version / 2 ** SBI_VERSION_MAJOR_SHIFT) & SBI_VERSION_MAJOR_MASK;
}

export function sbiVersionMinor(version: SbiVersion): number {
  return version & SBI_VERSION_MINOR_MASK;
}

/** `"2.0"` for 0x0200_0000. */
export function formatSbiVersion(version: SbiVersion): string {
  return `${sbiVersionMajor(version)}.${sbiVersionMinor(version)}`;
}

/** Parses `"major.minor"`; undefined when the text is not a valid version. */
export function parseSbiVersion(text: string): SbiVersion | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  if (match === null) return undefined;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major > SBI_VERSION_MAJOR_MASK || minor > SBI_VERSION_MINOR_MASK) return undefined;
  return sbiVersion(major, minor);
}

/** True when `version` is `required` or newer. Encoded versions order like their numbers. */
export function isSbiVersionAtLeast(version: SbiVersion, required: SbiVersion): boolean {
  return version >= required;
}

/** The SBI specification releases this package knows about. */
export const SBI_V0_1 = sbiVersion(0, 1);
export const SBI_V0_2 = sbiVersion(0, 2);
export const SBI_V0_3 = sbiVersion(0, 3);
export const SBI_V1_0 = sbiVersion(1, 0);
export const SBI_V2_0 = sbiVersion(2, 0);

/** All known releases, oldest first. */
export const SBI_SPEC_RELEASES: readonly SbiVersion[] = [SBI_V0_1, SBI_V0_2, SBI_V0_3, SBI_V1_0, SBI_V2_0];
