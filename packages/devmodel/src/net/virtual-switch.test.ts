import { describe, expect, it } from "vitest";
import { DgramNetBackend } from "./dgram-backend.js";
import { formatMac, macFromSeed, parseMac } from "./net-backend.js";
import { VirtualSwitch } from "./virtual-switch.js";

const BROADCAST = "ff:ff:ff:ff:ff:ff";

function frame(dst: string, src: string, payload = "hi"): Uint8Array {
  const p = new TextEncoder().encode(payload);
  const f = new Uint8Array(14 + p.length);
  f.set(parseMac(dst), 0);
  f.set(parseMac(src), 6);
  f[12] = 0x08;
  f.set(p, 14);
  return f;
}

function attachRecording(sw: VirtualSwitch, name: string) {
  const port = sw.attach(name);
  const got: string[] = [];
  port.setReceiver((f) => got.push(`${formatMac(f.subarray(6, 12))}>${formatMac(f.subarray(0, 6))}`));
  return { port, got };
}

const A = "52:54:00:00:00:0a";
const B = "52:54:00:00:00:0b";
const C = "52:54:00:00:00:0c";

describe("VirtualSwitch", () => {
  it("floods unknown and broadcast destinations, then forwards to learned ports only", () => {
    const sw = new VirtualSwitch();
    const a = attachRecording(sw, "a");
    const b = attachRecording(sw, "b");
    const c = attachRecording(sw, "c");

    a.port.send(frame(BROADCAST, A));
    expect(a.got).toEqual([]);
    expect(b.got).toEqual([`${A}>${BROADCAST}`]);
    expect(c.got).toEqual([`${A}>${BROADCAST}`]);

    // B is unknown: flooded; A is known: only A gets the reply.
    c.port.send(frame(B, C));
    expect(b.got).toHaveLength(2);
    expect(a.got).toEqual([`${C}>${B}`]);
    b.port.send(frame(A, B));
    expect(a.got).toEqual([`${C}>${B}`, `${B}>${A}`]);
    expect(c.got).toHaveLength(1);

    // Every address is known now: unicast reaches exactly one port.
    a.port.send(frame(B, A));
    expect(b.got.at(-1)).toBe(`${A}>${B}`);
    expect(c.got).toHaveLength(1);
    expect(sw.macTable()).toEqual(
      expect.arrayContaining([
        { mac: A, port: "a" },
        { mac: B, port: "b" },
        { mac: C, port: "c" },
      ]),
    );
    expect(a.port.stats().in).toEqual({ frames: 2, bytes: 32, dropped: 0 });
    expect(b.port.stats().out.frames).toBe(3);
  });

  it("relearns a moved address, drops frames for the sending port and runts", () => {
    const sw = new VirtualSwitch();
    const a = attachRecording(sw, "a");
    const b = attachRecording(sw, "b");
    a.port.send(frame(BROADCAST, A));
    b.port.send(frame(BROADCAST, A)); // A moved to b
    expect(sw.macTable()).toEqual([{ mac: A, port: "b" }]);
    b.port.send(frame(A, B)); // destination on the sending port
    expect(sw.dropped).toBe(1);
    expect(a.got).toHaveLength(1);
    a.port.send(new Uint8Array(5));
    expect(sw.dropped).toBe(2);
    // Multicast sources are never learned.
    a.port.send(frame(BROADCAST, "01:00:5e:00:00:01"));
    expect(sw.macTable().map((e) => e.mac)).not.toContain("01:00:5e:00:00:01");
  });

  it("keeps separate switches isolated and forgets closed ports", () => {
    const lan1 = new VirtualSwitch({ name: "lan1" });
    const lan2 = new VirtualSwitch({ name: "lan2" });
    const a = attachRecording(lan1, "a");
    const b = attachRecording(lan1, "b");
    const c = attachRecording(lan2, "c");
    a.port.send(frame(BROADCAST, A));
    expect(b.got).toHaveLength(1);
    expect(c.got).toHaveLength(0);
    b.port.close();
    expect(lan1.ports.map((p) => p.name)).toEqual(["a"]);
    b.port.send(frame(A, B));
    expect(a.got).toHaveLength(0);
    expect(b.port.stats().in.dropped).toBe(1);
  });

  it("derives stable QEMU-style MACs", () => {
    expect(formatMac(macFromSeed("x"))).toMatch(/^52:54:00:/);
    expect(macFromSeed("x")).toEqual(macFromSeed("x"));
    expect(macFromSeed("x")).not.toEqual(macFromSeed("y"));
    expect(() => parseMac("52:54:00:00:00")).toThrow(RangeError);
  });
});

describe("DgramNetBackend", () => {
  it("carries one frame per datagram between two loopback endpoints", async () => {
    const a = await DgramNetBackend.open({
      local: { host: "127.0.0.1", port: 0 },
      remote: { host: "127.0.0.1", port: 9 },
    });
    const b = await DgramNetBackend.open({
      local: { host: "127.0.0.1", port: 0 },
      remote: { host: "127.0.0.1", port: a.local.port },
    });
    // a now learns b's port: reopen a pointed at b.
    const aPort = a.local.port;
    await a.close();
    const a2 = await DgramNetBackend.open({
      local: { host: "127.0.0.1", port: aPort },
      remote: { host: "127.0.0.1", port: b.local.port },
    });
    try {
      const got = new Promise<Uint8Array>((resolve) => b.setReceiver((f) => resolve(f.slice())));
      const sent = frame(B, A, "over udp");
      a2.send(sent);
      expect(await got).toEqual(sent);
      expect(b.rx.frames).toBe(1);
    } finally {
      await a2.close();
      await b.close();
    }
  });
});
