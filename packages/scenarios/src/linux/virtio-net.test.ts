import { VirtioNet, VirtMachine, VirtualSwitch } from "@monovisor/devmodel";
import { describe, expect, it } from "vitest";
import { ConsoleRecorder, guestFile, runScriptArg } from "./guests.js";

const LINUX = "linux-6.1-virt";
const TIMEOUT_MS = 45_000;

/** Addresses live only on the in-process segment, never on a host interface. */
const SERVER = [
  "ip link set eth0 up",
  "ip addr add 10.0.2.1/24 dev eth0",
  "cat /sys/class/net/eth0/address | sed 's/^/mac: /'",
  "echo net-ready",
  // Stopped by the test once the client is done.
  "sleep 120",
  "",
].join("\n");

const CLIENT = [
  "ip link set eth0 up",
  "ip addr add 10.0.2.2/24 dev eth0",
  "cat /sys/class/net/eth0/address | sed 's/^/mac: /'",
  // The peer boots concurrently: wait until it answers, then measure.
  "i=0; until ping -c 1 -W 1 10.0.2.1 >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 30 ] && break; done",
  "ping -c 3 10.0.2.1",
  "",
].join("\n");

function machine(script: string, lan: VirtualSwitch, name: string) {
  const console = new ConsoleRecorder();
  const net = new VirtioNet({ backend: lan.attach(name), macSeed: name });
  const vm = new VirtMachine({
    kernel: guestFile(`${LINUX}/Image`),
    initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
    cmdline: `console=ttyS0 quiet ${runScriptArg(script)}`,
    memoryBytes: 128 * 1024 * 1024,
    virtio: [net],
    console,
    onWarning: (message) => {
      throw new Error(message);
    },
  });
  return { vm, console, net };
}

describe("Linux 6.1 with virtio-net on a virtual switch", () => {
  it("two guests in one process ping each other with no loss", async () => {
    const lan = new VirtualSwitch({ name: "lan0" });
    const server = machine(SERVER, lan, "server");
    const client = machine(CLIENT, lan, "client");
    const started = performance.now();
    const timer = setTimeout(() => {
      server.vm.stop();
      client.vm.stop();
    }, TIMEOUT_MS);
    try {
      const serverRun = server.vm.run();
      const clientExit = await client.vm.run();
      server.vm.stop();
      const serverExit = await serverRun;
      const seconds = (performance.now() - started) / 1000;
      expect(clientExit, client.console.text.slice(-3000)).toEqual({ kind: "poweroff" });
      expect(serverExit, server.console.text.slice(-3000)).toEqual({ kind: "stopped" });
      expect(server.console.text).toContain("net-ready");
      expect(client.console.text).toContain("monovisor-guest: exit=0");
      expect(client.console.text).toMatch(/3 packets transmitted, 3 packets received, 0% packet loss/);
      expect(client.console.text).toContain(`mac: ${lan.macTable().find((e) => e.port === "client")?.mac}`);
      expect(server.net.stats().rx.frames).toBeGreaterThanOrEqual(3);
      const rtt = client.console.text.match(/round-trip .*/)?.[0];
      console.info(`virtio-net: two guests, ${seconds.toFixed(1)} s; ${rtt}`);
    } finally {
      clearTimeout(timer);
    }
  }, 60_000);
});
