import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import type { BlockBackend } from "../../block/block-backend.js";
import { BlockIoError } from "../../block/block-backend.js";
import { MemoryBlockBackend } from "../../block/memory-backend.js";
import {
  featureBit,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_ID_BLOCK,
  VIRTIO_MMIO_DEVICE_ID,
} from "../constants.js";
import { VirtioMmioTransport } from "../mmio-transport.js";
import { TestIrqLine, VirtioTestDriver } from "../testing/virtio-test-driver.testing.js";
import {
  VIRTIO_BLK_CFG_BLK_SIZE,
  VIRTIO_BLK_CFG_CAPACITY,
  VIRTIO_BLK_CFG_SEG_MAX,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_WRITE_ZEROES,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES,
} from "./constants.js";
import { VirtioBlk } from "./virtio-blk.js";

const DISK = 64 * 1024;

function header(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, type, true);
  v.setBigUint64(8, BigInt(sector), true);
  return h;
}

function segment(sector: number, sectors: number, flags = 0): Uint8Array {
  const s = new Uint8Array(16);
  const v = new DataView(s.buffer);
  v.setBigUint64(0, BigInt(sector), true);
  v.setUint32(8, sectors, true);
  v.setUint32(12, flags, true);
  return s;
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

function setup(
  backend: BlockBackend = new MemoryBlockBackend(DISK, { serial: "monovisor-disk-0001" }),
  legacy = false,
) {
  const memory = new GuestMemory({ ramSize: 1 << 20 });
  const irq = new TestIrqLine();
  const blk = new VirtioBlk({ backend });
  const transport = new VirtioMmioTransport({ memory, irq, device: blk, legacy });
  const driver = new VirtioTestDriver(transport, memory);
  return { memory, irq, blk, transport, driver, backend };
}

describe("virtio-blk", () => {
  it("presents its identity, features and config", () => {
    const { driver } = setup();
    expect(driver.r32(VIRTIO_MMIO_DEVICE_ID)).toBe(VIRTIO_ID_BLOCK);
    const f = driver.deviceFeatures();
    for (const bit of [VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES]) {
      expect(f & featureBit(bit)).not.toBe(0n);
    }
    expect(f & featureBit(VIRTIO_BLK_F_RO)).toBe(0n);
    expect(driver.config(VIRTIO_BLK_CFG_CAPACITY, 4)).toBe(DISK / 512);
    expect(driver.config(VIRTIO_BLK_CFG_CAPACITY + 4, 4)).toBe(0);
    expect(driver.config(VIRTIO_BLK_CFG_BLK_SIZE, 4)).toBe(512);
    expect(driver.config(VIRTIO_BLK_CFG_SEG_MAX, 4)).toBe(254);
  });

  for (const legacy of [false, true]) {
    it(`writes and reads back sectors (${legacy ? "legacy" : "modern"} transport)`, async () => {
      const { driver, irq, backend } = setup(undefined, legacy);
      driver.init();
      const data = pattern(1024, 7);
      const w = await driver.request(0, [{ out: header(VIRTIO_BLK_T_OUT, 3) }, { out: data }, { in: 1 }]);
      expect(w.written[0]).toBe(VIRTIO_BLK_S_OK);
      expect(w.len).toBe(1);
      expect(irq.level).toBe(true);
      expect(driver.ackInterrupts()).toBe(1);
      expect(irq.level).toBe(false);
      expect((backend as MemoryBlockBackend).contents().subarray(3 * 512, 5 * 512)).toEqual(data);

      const r = await driver.request(0, [{ out: header(VIRTIO_BLK_T_IN, 3) }, { in: 1024 }, { in: 1 }]);
      expect(r.len).toBe(1025);
      expect(r.written.subarray(0, 1024)).toEqual(data);
      expect(r.written[1024]).toBe(VIRTIO_BLK_S_OK);
    });
  }

  it("handles headers split across descriptors and odd data segments", async () => {
    const { driver } = setup();
    driver.init();
    const h = header(VIRTIO_BLK_T_OUT, 1);
    const data = pattern(512, 1);
    await driver.request(0, [
      { out: h.subarray(0, 5) },
      { out: h.subarray(5) },
      { out: data.subarray(0, 100) },
      { out: data.subarray(100) },
      { in: 1 },
    ]);
    const r = await driver.request(0, [{ out: header(VIRTIO_BLK_T_IN, 1) }, { in: 300 }, { in: 213 }]);
    expect(r.written.subarray(0, 512)).toEqual(data);
    expect(r.written[512]).toBe(VIRTIO_BLK_S_OK);
  });

  it("goes through indirect descriptors", async () => {
    const { driver } = setup();
    driver.init();
    const data = pattern(2048, 3);
    await driver.request(0, [{ out: header(VIRTIO_BLK_T_OUT, 0) }, { out: data }, { in: 1 }], {
      indirect: true,
    });
    const r = await driver.request(0, [{ out: header(VIRTIO_BLK_T_IN, 0) }, { in: 2048 }, { in: 1 }], {
      indirect: true,
    });
    expect(r.written.subarray(0, 2048)).toEqual(data);
  });

  it("fails out-of-range, misaligned and oversized requests with IOERR", async () => {
    const { driver } = setup();
    driver.init();
    const last = DISK / 512;
    const past = await driver.request(0, [{ out: header(VIRTIO_BLK_T_IN, last) }, { in: 512 }, { in: 1 }]);
    expect(past.written[512]).toBe(VIRTIO_BLK_S_IOERR);
    expect(past.len).toBe(1);
    const huge = await driver.request(0, [{ out: header(VIRTIO_BLK_T_IN, 2 ** 60) }, { in: 512 }, { in: 1 }]);
    expect(huge.written[512]).toBe(VIRTIO_BLK_S_IOERR);
    const odd = await driver.request(0, [
      { out: header(VIRTIO_BLK_T_OUT, 0) },
      { out: new Uint8Array(100) },
      { in: 1 },
    ]);
    expect(odd.written[0]).toBe(VIRTIO_BLK_S_IOERR);
  });

  it("answers GET_ID, FLUSH, DISCARD, WRITE_ZEROES and rejects unknown types", async () => {
    const { driver, backend } = setup();
    driver.init();
    const id = await driver.request(0, [{ out: header(VIRTIO_BLK_T_GET_ID, 0) }, { in: 20 }, { in: 1 }]);
    expect(new TextDecoder().decode(id.written.subarray(0, 19))).toBe("monovisor-disk-0001");
    expect(id.written[19]).toBe(0);
    expect(id.len).toBe(21);
    const flush = await driver.request(0, [{ out: header(VIRTIO_BLK_T_FLUSH, 0) }, { in: 1 }]);
    expect(flush.written[0]).toBe(VIRTIO_BLK_S_OK);

    const disk = (backend as MemoryBlockBackend).contents();
    disk.fill(0xaa);
    const wz = await driver.request(0, [
      { out: header(VIRTIO_BLK_T_WRITE_ZEROES, 0) },
      { out: segment(2, 2, 1) },
      { out: segment(10, 1) },
      { in: 1 },
    ]);
    expect(wz.written[0]).toBe(VIRTIO_BLK_S_OK);
    expect(disk.subarray(1024, 2048).every((b) => b === 0)).toBe(true);
    expect(disk.subarray(5120, 5632).every((b) => b === 0)).toBe(true);
    expect(disk[2048]).toBe(0xaa);
    const discard = await driver.request(0, [
      { out: header(VIRTIO_BLK_T_DISCARD, 0) },
      { out: segment(0, 4) },
      { in: 1 },
    ]);
    expect(discard.written[0]).toBe(VIRTIO_BLK_S_OK);
    const badFlags = await driver.request(0, [
      { out: header(VIRTIO_BLK_T_DISCARD, 0) },
      { out: segment(0, 4, 1) },
      { in: 1 },
    ]);
    expect(badFlags.written[0]).toBe(VIRTIO_BLK_S_UNSUPP);
    const unknown = await driver.request(0, [{ out: header(77, 0) }, { in: 1 }]);
    expect(unknown.written[0]).toBe(VIRTIO_BLK_S_UNSUPP);
  });

  it("offers RO for a read-only disk and fails writes", async () => {
    const { driver } = setup(new MemoryBlockBackend(DISK, { readOnly: true }));
    expect(driver.deviceFeatures() & featureBit(VIRTIO_BLK_F_RO)).not.toBe(0n);
    expect(driver.deviceFeatures() & featureBit(VIRTIO_BLK_F_DISCARD)).toBe(0n);
    driver.init();
    const w = await driver.request(0, [
      { out: header(VIRTIO_BLK_T_OUT, 0) },
      { out: new Uint8Array(512) },
      { in: 1 },
    ]);
    expect(w.written[0]).toBe(VIRTIO_BLK_S_IOERR);
  });

  it("turns a backend failure into IOERR and keeps going", async () => {
    const inner = new MemoryBlockBackend(DISK);
    let fail = true;
    const flaky: BlockBackend = {
      size: inner.size,
      readOnly: false,
      read: (o, b) => (fail ? Promise.reject(new BlockIoError("disk gone")) : inner.read(o, b)),
      write: (o, d) => inner.write(o, d),
      flush: () => inner.flush(),
      discard: (o, l) => inner.discard(o, l),
      writeZeroes: (o, l, opt) => inner.writeZeroes(o, l, opt),
      close: () => inner.close(),
    };
    const { driver, transport } = setup(flaky);
    driver.init();
    const r1 = await driver.request(0, [{ out: header(VIRTIO_BLK_T_IN, 0) }, { in: 512 }, { in: 1 }]);
    expect(r1.written[512]).toBe(VIRTIO_BLK_S_IOERR);
    expect(r1.len).toBe(1);
    fail = false;
    const r2 = await driver.request(0, [{ out: header(VIRTIO_BLK_T_IN, 0) }, { in: 512 }, { in: 1 }]);
    expect(r2.written[512]).toBe(VIRTIO_BLK_S_OK);
    expect(transport.needsReset).toBe(false);
  });

  it("stops with NEEDS_RESET on a request without a status byte", async () => {
    const { driver, transport, irq } = setup();
    driver.init();
    driver.post(0, [{ out: header(VIRTIO_BLK_T_IN, 0) }]);
    driver.kick(0);
    await transport.idle();
    expect(driver.status() & VIRTIO_CONFIG_S_NEEDS_RESET).not.toBe(0);
    expect(driver.ackInterrupts()).toBe(2);
    expect(irq.level).toBe(false);
    // A reset brings it back.
    driver.init();
    const r = await driver.request(0, [{ out: header(VIRTIO_BLK_T_FLUSH, 0) }, { in: 1 }]);
    expect(r.written[0]).toBe(VIRTIO_BLK_S_OK);
  });

  it("completes a request of many queued ones with one doorbell, in order", async () => {
    const { driver } = setup();
    driver.init();
    const heads = [0, 1, 2, 3].map((s) =>
      driver.post(0, [{ out: header(VIRTIO_BLK_T_IN, s) }, { in: 512 }, { in: 1 }]),
    );
    driver.kick(0);
    await driver.transport.idle();
    expect(driver.takeUsed(0).map((u) => u.id)).toEqual(heads);
  });
});
