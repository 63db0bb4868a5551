import { describe, expect, it } from "vitest";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import type { Hart } from "./hart.js";
import * as A from "./test-asm.testing.js";
import {
  csr,
  type Fixture,
  M_TRAP,
  makeHart,
  RAM_BASE,
  read64,
  S_TRAP,
  write64,
} from "./test-asm.testing.js";

const V = 1;
const R = 2;
const W = 4;
const X = 8;
const U = 16;
const AC = 64;
const D = 128;
const RWX = R | W | X | AC | D;
const SUM = 1 << 18;
const MXR = 1 << 19;
const MPRV = 1 << 17;
const PT_BASE = RAM_BASE + 0x10_0000;
const DATA = RAM_BASE + 0x20_0000; // 2 MiB aligned

/** A PTE pointing at physical address `pa` with the given flag bits. */
function pte(pa: number, flags: number): bigint {
  return (BigInt(Math.floor(pa / 4096)) << 10n) | BigInt(flags);
}

/** Builds Sv39/Sv48 page tables in guest RAM, allocating tables from PT_BASE upwards. */
class PageTables {
  private next = PT_BASE + 0x1000;
  constructor(
    private readonly fx: Fixture,
    readonly levels: 3 | 4,
  ) {
    fx.mem.zero(PT_BASE, 0x1000);
  }

  /** Address of the PTE for `va` at `level` (0 = 4 KiB leaf), creating tables on the way. */
  pteAddr(va: bigint, level: number): number {
    let table = PT_BASE;
    for (let l = this.levels - 1; l > level; l--) {
      const at = table + 8 * Number((va >> BigInt(12 + 9 * l)) & 0x1ffn);
      const entry = read64(this.fx.mem, at);
      if ((entry & 1n) === 0n) {
        const t = this.next;
        this.next += 0x1000;
        this.fx.mem.zero(t, 0x1000);
        write64(this.fx.mem, at, pte(t, V));
        table = t;
      } else table = Number(entry >> 10n) * 4096;
    }
    return table + 8 * Number((va >> BigInt(12 + 9 * level)) & 0x1ffn);
  }

  map(va: bigint, pa: number, flags: number, level = 0): number {
    const at = this.pteAddr(va, level);
    write64(this.fx.mem, at, pte(pa, flags | V));
    return at;
  }

  /** Writes a raw PTE value. */
  raw(va: bigint, level: number, pte: bigint): number {
    const at = this.pteAddr(va, level);
    write64(this.fx.mem, at, pte);
    return at;
  }

  satp(): { lo: number; hi: number } {
    return { lo: (PT_BASE >>> 12) | 0, hi: (this.levels === 3 ? 8 : 9) << 28 };
  }
}

/**
 * A hart in `priv` running `prog` at RAM_BASE under translation: RAM_BASE's gigabyte is identity
 * mapped (with U when running in U-mode) so code and trap vectors work.
 */
function setup(prog: A.Prog, opts: { priv?: number; levels?: 3 | 4; mstatus?: number } = {}) {
  const priv = opts.priv ?? 1;
  const fx = makeHart({ ram: 4 << 20, program: prog });
  const pt = new PageTables(fx, opts.levels ?? 3);
  pt.map(BigInt(RAM_BASE), RAM_BASE, RWX | (priv === 0 ? U : 0), 2);
  const { lo, hi } = pt.satp();
  fx.hart.csrWrite(0x180, lo, hi);
  fx.hart.mstatus = opts.mstatus ?? 0;
  fx.hart.setPriv(priv);
  return { fx, pt, hart: fx.hart };
}
const go = (h: Hart, n: number) => h.run(n);
const mtrap = (h: Hart) => ({ cause: csr(h, 0x342), tval: csr(h, 0x343), epc: csr(h, 0x341), pc: h.pc });

