import { Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { BufferCharBackend } from "../backends/char-backend.js";
import { MemoryBlockBackend } from "../block/memory-backend.js";
import { parseDtb } from "../fdt/reader.js";
import { VirtioBlk } from "../virtio/blk/virtio-blk.js";
import { VIRTIO_ID_BLOCK, VIRTIO_ID_RNG } from "../virtio/constants.js";
import { VirtioRng } from "../virtio/rng/virtio-rng.js";
import { VirtioTestDriver } from "../virtio/testing/virtio-test-driver.testing.js";
import { FW_DYNAMIC_INFO_MAGIC } from "./boot-layout.js";
import { VirtConfigError, VirtMachine } from "./virt-machine.js";

const MiB = 1024 * 1024;

function words(list: number[]): Uint8Array {
  return new Uint8Array(Uint32Array.from(list).buffer);
}

/**
 * M-mode echo over the UART, driven by its interrupt through the PLIC (assembled from):
 *   PLIC priority[10] = 1, enable source 10 for context 0 (hart 0 M), threshold 0;
 *   UART IER = ERBFI; mtvec = trap; mie.MEIE; mstatus.MIE; idle: wfi; j idle
 *   trap: claim; while LSR.DR { c = RBR; if c == 'q' poweroff (0x5555 -> 0x100000); THR = c + 1 }
 *         complete; mret
 */
const UART_ECHO = words([
  0x0c0002b7, 0x00100313, 0x0262a423, 0x0c0023b7, 0x40000313, 0x0063a023, 0x0c2003b7, 0x0003a023, 0x10000e37,
  0x00100313, 0x006e00a3, 0x00000317, 0x02430313, 0x30531073, 0x00001337, 0x8003031b, 0x30431073, 0x30046073,
  0x10500073, 0xffdff06f, 0x0c2003b7, 0x0043839b, 0x0003ae83, 0x005e4303, 0x00137313, 0x00030e63, 0x000e4f03,
  0x07100313, 0x006f0c63, 0x001f0f13, 0x01ee0023, 0xfe1ff06f, 0x01d3a023, 0x30200073, 0x00100337, 0x00005fb7,
  0x555f8f9b, 0x01f32023, 0xff1ff06f,
]);

/** `li t0, 0x40000000; jr t0`: jumps to nothing with no trap vector. */
const JUMP_TO_NOWHERE = words([0x400002b7, 0x00028067]);

/**
 * An S-mode payload behind a RISC-V `Image` header: prints '0' + a0 with the legacy SBI console,
 * reads sstatus, then asks SRST for a shutdown.
 */
function sbiShutdownImage(): Uint8Array {
  const code = words([
    0x00050413, 0x00100893, 0x03040513, 0x00000073, 0x100022f3, 0x535258b7, 0x3548889b, 0x00000813,
    0x00000513, 0x00000593, 0x00000073, 0x0000006f,
  ]);
  const image = new Uint8Array(64 + code.length);
  const view = new DataView(image.buffer);
  view.setUint32(0, 0x0400_006f, true); // j 64
  view.setBigUint64(0x08, 0x20_0000n, true); // text_offset
  view.setBigUint64(0x10, BigInt(image.length), true); // image_size
  view.setUint32(0x20, 2, true); // version 0.2
  image.set(new TextEncoder().encode("RISCV\0\0\0RSC\x05"), 0x30);
  image.set(code, 64);
  return image;
}

describe("VirtMachine", () => {
  it("delivers UART interrupts through the PLIC to a hart, end to end", async () => {
    const console = new BufferCharBackend();
    const vm = new VirtMachine({ bios: "none", kernel: UART_ECHO, memoryBytes: 16 * MiB, console });
    const exit = vm.run();
    // Input arrives while the hart sleeps in wfi: it must wake the machine.
    setTimeout(() => vm.sendInput(new TextEncoder().encode("HAL")), 30);
    setTimeout(() => vm.sendInput(new TextEncoder().encode("q")), 80);
    expect(await exit).toEqual({ kind: "poweroff" });
    expect(console.text()).toBe("IBM");
  });

  it("sleeps while every hart waits, until stopped", async () => {
    const vm = new VirtMachine({ bios: "none", kernel: UART_ECHO, memoryBytes: 16 * MiB });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    setTimeout(() => vm.stop(), 300);
    expect(await vm.run()).toEqual({ kind: "stopped" });
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - started;
    expect(wallMs).toBeGreaterThanOrEqual(250);
    // An idle guest must not spin: allow generous slack for a loaded host.
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(wallMs * 0.5);
  });

  it("boots an Image in S-mode with the SBI served by the hypervisor", async () => {
    const console = new BufferCharBackend();
    const vm = new VirtMachine({
      kernel: sbiShutdownImage(),
      hartCount: 2,
      memoryBytes: 32 * MiB,
      console,
      cmdline: "hello",
    });
    expect(vm.flow).toBe("hypervisor");
    expect(vm.entry).toBe(0x8020_0000);
    expect(vm.harts[0].getX(11)).toBe(vm.dtbAddress);
    expect(vm.sbi?.isRunnable(1)).toBe(false);
    const tree = parseDtb(vm.memory.readBytes(vm.dtbAddress, vm.dtb.length));
    expect(tree.find("/chosen")?.getString("bootargs")).toBe("hello");
    expect(await vm.run()).toEqual({ kind: "poweroff" });
    expect(console.text()).toBe("0");
  });

  it("starts firmware in M-mode with a0 = hartid, a1 = dtb, a2 = fw_dynamic_info", () => {
    const bios = new Uint8Array(4096);
    const kernel = new Uint8Array([1, 2, 3, 4]);
    const initrd = new Uint8Array(8192).fill(7);
    const vm = new VirtMachine({ bios, kernel, initrd, hartCount: 2, memoryBytes: 64 * MiB });
    expect(vm.flow).toBe("firmware");
    for (const hart of vm.harts) {
      expect([hart.pc, hart.priv, hart.getX(10), hart.getX(11)]).toEqual([
        0x8000_0000,
        3,
        hart.hartId,
        vm.dtbAddress,
      ]);
    }
    expect(Array.from(vm.memory.readBytes(0x8020_0000, 4))).toEqual([1, 2, 3, 4]);
    const info = new DataView(vm.memory.readBytes(vm.harts[0].getX(12), 48).buffer);
    const field = (i: number) => Number(info.getBigUint64(8 * i, true));
    expect([field(0), field(1), field(2), field(3), field(5)]).toEqual([
      FW_DYNAMIC_INFO_MAGIC,
      2,
      0x8020_0000,
      1,
      0,
    ]);
    const chosen = parseDtb(vm.dtb).find("/chosen");
    const start = Number(chosen?.getU64("linux,initrd-start"));
    expect(Number(chosen?.getU64("linux,initrd-end")) - start).toBe(initrd.length);
    expect(vm.memory.readBytes(start, 4)).toEqual(new Uint8Array([7, 7, 7, 7]));
  });

  it("reports a hart stuck on an unfetchable trap vector as a crash", async () => {
    const vm = new VirtMachine({ bios: "none", kernel: JUMP_TO_NOWHERE, memoryBytes: 16 * MiB });
    const exit = await vm.run();
    expect(exit.kind).toBe("crash");
    expect(exit.kind === "crash" && exit.message).toMatch(/instruction access fault at pc 0x40000000/);
  });

  it("rejects configurations it cannot boot", () => {
    const kernel = sbiShutdownImage();
    expect(() => new VirtMachine({ kernel, memoryBytes: 8 * MiB })).toThrow(VirtConfigError);
    expect(() => new VirtMachine({ kernel, hartCount: 9 })).toThrow(/1\.\.8 harts/);
    expect(() => new VirtMachine({})).toThrow(/kernel is required/);
    expect(() => new VirtMachine({ kernel: new Uint8Array(100) })).toThrow(/RISCV/);
    // Threads write the tracer's rings from other threads: it must live in shared memory.
    const tracer = new Tracer({ vcpus: 1 });
    expect(() => new VirtMachine({ kernel, threads: 1, tracer })).toThrow(/shared: true/);
    expect(() => new VirtMachine({ kernel, threads: 1, deterministic: true })).toThrow(/deterministic/);
  });

  describe("virtio slots", () => {
    const SLOT0 = 0x1000_1000;
    /** PLIC pending word 0 (sources 0..31). */
    const PLIC_PENDING = 0x0c00_1000;
    const mmio = (vm: VirtMachine, addr: number): number => {
      const region = vm.bus.find(addr);
      if (region === undefined) throw new Error(`nothing mapped at ${addr.toString(16)}`);
      return region.device.read(addr - region.base, 4);
    };

    it("maps devices in slot order and leaves the other slots empty", () => {
      const blk = new VirtioBlk({ backend: new MemoryBlockBackend(1 * MiB) });
      const vm = new VirtMachine({
        bios: "none",
        kernel: UART_ECHO,
        memoryBytes: 16 * MiB,
        virtio: [new VirtioRng(), { device: blk, legacy: true }],
      });
      expect([mmio(vm, SLOT0), mmio(vm, SLOT0 + 4), mmio(vm, SLOT0 + 8)]).toEqual([
        0x7472_6976,
        2,
        VIRTIO_ID_RNG,
      ]);
      expect([mmio(vm, SLOT0 + 0x1000 + 4), mmio(vm, SLOT0 + 0x1000 + 8)]).toEqual([1, VIRTIO_ID_BLOCK]);
      expect([mmio(vm, SLOT0 + 0x2000), mmio(vm, SLOT0 + 0x2000 + 8)]).toEqual([0x7472_6976, 0]);
      expect(vm.virtio.map((t) => t.name)).toEqual(["virtio-mmio0", "virtio-mmio1"]);
    });

    it("runs device work and raises PLIC source 1 while the hart sleeps in wfi", async () => {
      const vm = new VirtMachine({
        bios: "none",
        kernel: UART_ECHO,
        memoryBytes: 16 * MiB,
        virtio: [new VirtioRng({ entropy: (b) => b.fill(0x5a) })],
      });
      const running = vm.run();
      // Let the hart reach wfi: the machine then sleeps up to a second with no timer armed.
      await new Promise((r) => setTimeout(r, 30));
      const driver = new VirtioTestDriver(vm.virtio[0], vm.memory, {
        start: 0x8080_0000,
        end: 0x80a0_0000,
      });
      driver.init();
      driver.post(0, [{ in: 8 }]);
      const kicked = performance.now();
      driver.kick(0);
      while ((mmio(vm, PLIC_PENDING) & 0b10) === 0 && performance.now() - kicked < 2000) {
        await new Promise((r) => setTimeout(r, 1));
      }
      const latency = performance.now() - kicked;
      vm.stop();
      expect(await running).toEqual({ kind: "stopped" });
      expect(mmio(vm, PLIC_PENDING) & 0b10).toBe(0b10);
      expect(latency).toBeLessThan(200);
      const [used] = driver.takeUsed(0);
      expect([...used.written]).toEqual(Array(8).fill(0x5a));
    });

    it("rejects more than eight devices", () => {
      const virtio = Array.from({ length: 9 }, () => new VirtioRng());
      expect(() => new VirtMachine({ bios: "none", kernel: UART_ECHO, virtio })).toThrow(
        /8 virtio-mmio slots, not 9/,
      );
    });
  });
});

/**
 * M-mode, no trap handler: mtimecmp = mtime + 1.6e9 ticks (160 s at 10 MHz), mie.MTIE, wfi,
 * then syscon poweroff. `wfi` wakes on the pending MTIP even with mstatus.MIE clear.
 */
const WAIT_160S = words([
  0x0200c2b7, 0xff828293, 0x0002b303, 0x5f5e13b7, 0x00730333, 0x02004e37, 0x006e3023, 0x08000e93, 0x304ea073,
  0x10500073, 0x00100f37, 0x00005fb7, 0x555f8f93, 0x01ff2023, 0x0000006f,
]);

describe("VirtMachine, deterministic mode", () => {
  it("jumps the clock to the next deadline when every hart waits, without sleeping", async () => {
    const vm = new VirtMachine({
      bios: "none",
      kernel: WAIT_160S,
      memoryBytes: 16 * MiB,
      deterministic: true,
    });
    const started = performance.now();
    expect(await vm.run()).toEqual({ kind: "poweroff" });
    expect(performance.now() - started).toBeLessThan(5000);
    const deadline = 1_600_000_000;
    // The first instructions take a tick; the jump lands exactly on the deadline.
    expect(vm.clock.now()).toBeGreaterThanOrEqual(deadline);
    expect(vm.clock.now()).toBeLessThan(deadline + 10);
    expect(vm.harts[0].instret).toBeLessThan(20);
  });

  it("gives the same time and counts on every run, whatever the host's speed", async () => {
    const runOnce = async () => {
      const vm = new VirtMachine({
        bios: "none",
        kernel: WAIT_160S,
        memoryBytes: 16 * MiB,
        hartCount: 2,
        deterministic: true,
      });
      await vm.run();
      return { time: vm.clock.now(), instret: vm.harts.map((h) => h.instret), rtc: vm.rtc.saveState() };
    };
    const first = await runOnce();
    expect(await runOnce()).toEqual(first);
  });

  it("reads the RTC from the epoch plus virtual time", async () => {
    const epoch = new Date("2001-02-03T04:05:06Z");
    const vm = new VirtMachine({
      bios: "none",
      kernel: WAIT_160S,
      memoryBytes: 16 * MiB,
      deterministic: true,
      epoch,
    });
    await vm.run();
    expect(vm.rtc.guestTimeNs()).toBe(BigInt(epoch.getTime()) * 1_000_000n + BigInt(vm.clock.now()) * 100n);
  });

  it("delivers host input once every hart waits", async () => {
    const console = new BufferCharBackend();
    const vm = new VirtMachine({
      bios: "none",
      kernel: UART_ECHO,
      memoryBytes: 16 * MiB,
      console,
      deterministic: true,
    });
    vm.sendInput(new TextEncoder().encode("HALq"));
    expect(await vm.run()).toEqual({ kind: "poweroff" });
    expect(console.text()).toBe("IBM");
  });

  it("sleeps for input when no deadline is set, until stopped", async () => {
    const vm = new VirtMachine({
      bios: "none",
      kernel: UART_ECHO,
      memoryBytes: 16 * MiB,
      deterministic: true,
    });
    setTimeout(() => vm.stop(), 100);
    expect(await vm.run()).toEqual({ kind: "stopped" });
  });

  it("refuses a clock of its own", () => {
    expect(
      () =>
        new VirtMachine({
          bios: "none",
          kernel: WAIT_160S,
          deterministic: true,
          clock: { frequencyHz: 10_000_000, now: () => 0 },
        }),
    ).toThrow(VirtConfigError);
  });
});
