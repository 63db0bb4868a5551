import { describe, expect, it } from "vitest";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import * as A from "./test-asm.testing.js";
import { csr, M_TRAP, makeHart, RAM_BASE, read64, write64, xs } from "./test-asm.testing.js";

const DATA = RAM_BASE + 0x2000;
const PATTERN = 0x8182_8384_f5f6_f7f8n;

/** Records accesses; reads return a fixed value per offset. */
class FakeDevice implements MmioDevice {
  readonly name = "fake";
  readonly writes: [offset: number, size: AccessSize, value: number][] = [];
  readonly reads: [offset: number, size: AccessSize][] = [];
  read(offset: number, size: AccessSize): number {
    this.reads.push([offset, size]);
    const v = 0x8765_4321 + offset;
    return size === 4 ? v >>> 0 : size === 2 ? v & 0xffff : v & 0xff;
  }
  write(offset: number, size: AccessSize, value: number): void {
    this.writes.push([offset, size, value]);
  }
}

describe("loads", () => {
  it("every width sign- or zero-extends, on the slow path and again through the TLB", () => {
    const loads = (base: number) => [
      A.lb(base + 0, 10, 0),
      A.lbu(base + 1, 10, 0),
      A.lh(base + 2, 10, 4),
      A.lhu(base + 3, 10, 4),
      A.lw(base + 4, 10, 4),
      A.lwu(base + 5, 10, 4),
      A.ld(base + 6, 10, 0),
    ];
    const fx = makeHart({ program: [...loads(11), ...loads(18)] });
    write64(fx.mem, DATA, PATTERN);
    fx.hart.setX(10, DATA);
    fx.hart.run(14);
    const want = [
      0xffff_ffff_ffff_fff8n,
      0xf8n,
      0xffff_ffff_ffff_8384n,
      0x8384n,
      0xffff_ffff_8182_8384n,
      0x8182_8384n,
      PATTERN,
    ];
    expect([11, 12, 13, 14, 15, 16, 17].map((r) => fx.hart.getXBig(r))).toEqual(want);
    expect([18, 19, 20, 21, 22, 23, 24].map((r) => fx.hart.getXBig(r))).toEqual(want);
  });

  it("misaligned loads within a page are emulated", () => {
    const fx = makeHart({ program: [A.ld(11, 10, 1), A.lw(12, 10, 3), A.lh(13, 10, 5), A.lwu(14, 10, 3)] });
    write64(fx.mem, DATA, 0x8877_6655_4433_2211n);
    write64(fx.mem, DATA + 8, 0x00ff_eedd_ccbb_aa99n);
    fx.hart.setX(10, DATA);
    fx.hart.run(4);
    expect(fx.hart.getXBig(11)).toBe(0x9988_7766_5544_3322n);
    expect(fx.hart.getXBig(12)).toBe(0x7766_5544n);
    expect(fx.hart.getXBig(13)).toBe(0x7766n);
    expect(fx.hart.getXBig(14)).toBe(0x7766_5544n);
    expect(fx.hart.csrLoArr[0x342]).toBe(0); // no trap
  });

  it("a load crossing a page boundary reads both pages", () => {
    const fx = makeHart({ program: [A.ld(11, 10, -3), A.lw(12, 10, -1), A.lh(13, 10, -1)] });
    write64(fx.mem, DATA - 8, 0x1122_3344_5566_7788n);
    write64(fx.mem, DATA, 0x99aa_bbcc_ddee_ff00n);
    fx.hart.setX(10, DATA);
    fx.hart.run(3);
    expect(fx.hart.getXBig(11)).toBe(0xccdd_eeff_0011_2233n);
    expect(fx.hart.getXBig(12)).toBe(0xffff_ffff_eeff_0011n);
    expect(fx.hart.getXBig(13)).toBe(0x0011n);
  });

  it("a load into x0 has no effect on x0", () => {
    const fx = makeHart({ program: [A.ld(0, 10, 0), A.add(11, 0, 0)] });
    write64(fx.mem, DATA, PATTERN);
    fx.hart.setX(10, DATA);
    fx.hart.run(2);
    expect(fx.hart.getXBig(0)).toBe(0n);
    expect(fx.hart.getXBig(11)).toBe(0n);
  });
});