describe("Sv39 walks", () => {
  it("4 KiB, 2 MiB and 1 GiB pages translate to the right physical bytes", () => {
    const prog = [
      A.li(10, 0x4000_0123n),
      A.ld(11, 10, 0),
      A.li(12, 0x4020_0000n + 0x1_2348n),
      A.ld(13, 12, 0),
    ];
    const { fx, pt, hart } = setup([...prog, A.li(14, 0x1_0000_3010n), A.ld(15, 14, 0)]);
    pt.map(0x4000_0000n, DATA + 0x1000, R | AC);
    pt.map(0x4020_0000n, DATA, R | AC, 1);
    pt.map(0x1_0000_0000n, RAM_BASE, R | AC, 2);
    write64(fx.mem, DATA + 0x1123, 0x1111n);
    write64(fx.mem, DATA + 0x1_2348, 0x2222n);
    write64(fx.mem, RAM_BASE + 0x3010, 0x3333n);
    go(hart, A.count(prog) + A.count([A.li(14, 0x1_0000_3010n)]) + 1);
    expect(csr(hart, 0x342)).toBe(0n);
    expect(hart.getXBig(11)).toBe(0x1111n);
    expect(hart.getXBig(13)).toBe(0x2222n);
    expect(hart.getXBig(15)).toBe(0x3333n);
  });

  it("stores go through the same mapping", () => {
    const prog = [A.li(10, 0x4000_0000n), A.li(11, 0x5a5an), A.sd(11, 10, 0x18)];
    const { fx, pt, hart } = setup(prog);
    pt.map(0x4000_0000n, DATA + 0x3000, R | W | AC | D);
    go(hart, A.count(prog));
    expect(read64(fx.mem, DATA + 0x3018)).toBe(0x5a5an);
  });

  it("a misaligned superpage is a page fault", () => {
    const prog = [A.li(10, 0x4020_0000n), A.ld(11, 10, 8)];
    const { pt, hart } = setup(prog);
    pt.map(0x4020_0000n, DATA + 0x1000, R | AC, 1);
    go(hart, A.count(prog));
    expect(mtrap(hart)).toEqual({ cause: 13n, tval: 0x4020_0008n, epc: BigInt(RAM_BASE + 4), pc: M_TRAP });
  });

  it("an invalid PTE faults with the cause of the access", () => {
    for (const [inst, cause] of [
      [A.ld(11, 10, 0), 13n],
      [A.sd(11, 10, 0), 15n],
      [A.jalr(0, 10, 0), 12n],
    ] as const) {
      const prog = [A.li(10, 0x4000_0000n), inst];
      const { pt, hart } = setup(prog);
      pt.raw(0x4000_0000n, 0, pte(DATA, RWX)); // V clear
      go(hart, A.count(prog) + 1);
      expect(mtrap(hart).cause).toBe(cause);
      expect(mtrap(hart).tval).toBe(0x4000_0000n);
    }
  });

  it("W without R is reserved: a page fault even for stores", () => {
    const prog = [A.li(10, 0x4000_0000n), A.sd(11, 10, 0)];
    const { pt, hart } = setup(prog);
    pt.map(0x4000_0000n, DATA, W | AC | D);
    go(hart, A.count(prog));
    expect(mtrap(hart).cause).toBe(15n);
  });

  it("a leaf PTE with reserved bits 63:54 set is a page fault", () => {
    // Svpbmt and Svnapot are not implemented, so bits 63:54 must be zero.
    for (const bitNo of [54n, 61n, 63n]) {
      const prog = [A.li(10, 0x4000_0000n), A.ld(11, 10, 0)];
      const { pt, hart } = setup(prog);
      pt.raw(0x4000_0000n, 0, pte(DATA, V | R | AC) | (1n << bitNo));
      go(hart, A.count(prog));
      expect({ bitNo, cause: csr(hart, 0x342) }).toEqual({ bitNo, cause: 13n });
    }
  });

  it("a non-leaf PTE at the last level is a page fault", () => {
    const prog = [A.li(10, 0x4000_0000n), A.ld(11, 10, 0)];
    const { pt, hart } = setup(prog);
    pt.map(0x4000_0000n, DATA, 0);
    go(hart, A.count(prog));
    expect(mtrap(hart).cause).toBe(13n);
  });

  it("a store to a read-only page faults and leaves memory alone", () => {
    const prog = [A.li(10, 0x4000_0000n), A.addi(11, 0, 7), A.sd(11, 10, 0)];
    const { fx, pt, hart } = setup(prog);
    pt.map(0x4000_0000n, DATA, R | X | AC | D);
    go(hart, A.count(prog));
    expect(mtrap(hart).cause).toBe(15n);
    expect(read64(fx.mem, DATA)).toBe(0n);
  });

  it("a non-canonical address faults with the full address in tval", () => {
    const va = 0x0000_0040_0000_0000n; // bit 38 set, bits 63:39 clear
    const prog = [A.li(10, va), A.ld(11, 10, 0)];
    const { pt, hart } = setup(prog);
    pt.map(va & ((1n << 39n) - 1n), DATA, R | AC); // would match if the upper bits were ignored
    go(hart, A.count(prog));
    expect(mtrap(hart)).toEqual({
      cause: 13n,
      tval: va,
      epc: BigInt(RAM_BASE + 4 * A.count([A.li(10, va)])),
      pc: M_TRAP,
    });
  });

  it("a high-half (sign-extended) address translates", () => {
    const va = 0xffff_ffc0_0000_0000n; // VPN[2] = 256
    const prog = [A.li(10, va), A.ld(11, 10, 0x10)];
    const { fx, pt, hart } = setup(prog);
    pt.map(va, DATA, R | AC);
    write64(fx.mem, DATA + 0x10, 0xabcdn);
    go(hart, A.count(prog));
    expect(csr(hart, 0x342)).toBe(0n);
    expect(hart.getXBig(11)).toBe(0xabcdn);
  });

  it("a page-table walk outside RAM is an access fault", () => {
    const prog = [A.li(10, 0x4000_0000n), A.ld(11, 10, 0)];
    const { pt, hart } = setup(prog);
    pt.raw(0x4000_0000n, 1, pte(0x1000, V)); // next level table at 0x1000: no RAM
    go(hart, A.count(prog));
    expect(mtrap(hart)).toMatchObject({ cause: 5n, tval: 0x4000_0000n });
  });
});

