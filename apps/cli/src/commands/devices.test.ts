import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deviceSpecs, openDevices, parseDiskSpec } from "./devices.js";

const dir = mkdtempSync(join(tmpdir(), "hv-disk-"));
const raw = join(dir, "disk,1.img");
writeFileSync(raw, new Uint8Array(64 * 1024));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--disk", () => {
  it("parses the options, with ,, for a comma in the file name", () => {
    const escaped = raw.replace(",", ",,");
    expect(parseDiskSpec(escaped)).toEqual({ path: raw, format: "raw", readOnly: false, serial: undefined });
    expect(parseDiskSpec(`${escaped},format=qcow2,readonly,serial=d0`)).toEqual({
      path: raw,
      format: "qcow2",
      readOnly: true,
      serial: "d0",
    });
  });

  it("rejects bad options with one line naming the problem", () => {
    const escaped = raw.replace(",", ",,");
    expect(() => parseDiskSpec(join(dir, "missing.img"))).toThrow(/missing\.img: no such file/);
    expect(() => parseDiskSpec(`${escaped},format=vmdk`)).toThrow(/format must be raw, qcow2 or auto/);
    expect(() => parseDiskSpec(`${escaped},cache=none`)).toThrow(/unknown option 'cache=none'/);
    expect(() => parseDiskSpec(`${escaped},serial=${"x".repeat(21)}`)).toThrow(/longer than 20 bytes/);
    expect(() => parseDiskSpec(dir)).toThrow(/not a regular file/);
    const many = { disk: Array(8).fill(raw.replace(",", ",,")), rng: true };
    expect(() => deviceSpecs(many)).toThrow(/9 virtio devices .* 8 slots/);
  });

  it("opens disks in order, then rng and balloon, and closes them", async () => {
    const specs = deviceSpecs({ disk: [`${raw.replace(",", ",,")},readonly`], rng: true, balloon: true });
    const devices = await openDevices(specs);
    expect(devices.virtio.map((d) => d.deviceId)).toEqual([2, 4, 5]);
    expect(await devices.close()).toEqual([]);
  });

  it("reports a corrupt qcow2 with the block layer's message", async () => {
    const bad = join(dir, "bad.qcow2");
    writeFileSync(bad, new Uint8Array([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3, ...new Uint8Array(100)]));
    const specs = deviceSpecs({ disk: [`${bad},format=qcow2`] });
    await expect(openDevices(specs)).rejects.toThrow(/^--disk .*bad\.qcow2: cluster_bits: 0 is outside/);
  });
});