describe("stores", () => {
  it("every width writes exactly its bytes", () => {
    const fx = makeHart({
      program: [A.sb(11, 10, 0), A.sh(11, 10, 2), A.sw(11, 10, 4), A.sd(11, 10, 8), A.sb(11, 10, 1)],
    });
    fx.mem.u8.fill(0xee, fx.mem.hostOffset(DATA, 16), fx.mem.hostOffset(DATA, 16) + 16);
    fx.hart.setX(10, DATA);
    fx.hart.setX(11, 0x0102_0304_0506_0708n);
    fx.hart.run(5);
    expect(read64(fx.mem, DATA)).toBe(0x0506_0708_0708_0808n);
    expect(read64(fx.mem, DATA + 8)).toBe(0x0102_0304_0506_0708n);
  });

  it("misaligned stores within a page, after the TLB is warm", () => {
    const fx = makeHart({ program: [A.sd(0, 10, 0), A.sd(11, 10, 3), A.sw(11, 10, 13), A.sh(11, 10, 19)] });
    fx.hart.setX(10, DATA);
    fx.hart.setX(11, 0x1122_3344_5566_7788n);
    fx.hart.run(4);
    expect([...fx.mem.readBytes(DATA, 24)]).toEqual([
      0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0x88, 0x77,
      0, 0, 0,
    ]);
    expect(fx.hart.csrLoArr[0x342]).toBe(0);
  });

  it("a store crossing a page boundary writes both pages", () => {
    const fx = makeHart({ program: [A.sd(11, 10, -5)] });
    fx.hart.setX(10, DATA);
    fx.hart.setX(11, 0x1122_3344_5566_7788n);
    fx.hart.run(1);
    expect(read64(fx.mem, DATA - 8)).toBe(0x4455_6677_8800_0000n);
    expect(read64(fx.mem, DATA)).toBe(0x11_2233n);
  });
});

describe("MMIO", () => {
  const DEV = 0x1000_0000;

  it("stores of every width reach the device; 8-byte ones as two 4-byte halves, low first", () => {
    const fx = makeHart({
      program: [A.sb(11, 10, 1), A.sh(11, 10, 2), A.sw(11, 10, 4), A.sd(11, 10, 8), A.addi(12, 0, 7)],
    });
    const dev = new FakeDevice();
    fx.bus.map(DEV, 0x100, dev);
    fx.hart.setX(10, DEV);
    fx.hart.setX(11, 0xa1a2_a3a4_b5b6_b7b8n);
    fx.hart.run(5);
    expect(dev.writes).toEqual([
      [1, 1, 0xb8],
      [2, 2, 0xb7b8],
      [4, 4, 0xb5b6_b7b8],
      [8, 4, 0xb5b6_b7b8],
      [12, 4, 0xa1a2_a3a4],
    ]);
    expect(fx.hart.getX(12)).toBe(7);
  });

  it("loads from the device are extended like RAM loads", () => {
    const fx = makeHart({ program: [A.lb(11, 10, 0), A.lhu(12, 10, 0), A.lw(13, 10, 0), A.ld(14, 10, 8)] });
    const dev = new FakeDevice();
    fx.bus.map(DEV, 0x100, dev);
    fx.hart.setX(10, DEV);
    fx.hart.run(4);
    expect(fx.hart.getXBig(11)).toBe(0x21n);
    expect(fx.hart.getXBig(12)).toBe(0x4321n);
    expect(xs(fx.hart, 13)).toBe(BigInt(0x8765_4321 | 0));
    expect(fx.hart.getXBig(14)).toBe((0x8765_4321n + 12n) * (1n << 32n) + 0x8765_4321n + 8n);
    expect(dev.reads).toEqual([
      [0, 1],
      [0, 2],
      [0, 4],
      [8, 4],
      [12, 4],
    ]);
  });
});

describe("access faults", () => {
  it("a load outside RAM and MMIO raises cause 5 with tval = address", () => {
    const fx = makeHart({ program: [A.addi(1, 0, 1), A.ld(11, 10, 8), A.addi(2, 0, 1)] });
    fx.hart.setX(10, 0x1000);
    fx.hart.run(3);
    expect(csr(fx.hart, 0x342)).toBe(5n);
    expect(csr(fx.hart, 0x343)).toBe(0x1008n);
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE + 4));
    expect(fx.hart.pc).toBe(M_TRAP);
    expect(fx.hart.getX(2)).toBe(0);
  });

  it("a store past the end of RAM raises cause 7 with tval = address", () => {
    const fx = makeHart({ program: [A.sw(11, 10, 0)] });
    const end = RAM_BASE + fx.mem.ramSize;
    fx.hart.setX(10, end);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(7n);
    expect(csr(fx.hart, 0x343)).toBe(BigInt(end));
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE));
  });

  it("a 64-bit address faults with the full address in mtval", () => {
    const fx = makeHart({ program: [A.lbu(11, 10, 0)] });
    fx.hart.setX(10, 0xffff_ffc0_8000_0000n);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(5n);
    expect(csr(fx.hart, 0x343)).toBe(0xffff_ffc0_8000_0000n);
  });

  it("a store straddling the end of RAM faults and writes nothing", () => {
    const fx = makeHart({ program: [A.sd(11, 10, 0)] });
    const end = RAM_BASE + fx.mem.ramSize;
    fx.hart.setX(10, end - 4);
    fx.hart.setX(11, -1n);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(7n);
    expect(csr(fx.hart, 0x343)).toBe(BigInt(end - 4));
    expect([...fx.mem.readBytes(end - 4, 4)]).toEqual([0, 0, 0, 0]);
  });

  it("a device access running past the end of its region faults", () => {
    const fx = makeHart({ program: [A.lw(11, 10, 0)] });
    const dev = new FakeDevice();
    fx.bus.map(0x1000_0000, 0x10, dev);
    fx.hart.setX(10, 0x1000_000e);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(5n);
    expect(dev.reads).toEqual([]);
  });
});