describe("Sv48 walks", () => {
  it("4 KiB, 2 MiB and 1 GiB pages beyond the Sv39 range", () => {
    const base = 0x80_0000_0000n; // 2^39: non-canonical in Sv39, fine in Sv48
    const prog = [
      A.li(10, base + 0x123n),
      A.ld(11, 10, 0),
      A.li(12, base + 0x20_0000n + 0x5008n),
      A.ld(13, 12, 0),
      A.li(14, base + 0x4000_0000n + 0x3010n),
      A.ld(15, 14, 0),
    ];
    const { fx, pt, hart } = setup(prog, { levels: 4 });
    pt.map(base, DATA + 0x1000, R | AC);
    pt.map(base + 0x20_0000n, DATA, R | AC, 1);
    pt.map(base + 0x4000_0000n, RAM_BASE, R | AC, 2);
    write64(fx.mem, DATA + 0x1123, 0x1111n);
    write64(fx.mem, DATA + 0x5008, 0x2222n);
    write64(fx.mem, RAM_BASE + 0x3010, 0x3333n);
    go(hart, A.count(prog));
    expect(csr(hart, 0x342)).toBe(0n);
    expect([hart.getXBig(11), hart.getXBig(13), hart.getXBig(15)]).toEqual([0x1111n, 0x2222n, 0x3333n]);
  });

  it("a 512 GiB page maps its whole offset (here onto a device)", () => {
    const base = 0x80_0000_0000n;
    const prog = [A.li(10, base + 0x1000_0000n), A.lw(11, 10, 4)];
    const { fx, pt, hart } = setup(prog, { levels: 4 });
    const seen: number[] = [];
    const dev: MmioDevice = {
      name: "probe",
      read(offset: number, _size: AccessSize) {
        seen.push(offset);
        return 0x77;
      },
      write() {},
    };
    fx.bus.map(0x1000_0000, 0x1000, dev);
    pt.map(base, 0, R | AC, 3);
    go(hart, A.count(prog));
    expect(csr(hart, 0x342)).toBe(0n);
    expect(seen).toEqual([4]);
    expect(hart.getXBig(11)).toBe(0x77n);
  });

  it("bits 63:48 must copy bit 47", () => {
    const va = 0x0001_0000_0000_0000n;
    const prog = [A.li(10, va), A.ld(11, 10, 0)];
    const { hart } = setup(prog, { levels: 4 });
    go(hart, A.count(prog));
    expect(mtrap(hart)).toMatchObject({ cause: 13n, tval: va });
  });
});

