import { describe, expect, it } from "vitest";
import { addi, jal, makeHart, RAM_BASE } from "./test-asm.testing.js";

const PAUSE = 0x0100000f;
const T0 = 5;

/** `loop: addi t0, t0, 1; pause; j loop` */
const spin = [addi(T0, T0, 1), PAUSE, jal(0, -8)];

describe("pause (Zihintpause) as a scheduling hint", () => {
  it("ends the run when the hart's runner asks for pause yields (shared memory)", () => {
    const { hart } = makeHart({ shared: true, program: spin });
    hart.pauseYields = true;
    const retired = hart.run(10_000);
    // addi, then pause retires and ends the run, with the pc after it.
    expect(retired).toBe(2);
    expect(hart.yieldRequested).toBe(true);
    expect(hart.pc).toBe(RAM_BASE + 8);
    expect(hart.getX(T0)).toBe(1);
  });

  it("is a no-op otherwise, on shared and private memory alike", () => {
    for (const shared of [true, false]) {
      const { hart } = makeHart({ shared, program: spin });
      expect(hart.run(3000)).toBe(3000);
      expect(hart.yieldRequested).toBe(false);
      expect(hart.getX(T0)).toBe(1000);
    }
  });
});
