import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatMac } from "@monovisor/devmodel";
import { describe, expect, it } from "vitest";
import { deviceSpecs, openDevices, parseNetSpec } from "./devices.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const MAIN = join(ROOT, "apps/cli/src/main.ts");

describe("--net", () => {
  it("parses dgram links with a MAC derived from the local address", () => {
    const a = parseNetSpec("dgram,local=127.0.0.1:4001,remote=127.0.0.1:4002");
    expect(a).toMatchObject({
      kind: "dgram",
      local: { host: "127.0.0.1", port: 4001 },
      remote: { host: "127.0.0.1", port: 4002 },
      linkUp: true,
    });
    expect(formatMac(a.mac)).toMatch(/^52:54:00:/);
    const b = parseNetSpec("dgram,local=127.0.0.1:4002,remote=127.0.0.1:4001,link=off");
    expect(b.mac).not.toEqual(a.mac);
    expect(b.linkUp).toBe(false);
    expect(parseNetSpec("dgram,local=127.0.0.1:4001,remote=127.0.0.1:4002").mac).toEqual(a.mac);
    const c = parseNetSpec("dgram,local=[::1]:4001,remote=[::1]:4002,mac=52:54:00:aa:bb:cc");
    expect(formatMac(c.mac)).toBe("52:54:00:aa:bb:cc");
    expect(c.local.host).toBe("::1");
  });

  it("rejects bad specs with one line naming the problem", () => {
    expect(() => parseNetSpec("switch=lan0")).toThrow(/one process/);
    expect(() => parseNetSpec("user")).toThrow(/expected dgram/);
    expect(() => parseNetSpec("dgram,local=127.0.0.1:1")).toThrow(/remote= are required/);
    expect(() => parseNetSpec("dgram,local=127.0.0.1,remote=127.0.0.1:2")).toThrow(/not host:port/);
    expect(() => parseNetSpec("dgram,local=h:1,remote=h:2,mac=01:00:00:00:00:01")).toThrow(/multicast/);
    expect(() => parseNetSpec("dgram,local=h:1,remote=h:2,mtu=9000")).toThrow(/unknown option 'mtu=9000'/);
  });

  it("opens and closes the UDP sockets with the devices", async () => {
    const specs = deviceSpecs({ net: ["dgram,local=127.0.0.1:0,remote=127.0.0.1:9"], rng: true });
    const devices = await openDevices(specs);
    expect(devices.virtio.map((d) => d.deviceId)).toEqual([4, 1]);
    expect(await devices.close()).toEqual([]);
  });
});

/** A loopback UDP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((done) => s.bind(0, "127.0.0.1", () => done()));
  const port = s.address().port;
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

function hvRun(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, "run", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill(), 90_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

const guests = join(process.env.MONOVISOR_GUESTS ?? resolve(ROOT, "../shared/guests"), "linux-6.1-virt");
/**
 * Waits until the kernel has answered at least four ICMP echo requests (InEchos in
 * /proc/net/snmp) and then none for 5 s. A count alone is not enough: the client's first probes
 * may time out on a loaded host and still be answered here, so four would come before the last
 * of its three pings.
 */
const ECHOS_SEEN = [
  "echos() { awk '/^Icmp:/{if(!h){for(i=1;i<=NF;i++)if($i==\"InEchos\")c=i;h=1}else print $c}' /proc/net/snmp; }",
  'last=-1; while n=$(echos); [ "$n" -lt 4 ] || [ "$n" != "$last" ]; do last=$n; sleep 5; done',
].join("\n");
const script = (s: string[]) => `run=${Buffer.from(`${s.join("\n")}\n`).toString("base64")}`;

describe.skipIf(!existsSync(join(guests, "Image")))("two hv run processes on a dgram link", () => {
  it("ping each other", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const guest = (ip: string, local: number, remote: number, extra: string[]) => [
      "--kernel",
      join(guests, "Image"),
      "--initrd",
      join(guests, "initramfs.cpio.gz"),
      "--mem",
      "128M",
      "--net",
      `dgram,local=127.0.0.1:${local},remote=127.0.0.1:${remote}`,
      "--append",
      `console=ttyS0 quiet ${script(["ip link set eth0 up", `ip addr add ${ip}/24 dev eth0`, ...extra])}`,
    ];
    const [server, client] = await Promise.all([
      // The server answers until it has seen the client's four echo requests, then powers off.
      hvRun(guest("10.0.2.1", p1, p2, [ECHOS_SEEN, "sleep 1", "echo server-saw-pings"])),
      hvRun(
        guest("10.0.2.2", p2, p1, [
          "i=0; until ping -c 1 -W 1 10.0.2.1 >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 60 ] && break; done",
          "ping -c 3 10.0.2.1",
        ]),
      ),
    ]);
    expect(client.status, client.stderr + client.stdout.slice(-2000)).toBe(0);
    expect(client.stdout).toMatch(/3 packets transmitted, 3 packets received, 0% packet loss/);
    expect(server.status, server.stderr + server.stdout.slice(-2000)).toBe(0);
    expect(server.stdout).toContain("server-saw-pings");
  }, 120_000);
});
