import { SbiEid, SbiError } from "@monovisor/paravirt-abi";
import { describe, expect, it, vi } from "vitest";
import {
  MIP_SSIP,
  MIP_STIP,
  MSTATUS_SUM,
  PTE_A,
  PTE_D,
  PTE_R,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
} from "../hart/constants.js";
import { CSR_SATP } from "../hart/csr-numbers.js";
import { RAM_BASE, type SbiMachine, sbiMachine } from "./test-machine.js";

const MASK_ADDR = RAM_BASE + 0x8000;

const legacy = (m: SbiMachine, eid: number, ...args: (number | bigint)[]) => m.call(0, eid, 0, ...args).error;
const ssip = (m: SbiMachine) => m.harts.map((h) => (h.mipSw & MIP_SSIP) !== 0);

function storeMask(m: SbiMachine, mask: bigint, addr = MASK_ADDR): void {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, mask, true);
  m.writeRam(addr, bytes);
}

describe("legacy console (always served)", () => {
  it("console_putchar writes the low byte and returns 0 in a0", () => {
    const m = sbiMachine();
    m.harts[0].setX(11, 1234);
    expect(legacy(m, SbiEid.LEGACY_CONSOLE_PUTCHAR, 0x168)).toBe(0n);
    expect(m.output).toEqual([0x68]);
    // Legacy calls return in a0 only.
    expect(m.harts[0].getX(11)).toBe(0);
  });

  it("console_getchar returns the next byte, or -1 when none is pending", () => {
    const m = sbiMachine();
    m.input.push(0xff, 0x0a);
    expect(legacy(m, SbiEid.LEGACY_CONSOLE_GETCHAR)).toBe(0xffn);
    expect(legacy(m, SbiEid.LEGACY_CONSOLE_GETCHAR)).toBe(0x0an);
    expect(legacy(m, SbiEid.LEGACY_CONSOLE_GETCHAR)).toBe(-1n);
  });
});

describe("legacy v0.1 calls (legacyV01)", () => {
  it("set_timer arms the SBI timer like TIME", () => {
    const m = sbiMachine(2, { legacyV01: true });
    m.harts[0].setPending(5, true);
    expect(legacy(m, SbiEid.LEGACY_SET_TIMER, 0x1_0000_0000n)).toBe(0n);
    expect(m.harts[0].mipExt & MIP_STIP).toBe(0);
    expect(m.sbi.nextDeadline()).toBe(2 ** 32);
  });

  it("clear_ipi clears the caller's SSIP", () => {
    const m = sbiMachine(2, { legacyV01: true });
    m.harts[0].setPending(1, true);
    m.harts[1].setPending(1, true);
    expect(legacy(m, SbiEid.LEGACY_CLEAR_IPI)).toBe(0n);
    expect(ssip(m)).toEqual([false, true]);
  });

  it("send_ipi reads the hart mask from memory", () => {
    const m = sbiMachine(3, { legacyV01: true });
    storeMask(m, 0b110n);
    expect(legacy(m, SbiEid.LEGACY_SEND_IPI, MASK_ADDR)).toBe(0n);
    expect(ssip(m)).toEqual([false, true, true]);
  });

  it("send_ipi with a null mask pointer selects every hart", () => {
    const m = sbiMachine(3, { legacyV01: true });
    expect(legacy(m, SbiEid.LEGACY_SEND_IPI, 0)).toBe(0n);
    expect(ssip(m)).toEqual([true, true, true]);
  });

  it("rejects masks naming missing harts and mask pointers it cannot read", () => {
    const m = sbiMachine(2, { legacyV01: true });
    storeMask(m, 0b100n);
    expect(legacy(m, SbiEid.LEGACY_SEND_IPI, MASK_ADDR)).toBe(BigInt(SbiError.ERR_INVALID_PARAM));
    expect(legacy(m, SbiEid.LEGACY_SEND_IPI, 0x1000)).toBe(BigInt(SbiError.ERR_INVALID_ADDRESS));
    expect(legacy(m, SbiEid.LEGACY_SEND_IPI, MASK_ADDR + 4)).toBe(BigInt(SbiError.ERR_INVALID_ADDRESS));
    expect(ssip(m)).toEqual([false, false]);
  });

  it("remote fences flush the harts in the mask", () => {
    const m = sbiMachine(2, { legacyV01: true });
    const fenceI = m.harts.map((h) => vi.spyOn(h, "flushDecodeCache"));
    const tlb = m.harts.map((h) => vi.spyOn(h, "flushTlb"));
    storeMask(m, 0b10n);
    expect(legacy(m, SbiEid.LEGACY_REMOTE_FENCE_I, MASK_ADDR)).toBe(0n);
    expect(legacy(m, SbiEid.LEGACY_REMOTE_SFENCE_VMA, MASK_ADDR, 0, 4096)).toBe(0n);
    expect(legacy(m, SbiEid.LEGACY_REMOTE_SFENCE_VMA_ASID, MASK_ADDR, 0, 4096, 3)).toBe(0n);
    expect(fenceI.map((s) => s.mock.calls.length)).toEqual([0, 1]);
    expect(tlb.map((s) => s.mock.calls.length)).toEqual([0, 2]);
  });

  describe("with Sv39 paging on", () => {
    const ROOT = RAM_BASE + 0x10000;
    const GIGA = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    /** Maps gigapage `vpn2` to the gigapage holding RAM. */
    function mapGigapage(m: SbiMachine, vpn2: number, flags: number): void {
      const pte = BigInt(RAM_BASE / 4096) << 10n;
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, pte | BigInt(flags), true);
      m.writeRam(ROOT + 8 * vpn2, bytes);
    }
    function pagedMachine() {
      const m = sbiMachine(3, { legacyV01: true });
      mapGigapage(m, 2, GIGA); // identity: the ecall stays where it is
      mapGigapage(m, 3, GIGA); // 0xC000_0000 aliases RAM
      mapGigapage(m, 4, GIGA | PTE_U); // 0x1_0000_0000: a user alias
      m.harts[0].csrWrite(CSR_SATP, ROOT / 4096, 8 << 28);
      storeMask(m, 0b101n);
      return m;
    }
    const alias = (base: bigint) => base + BigInt(MASK_ADDR - RAM_BASE);

    it("reads the mask through the guest's page tables", () => {
      const m = pagedMachine();
      expect(legacy(m, SbiEid.LEGACY_SEND_IPI, alias(0xc000_0000n))).toBe(0n);
      expect(ssip(m)).toEqual([true, false, true]);
    });

    it("fails with INVALID_ADDRESS on unmapped pages and user pages without SUM", () => {
      const m = pagedMachine();
      const invalid = BigInt(SbiError.ERR_INVALID_ADDRESS);
      expect(legacy(m, SbiEid.LEGACY_SEND_IPI, alias(0x1_4000_0000n))).toBe(invalid);
      expect(legacy(m, SbiEid.LEGACY_SEND_IPI, alias(0x1_0000_0000n))).toBe(invalid);
      // Not sign-extended from bit 38: no Sv39 address at all.
      expect(legacy(m, SbiEid.LEGACY_SEND_IPI, alias(0x80_c000_0000n))).toBe(invalid);
      expect(ssip(m)).toEqual([false, false, false]);
      m.harts[0].mstatus |= MSTATUS_SUM;
      expect(legacy(m, SbiEid.LEGACY_SEND_IPI, alias(0x1_0000_0000n))).toBe(0n);
      expect(ssip(m)).toEqual([true, false, true]);
    });
  });
});
