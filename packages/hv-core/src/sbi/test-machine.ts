/** A small machine of real harts around an SBI server, for the SBI tests. */
import { Hart } from "../hart/hart.js";
import { FakeClock } from "../irq/test-doubles.js";
import { MmioBus } from "../memory/bus.js";
import { GuestMemory } from "../memory/guest-memory.js";
import { SbiServer, type SbiServerOptions } from "./sbi-server.js";
import { enterSupervisor } from "./supervisor-entry.js";

export const RAM_BASE = 0x8000_0000;
export const RAM_SIZE = 1 << 20;
/** Where each call's `ecall` sits; the hart returns to ECALL_PC + 4. */
export const ECALL_PC = RAM_BASE + 0x1000;
const ECALL = 0x0000_0073;

export interface SbiResult {
  /** a0 as a signed 64-bit value. */
  readonly error: bigint;
  /** a1 as an unsigned 64-bit value. */
  readonly value: bigint;
}

export function sbiMachine(hartCount = 2, options: SbiServerOptions = {}, withTraceMark = true) {
  const memory = new GuestMemory({ ramBase: RAM_BASE, ramSize: RAM_SIZE, hartCount });
  const bus = new MmioBus();
  const clock = new FakeClock();
  const harts = Array.from({ length: hartCount }, (_, hartId) => new Hart({ memory, bus, clock, hartId }));
  const output: number[] = [];
  const input: number[] = [];
  const resets: [type: number, reason: number][] = [];
  const marks: [hartId: number, tag: number, value: number][] = [];
  const sbi = new SbiServer(
    {
      harts,
      consoleWrite: (bytes) => output.push(...bytes),
      consoleRead: (into) => {
        const n = Math.min(into.length, input.length);
        for (let i = 0; i < n; i++) into[i] = input.shift()!;
        return n;
      },
      systemReset: (type, reason) => resets.push([type, reason]),
      traceMark: withTraceMark ? (hartId, tag, value) => marks.push([hartId, tag, value]) : undefined,
    },
    options,
  );
  memory.i32[(memory.ramOffset + (ECALL_PC - RAM_BASE)) >>> 2] = ECALL;
  enterSupervisor(harts[0], ECALL_PC, 0, 0, { sstc: options.sstc });

  /**
   * Runs one `ecall` on `hartId` in S-mode with a7 = eid, a6 = fid and a0.. = args (others zero);
   * checks the hart retired it and moved on to the next instruction.
   */
  function call(
    hartId: number,
    eid: number | bigint,
    fid: number | bigint,
    ...args: (number | bigint)[]
  ): SbiResult {
    const hart = harts[hartId];
    hart.jumpTo(ECALL_PC, 0);
    hart.setPriv(1);
    for (let i = 0; i < 6; i++) hart.setX(10 + i, args[i] ?? 0);
    hart.setX(16, fid);
    hart.setX(17, eid);
    const retired = hart.run(1);
    if (retired !== 1) throw new Error(`hart ${hartId} did not retire the ecall (run returned ${retired})`);
    return { error: BigInt.asIntN(64, hart.getXBig(10)), value: hart.getXBig(11) };
  }

  function writeRam(addr: number, bytes: Uint8Array | number[]): void {
    memory.writeBytes(addr, Uint8Array.from(bytes));
  }

  const text = () => new TextDecoder().decode(Uint8Array.from(output));

  return { memory, bus, clock, harts, sbi, output, input, resets, marks, call, writeRam, text };
}

export type SbiMachine = ReturnType<typeof sbiMachine>;
