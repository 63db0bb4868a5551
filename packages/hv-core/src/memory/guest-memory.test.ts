import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { GuestMemory, GuestMemoryRangeError, HART_STATE_BYTES } from "./guest-memory.js";

describe("GuestMemory.fromMemory", () => {
  it("wraps the same bytes with the same layout", () => {
    const a = new GuestMemory({ ramSize: 1 << 20, hartCount: 3, shared: true });
    const b = GuestMemory.fromMemory(a.memory, a.layout);
    expect(b.memory).toBe(a.memory);
    expect(b.buffer).toBe(a.buffer);
    expect(b.layout).toEqual({ ramBase: 0x8000_0000, ramSize: 1 << 20, hartCount: 3 });
    expect(b.ramOffset).toBe(a.ramOffset);
    expect(b.hartStateOffset(2)).toBe(2 * HART_STATE_BYTES);
    a.writeBytes(0x8000_1000, new Uint8Array([1, 2, 3]));
    expect([...b.readBytes(0x8000_1000, 3)]).toEqual([1, 2, 3]);
    b.zero(0x8000_1000, 2);
    expect([...a.readBytes(0x8000_1000, 3)]).toEqual([0, 0, 3]);
  });

  it("reports whether the buffer is shared", () => {
    const shared = new GuestMemory({ ramSize: 4096, shared: true });
    const own = new GuestMemory({ ramSize: 4096 });
    expect(shared.shared).toBe(true);
    expect(own.shared).toBe(false);
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(GuestMemory.fromMemory(shared.memory, shared.layout).shared).toBe(true);
    expect(GuestMemory.fromMemory(own.memory, own.layout).shared).toBe(false);
  });

  it("checks the layout as the constructor does, and that the memory can hold it", () => {
    const small = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
    expect(() => GuestMemory.fromMemory(small, { ramSize: 1000 })).toThrow(GuestMemoryRangeError);
    expect(() => GuestMemory.fromMemory(small, { ramSize: 4096, hartCount: 0 })).toThrow(
      GuestMemoryRangeError,
    );
    expect(() => GuestMemory.fromMemory(small, { ramSize: 4096, ramBase: 0x8000_0800 })).toThrow(
      GuestMemoryRangeError,
    );
    // 64 KiB of hart state, then the RAM: 64 KiB fits, 64 KiB + 4 KiB does not.
    expect(GuestMemory.fromMemory(small, { ramSize: 0x1_0000 }).ramOffset).toBe(0x1_0000);
    expect(() => GuestMemory.fromMemory(small, { ramSize: 0x1_1000 })).toThrow(/cannot hold/);
  });

  it("wraps a memory that went through postMessage (structured clone shares the buffer)", async () => {
    const mem = new GuestMemory({ ramSize: 1 << 16, shared: true });
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<{ memory: WebAssembly.Memory; layout: GuestMemory["layout"] }>((resolve) =>
      port2.once("message", resolve),
    );
    port1.postMessage({ memory: mem.memory, layout: mem.layout });
    const { memory, layout } = await received;
    port1.close();
    const copy = GuestMemory.fromMemory(memory, layout);
    copy.writeBytes(0x8000_0000, new Uint8Array([0x5a]));
    expect(mem.readBytes(0x8000_0000, 1)[0]).toBe(0x5a);
  });
});