describe("permissions", () => {
  const VA = 0x4000_0000n;
  const loadFrom = (flags: number, priv: number, mstatus = 0) => {
    const prog = [A.li(10, VA), A.ld(11, 10, 0)];
    const { fx, pt, hart } = setup(prog, { priv, mstatus });
    pt.map(VA, DATA, flags);
    write64(fx.mem, DATA, 0x4242n);
    go(hart, A.count(prog));
    return csr(hart, 0x342) === 0n ? hart.getXBig(11) : `fault ${csr(hart, 0x342)}`;
  };

  it("S-mode reads a U page only with SUM", () => {
    expect(loadFrom(R | U | AC, 1)).toBe("fault 13");
    expect(loadFrom(R | U | AC, 1, SUM)).toBe(0x4242n);
  });

  it("U-mode cannot read a supervisor page, but can read a U page", () => {
    expect(loadFrom(R | AC, 0)).toBe("fault 13");
    expect(loadFrom(R | U | AC, 0)).toBe(0x4242n);
  });

  it("MXR makes execute-only pages readable", () => {
    expect(loadFrom(X | AC, 1)).toBe("fault 13");
    expect(loadFrom(X | AC, 1, MXR)).toBe(0x4242n);
  });

  it("fetching from a non-executable page faults with cause 12 and tval = pc", () => {
    const prog = [A.li(10, VA + 8n), A.jalr(0, 10, 0)];
    const { fx, pt, hart } = setup(prog);
    pt.map(VA, DATA, R | W | AC | D);
    fx.mem.writeBytes(DATA + 8, A.program([A.nop()]));
    go(hart, A.count(prog) + 1);
    expect(mtrap(hart)).toEqual({ cause: 12n, tval: VA + 8n, epc: VA + 8n, pc: M_TRAP });
  });

  it("S-mode never executes from a U page, even with SUM", () => {
    const prog = [A.li(10, VA), A.jalr(0, 10, 0)];
    const { fx, pt, hart } = setup(prog, { mstatus: SUM });
    pt.map(VA, DATA, R | X | U | AC);
    fx.mem.writeBytes(DATA, A.program([A.nop()]));
    go(hart, A.count(prog) + 1);
    expect(mtrap(hart).cause).toBe(12n);
  });

  it("code runs from a mapped virtual page", () => {
    const prog = [A.li(10, VA), A.jalr(1, 10, 0)];
    const { fx, pt, hart } = setup(prog);
    pt.map(VA, DATA, R | X | AC);
    fx.mem.writeBytes(DATA, A.program([A.addi(12, 0, 33), A.auipc(13, 0)]));
    go(hart, A.count(prog) + 2);
    expect(csr(hart, 0x342)).toBe(0n);
    expect(hart.getX(12)).toBe(33);
    expect(hart.getXBig(13)).toBe(VA + 4n);
  });

  it("a delegated page fault goes to S with stval = address", () => {
    const prog = [A.li(10, VA), A.sd(0, 10, 0x20)];
    const { pt, hart } = setup(prog, { priv: 0 });
    hart.medeleg = 1 << 15;
    pt.map(VA, DATA, R | U | AC);
    go(hart, A.count(prog));
    expect(csr(hart, 0x142)).toBe(15n);
    expect(csr(hart, 0x143)).toBe(VA + 0x20n);
    expect(csr(hart, 0x141)).toBe(BigInt(RAM_BASE + 4));
    // The S handler's page is a U page here, so S-mode's first fetch there faults to M: that
    // fault shows the handler was entered in S-mode.
    expect(mtrap(hart)).toEqual({ cause: 12n, tval: BigInt(S_TRAP), epc: BigInt(S_TRAP), pc: M_TRAP });
    expect((hart.mstatus >> 11) & 3).toBe(1);
  });
});

describe("accessed and dirty bits", () => {
  it("a load sets A, a store sets A and D, in the PTE in RAM", () => {
    const VA = 0x4000_0000n;
    const prog = [A.li(10, VA), A.ld(11, 10, 0), A.li(12, VA + 0x1000n), A.sd(0, 12, 0)];
    const { fx, pt, hart } = setup(prog);
    const pteLoad = pt.map(VA, DATA, R | W);
    const pteStore = pt.map(VA + 0x1000n, DATA + 0x1000, R | W);
    go(hart, A.count(prog));
    expect(csr(hart, 0x342)).toBe(0n);
    expect(Number(read64(fx.mem, pteLoad) & 0xffn)).toBe(V | R | W | AC);
    expect(Number(read64(fx.mem, pteStore) & 0xffn)).toBe(V | R | W | AC | D);
  });

  it("a store after a load of the same page sets D", () => {
    const VA = 0x4000_0000n;
    const prog = [A.li(10, VA), A.ld(11, 10, 0), A.sd(11, 10, 8)];
    const { fx, pt, hart } = setup(prog);
    const pte = pt.map(VA, DATA, R | W);
    go(hart, A.count(prog));
    expect(Number(read64(fx.mem, pte) & 0xffn)).toBe(V | R | W | AC | D);
  });

  it("a fetch sets A on a code page", () => {
    const VA = 0x4000_0000n;
    const prog = [A.li(10, VA), A.jalr(0, 10, 0)];
    const { fx, pt, hart } = setup(prog);
    const pte = pt.map(VA, DATA, X);
    fx.mem.writeBytes(DATA, A.program([A.nop()]));
    go(hart, A.count(prog) + 1);
    expect(Number(read64(fx.mem, pte) & 0xffn)).toBe(V | X | AC);
  });
});

