import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Virtio9p } from "@monovisor/devmodel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceSpecs, openDevices, parseShareSpec } from "./devices.js";
import { UsageError } from "./sizes.js";

describe("--share", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "monovisor-share-"));
    mkdirSync(join(dir, "a=b"));
    writeFileSync(join(dir, "file"), "");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("parses <hostdir>=<tag>[,readonly]", () => {
    expect(parseShareSpec(`${dir}=host0`)).toEqual({ path: dir, tag: "host0", readOnly: false });
    expect(parseShareSpec(`${dir}=ro,readonly`)).toEqual({ path: dir, tag: "ro", readOnly: true });
    // The last `=` splits, so directory names may contain one.
    expect(parseShareSpec(`${join(dir, "a=b")}=t`).path).toBe(join(dir, "a=b"));
  });

  it("refuses unusable specs", () => {
    for (const bad of [
      dir,
      `${dir}=`,
      `=tag`,
      `${dir}=t,rw`,
      `${join(dir, "file")}=t`,
      `${join(dir, "none")}=t`,
    ]) {
      expect(() => parseShareSpec(bad), bad).toThrow(UsageError);
    }
    expect(() => parseShareSpec(`${dir}=${"x".repeat(256)}`)).toThrow(/longer than 255/);
    expect(() => deviceSpecs({ share: [`${dir}=t`, `${dir}=t`] })).toThrow(/used twice/);
  });

  it("opens a virtio-9p device per share, after the other devices", async () => {
    const specs = deviceSpecs({ rng: true, share: [`${dir}=one`, `${dir}=two,readonly`] });
    const devices = await openDevices(specs);
    expect(devices.virtio).toHaveLength(3);
    const [one, two] = devices.virtio.slice(1) as Virtio9p[];
    expect(one).toBeInstanceOf(Virtio9p);
    expect([one.tag, one.server.backend.readOnly]).toEqual(["one", false]);
    expect([two.tag, two.server.backend.readOnly]).toEqual(["two", true]);
    expect(await devices.close()).toEqual([]);
  });
});
