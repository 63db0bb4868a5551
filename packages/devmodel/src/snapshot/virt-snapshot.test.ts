import { describe, expect, it } from "vitest";
import { BufferCharBackend } from "../backends/char-backend.js";
import { VirtConfigError, VirtMachine } from "../board/virt-machine.js";
import { VirtioRng } from "../virtio/rng/virtio-rng.js";
import { SnapshotError } from "./snapshot-file.js";

const MiB = 1024 * 1024;

/**
 * M-mode UART echo driven by the PLIC: each byte c comes back as c + 1; 'q' powers off.
 * The same program as in virt-machine.test.ts.
 */
const UART_ECHO = new Uint8Array(
  Uint32Array.from([
    0x0c0002b7, 0x00100313, 0x0262a423, 0x0c0023b7, 0x40000313, 0x0063a023, 0x0c2003b7, 0x0003a023,
    0x10000e37, 0x00100313, 0x006e00a3, 0x00000317, 0x02430313, 0x30531073, 0x00001337, 0x8003031b,
    0x30431073, 0x30046073, 0x10500073, 0xffdff06f, 0x0c2003b7, 0x0043839b, 0x0003ae83, 0x005e4303,
    0x00137313, 0x00030e63, 0x000e4f03, 0x07100313, 0x006f0c63, 0x001f0f13, 0x01ee0023, 0xfe1ff06f,
    0x01d3a023, 0x30200073, 0x00100337, 0x00005fb7, 0x555f8f9b, 0x01f32023, 0xff1ff06f,
  ]).buffer,
);

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe("VirtMachine pause, saveSnapshot, fromSnapshot", () => {
  it("a machine restored from a paused one carries on where it was", async () => {
    const console = new BufferCharBackend();
    const vm = new VirtMachine({ bios: "none", kernel: UART_ECHO, memoryBytes: 16 * MiB, console });
    const running = vm.run();
    vm.sendInput(new TextEncoder().encode("a"));
    await until(() => console.text() === "b");
    await expect(vm.saveSnapshot()).rejects.toThrow(/pause/);
    await vm.pause();
    expect(vm.paused).toBe(true);
    const snapshot = await vm.saveSnapshot();

    // The original runs on after resume.
    vm.resume();
    vm.sendInput(new TextEncoder().encode("x"));
    await until(() => console.text() === "by");
    vm.stop();
    expect(await running).toEqual({ kind: "stopped" });

    const console2 = new BufferCharBackend();
    const restored = VirtMachine.fromSnapshot(snapshot, { console: console2 });
    expect(restored.flow).toBe("none");
    expect(restored.memory.ramSize).toBe(16 * MiB);
    const exit = restored.run();
    restored.sendInput(new TextEncoder().encode("cq"));
    expect(await exit).toEqual({ kind: "poweroff" });
    expect(console2.text()).toBe("d");
  });

  it("refuses other devices than the snapshot's, and damaged files", async () => {
    const vm = new VirtMachine({ bios: "none", kernel: UART_ECHO, memoryBytes: 16 * MiB });
    await vm.pause();
    const snapshot = await vm.saveSnapshot();
    expect(() => VirtMachine.fromSnapshot(snapshot, { virtio: [new VirtioRng()] })).toThrow(VirtConfigError);
    const bad = snapshot.slice();
    bad[bad.length - 100] ^= 1;
    expect(() => VirtMachine.fromSnapshot(bad)).toThrow(SnapshotError);
  });
});
