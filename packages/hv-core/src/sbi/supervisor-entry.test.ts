import { describe, expect, it } from "vitest";
import { CAUSE_ILLEGAL_INSTRUCTION, PRIV_S } from "../hart/constants.js";
import { CSR_MENVCFG, CSR_SCAUSE, CSR_STVEC } from "../hart/csr-numbers.js";
import { Hart } from "../hart/hart.js";
import { FakeClock } from "../irq/test-doubles.js";
import { MmioBus } from "../memory/bus.js";
import { GuestMemory } from "../memory/guest-memory.js";
import { enterSupervisor } from "./supervisor-entry.js";

const RAM_BASE = 0x8000_0000;
const ENTRY = RAM_BASE + 0x20_0000;
const RDTIME_A5 = 0xc010_27f3; // csrrs a5, time, zero

function hart() {
  const memory = new GuestMemory({ ramBase: RAM_BASE, ramSize: 4 << 20 });
  const clock = new FakeClock();
  return { memory, clock, hart: new Hart({ memory, bus: new MmioBus(), clock }) };
}

describe("enterSupervisor", () => {
  it("starts S-mode at the entry with a0 and a1 (64-bit values kept whole)", () => {
    const { hart: h } = hart();
    h.setX(3, 42);
    enterSupervisor(h, ENTRY, 0, 0xffff_ffc0_1234_5678n);
    expect(h.priv).toBe(PRIV_S);
    expect(h.pc).toBe(ENTRY);
    expect(h.getX(10)).toBe(0);
    expect(h.getXBig(11)).toBe(0xffff_ffc0_1234_5678n);
    expect(h.getX(3)).toBe(0);
    expect(h.csrHiArr[CSR_MENVCFG]).toBe(0);
  });

  it("lets S-mode read the time CSR", () => {
    const { memory, clock, hart: h } = hart();
    memory.writeBytes(ENTRY, new Uint8Array(new Uint32Array([RDTIME_A5]).buffer));
    clock.ticks = 12345;
    enterSupervisor(h, ENTRY, 0, 0);
    h.run(1);
    expect(h.getX(15)).toBe(12345);
    expect(h.pc).toBe(ENTRY + 4);
  });

  it("delegates exceptions to S-mode, as there is no M-mode firmware", () => {
    const { hart: h } = hart();
    enterSupervisor(h, ENTRY, 0, 0); // RAM is zero: an illegal instruction
    h.csrLoArr[CSR_STVEC] = RAM_BASE + 0x1000;
    h.run(1);
    expect(h.priv).toBe(PRIV_S);
    expect(h.csrLoArr[CSR_SCAUSE]).toBe(CAUSE_ILLEGAL_INSTRUCTION);
  });

  it("enables Sstc when asked", () => {
    const { hart: h } = hart();
    enterSupervisor(h, ENTRY, 0, 0, { sstc: true });
    expect(h.csrHiArr[CSR_MENVCFG]).toBe(1 << 31);
  });
});