describe("TLB maintenance", () => {
  const VA = 0x4000_0000n;
  function remap(withFence: boolean) {
    // load, then repoint the PTE (from the guest), optionally sfence.vma, then load again
    const prog = [
      A.li(10, VA),
      A.ld(11, 10, 0),
      A.li(20, 0), // x20 = PTE address, x21 = new PTE: set below
      A.sd(21, 20, 0),
      withFence ? A.sfence_vma() : A.nop(),
      A.ld(12, 10, 0),
    ];
    const { fx, pt, hart } = setup(prog);
    const pteAt = pt.map(VA, DATA, R | AC);
    write64(fx.mem, DATA, 0x01n);
    write64(fx.mem, DATA + 0x1000, 0x02n);
    hart.setX(20, 0);
    go(hart, A.count(prog.slice(0, 2)));
    // The PTE lives in the identity-mapped gigabyte, so the guest can store to it directly.
    hart.setX(20, pteAt);
    hart.setX(21, pte(DATA + 0x1000, V | R | AC));
    hart.pcLo = (RAM_BASE + 4 * A.count(prog.slice(0, 3))) | 0;
    go(hart, 3);
    expect(csr(hart, 0x342)).toBe(0n);
    return { first: hart.getXBig(11), second: hart.getXBig(12) };
  }

  it("without sfence.vma the old translation may still be used", () => {
    const { first, second } = remap(false);
    expect(first).toBe(1n);
    expect([1n, 2n]).toContain(second);
  });

  it("after sfence.vma the new mapping is used", () => {
    expect(remap(true)).toEqual({ first: 1n, second: 2n });
  });

  it("a satp write drops old translations", () => {
    const prog = [A.li(10, VA), A.ld(11, 10, 0), A.csrw(0x180, 5), A.ld(12, 10, 0)];
    const { fx, pt, hart } = setup(prog);
    pt.map(VA, DATA, R | AC);
    write64(fx.mem, DATA, 1n);
    write64(fx.mem, DATA + 0x1000, 2n);
    // Same tables except VA -> DATA + 0x1000, as a copy of the root at another page.
    const root2 = PT_BASE + 0x8_0000;
    fx.mem.writeBytes(root2, fx.mem.readBytes(PT_BASE, 0x1000));
    const l1 = Number(read64(fx.mem, PT_BASE + 8 * 1) >> 10n) * 4096; // VPN[2] of 0x4000_0000 is 1
    const l1copy = root2 + 0x1000;
    fx.mem.writeBytes(l1copy, fx.mem.readBytes(l1, 0x1000));
    write64(fx.mem, root2 + 8, pte(l1copy, V));
    const l0copy = root2 + 0x2000;
    write64(fx.mem, l1copy, pte(l0copy, V));
    write64(fx.mem, l0copy, pte(DATA + 0x1000, V | R | AC));
    hart.setX(5, (8n << 60n) | BigInt(Math.floor(root2 / 4096)));
    go(hart, A.count(prog));
    expect(csr(hart, 0x342)).toBe(0n);
    expect([hart.getXBig(11), hart.getXBig(12)]).toEqual([1n, 2n]);
  });
});

describe("MPRV", () => {
  const VA = 0x4000_0000n;
  it("M-mode loads and stores translate with MPP = S when MPRV is set; fetches do not", () => {
    const prog = [A.li(10, VA), A.ld(11, 10, 0), A.sd(11, 10, 8)];
    const { fx, pt, hart } = setup(prog, { priv: 3, mstatus: MPRV | (1 << 11) });
    // RAM_BASE's identity mapping lacks nothing, but the code runs in M, untranslated.
    pt.map(VA, DATA, R | W | AC | D);
    write64(fx.mem, DATA, 0x99n);
    go(hart, A.count(prog));
    expect(csr(hart, 0x342)).toBe(0n);
    expect(read64(fx.mem, DATA + 8)).toBe(0x99n);
  });

  it("MPRV with MPP = U applies U-mode permissions", () => {
    const prog = [A.li(10, VA), A.ld(11, 10, 0)];
    const { pt, hart } = setup(prog, { priv: 3, mstatus: MPRV });
    pt.map(VA, DATA, R | AC);
    go(hart, A.count(prog));
    expect(mtrap(hart)).toMatchObject({ cause: 13n, tval: VA });
  });

  it("MPRV with MPP = M leaves accesses untranslated", () => {
    const prog = [A.li(10, DATA), A.ld(11, 10, 0)];
    const { fx, hart } = setup(prog, { priv: 3, mstatus: MPRV | (3 << 11) });
    write64(fx.mem, DATA, 0x55n);
    go(hart, A.count(prog));
    expect(hart.getXBig(11)).toBe(0x55n);
  });
});
