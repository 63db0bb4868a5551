import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestMemory } from "@monovisor/hv-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  featureBit,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_ID_9P,
  VIRTIO_MMIO_DEVICE_ID,
} from "../constants.js";
import { VirtioMmioTransport } from "../mmio-transport.js";
import { TestIrqLine, VirtioTestDriver } from "../testing/virtio-test-driver.testing.js";
import { readHeader } from "./codec.js";
import {
  P9_NOFID,
  P9_RLERROR,
  P9_TATTACH,
  P9_TLOPEN,
  P9_TREAD,
  P9_TVERSION,
  P9_TWALK,
  VIRTIO_9P_MOUNT_TAG,
} from "./constants.js";
import { NodeFsBackend } from "./node-fs-backend.js";
import { P9TestClient } from "./p9-test-client.testing.js";
import { VIRTIO_9P_STATE_TYPE, Virtio9p } from "./virtio-9p.js";

describe("virtio-9p", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "monovisor-v9p-"));
    writeFileSync(join(dir, "f.txt"), "x".repeat(3000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function setup() {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const irq = new TestIrqLine();
    const device = new Virtio9p({ backend: new NodeFsBackend(dir), tag: "hostshare" });
    const transport = new VirtioMmioTransport({ memory, irq, device });
    const driver = new VirtioTestDriver(transport, memory);
    return { device, transport, driver };
  }

  it("presents ID 9, MOUNT_TAG and the tag in its config", () => {
    const { driver } = setup();
    expect(driver.r32(VIRTIO_MMIO_DEVICE_ID)).toBe(VIRTIO_ID_9P);
    expect(driver.deviceFeatures() & featureBit(VIRTIO_9P_MOUNT_TAG)).not.toBe(0n);
    const len = driver.config(0, 2);
    expect(len).toBe(9);
    const tag = Array.from({ length: len }, (_, i) => driver.config(2 + i, 1));
    expect(String.fromCharCode(...tag)).toBe("hostshare");
    expect(() => new Virtio9p({ backend: new NodeFsBackend(dir), tag: "" })).toThrow(RangeError);
  });

  it("serves requests through the virtqueue, reply split across buffers", async () => {
    const { driver, device } = setup();
    driver.init();
    const client = new P9TestClient(async (m) => {
      // The reply header and the data land in separate buffers, as Linux's zero-copy reads post them.
      const done = await driver.request(0, [
        { out: m.subarray(0, 5) },
        { out: m.subarray(5) },
        { in: 11 },
        { in: 8192 },
      ]);
      return done.written.subarray(0, done.len);
    });
    const v = await client.ok(P9_TVERSION, (w) => w.u32(8192).str("9P2000.L"));
    expect(v.u32()).toBe(8192);
    await client.ok(P9_TATTACH, (w) => w.u32(0).u32(P9_NOFID).str("").str("").u32(0));
    await client.ok(P9_TWALK, (w) => w.u32(0).u32(1).u16(1).str("f.txt"));
    await client.ok(P9_TLOPEN, (w) => w.u32(1).u32(0));
    const r = await client.ok(P9_TREAD, (w) => w.u32(1).u64(0).u32(5000));
    expect(r.u32()).toBe(3000);
    expect(device.saveState()).toEqual({ type: VIRTIO_9P_STATE_TYPE, version: 1, tag: "hostshare" });
    expect(device.server.fidCount).toBe(2);
    device.restoreState(device.saveState());
    expect(device.server.fidCount).toBe(0);
    expect(() => device.restoreState({ type: VIRTIO_9P_STATE_TYPE, version: 1, tag: "other" })).toThrow();
  });

  it("cuts replies to the guest's buffers and stops on a request without a header", async () => {
    const { driver } = setup();
    driver.init();
    const version = Uint8Array.of(
      21,
      0,
      0,
      0,
      P9_TVERSION,
      0xff,
      0xff,
      0,
      32,
      0,
      0,
      8,
      0,
      ..."9P2000.L".split("").map((c) => c.charCodeAt(0)),
    );
    const ok = await driver.request(0, [{ out: version }, { in: 64 }]);
    expect(readHeader(ok.written.subarray(0, ok.len)).type).toBe(P9_TVERSION + 1);
    const tooSmall = await driver.request(0, [{ out: version }, { in: 12 }]);
    expect(readHeader(tooSmall.written.subarray(0, tooSmall.len)).type).toBe(P9_RLERROR);
    driver.post(0, [{ out: Uint8Array.of(1, 2, 3) }, { in: 64 }]);
    driver.kick(0);
    await driver.transport.idle();
    expect(driver.status() & VIRTIO_CONFIG_S_NEEDS_RESET).not.toBe(0);
  });
});
