/** Raised for a command-line value that cannot be used; the CLI prints its message alone. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Parses a byte size as QEMU does (`128M`, `1G`, `4096`, `512K`; suffixes are binary, an optional
 * trailing `B`/`iB` is accepted). A bare number means mebibytes when `defaultUnit` is "M".
 */
export function parseSize(text: string, what: string, defaultUnit: "" | "M" = ""): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (m === null) throw new UsageError(`${what}: '${text}' is not a size (try 128M or 1G)`);
  const unit = m[2].toUpperCase() || defaultUnit;
  const bytes = Math.round(Number(m[1]) * UNITS[unit]);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${what}: '${text}' is out of range`);
  return bytes;
}

/** Parses a positive integer count such as an instruction limit (`1e9` and `_` separators allowed). */
export function parseCount(text: string, what: string): number {
  const n = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`${what}: '${text}' is not a positive whole number`);
  return n;
}
