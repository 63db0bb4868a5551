/**
 * Checks shared by every device's `restoreState`. A saved state comes from a snapshot file, so it
 * is untrusted input: a restore either succeeds completely or throws {@link DeviceStateError}
 * before touching the device.
 */

/** Raised when a saved device state is malformed, of another device, or of an unknown version. */
export class DeviceStateError extends Error {
  constructor(
    readonly device: string,
    message: string,
  ) {
    super(`${device}: invalid saved state: ${message}`);
    this.name = "DeviceStateError";
  }
}

/** Validates plain-data state fields, naming the device and field in every error. */
export class StateReader {
  constructor(
    private readonly device: string,
    private readonly state: unknown,
  ) {
    if (typeof state !== "object" || state === null) throw this.error("not an object");
  }

  error(message: string): DeviceStateError {
    return new DeviceStateError(this.device, message);
  }

  private field(name: string): unknown {
    return (this.state as Record<string, unknown>)[name];
  }

  /**
   * Requires the state's `type` tag to name this kind of device and its `version` to equal
   * `version` (states only grow fields together with the version).
   */
  header(type: string, version: number): void {
    const t = this.field("type");
    if (t !== type) throw this.error(`state of type ${String(t)}, expected ${type}`);
    const v = this.field("version");
    if (v !== version) throw this.error(`unsupported version ${String(v)}, expected ${version}`);
  }

  /** An integer in `[min, max]`. */
  int(name: string, min: number, max: number): number {
    const v = this.field(name);
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw this.error(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
    }
    return v;
  }

  byte(name: string): number {
    return this.int(name, 0, 0xff);
  }

  bool(name: string): boolean {
    const v = this.field(name);
    if (typeof v !== "boolean") throw this.error(`${name} must be a boolean, got ${String(v)}`);
    return v;
  }

  /** An array of bytes no longer than `maxLength`. */
  bytes(name: string, maxLength: number): number[] {
    const v = this.field(name);
    if (!Array.isArray(v) || v.length > maxLength) {
      throw this.error(`${name} must be an array of at most ${maxLength} bytes`);
    }
    for (const b of v) {
      if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 0xff) {
        throw this.error(`${name} holds a non-byte value ${String(b)}`);
      }
    }
    return [...v];
  }

  /** A signed 64-bit integer kept as a decimal string, since JSON has no 64-bit integers. */
  int64(name: string): bigint {
    return this.decimal(name, -(1n << 63n), (1n << 63n) - 1n);
  }

  /** An unsigned 64-bit integer kept as a decimal string. */
  uint64(name: string): bigint {
    return this.decimal(name, 0n, (1n << 64n) - 1n);
  }

  private decimal(name: string, min: bigint, max: bigint): bigint {
    const v = this.field(name);
    if (typeof v !== "string" || !/^-?[0-9]{1,20}$/.test(v)) {
      throw this.error(`${name} must be a decimal integer string, got ${String(v)}`);
    }
    const n = BigInt(v);
    if (n < min || n > max) throw this.error(`${name} is out of range [${min}, ${max}]`);
    return n;
  }
}
