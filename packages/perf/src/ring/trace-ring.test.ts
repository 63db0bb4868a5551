import { describe, expect, it } from "vitest";
import { RECORD_BYTES, RECORD_HEADER, RECORD_PAYLOAD, RECORD_VALUE, RECORD_WORDS } from "./record-layout.js";
import { TraceRing } from "./trace-ring.js";

function writeN(ring: TraceRing, from: number, count: number): void {
  for (let i = from; i < from + count; i++)
    ring.write(3, ring.vcpu, i * 10, i / 2, i, i + 1, 0, 0, 0, 0, 0xdeadbeef);
}

function payloadFirsts(ring: TraceRing): number[] {
  const batch = ring.drain();
  return Array.from({ length: batch.length }, (_, i) => batch.word(i, 0));
}

describe("TraceRing", () => {
  it("writes the layout record-layout.ts describes (the writer uses literal offsets)", () => {
    expect([RECORD_WORDS, RECORD_BYTES, RECORD_VALUE, RECORD_HEADER, RECORD_PAYLOAD]).toEqual([
      12, 48, 2, 4, 5,
    ]);
    const ring = TraceRing.create({ capacity: 1 });
    ring.write(0x1234, 0xffff, 1.5, 2.5, 1, 2, 3, 4, 5, 6, 7);
    const words = ring.drain().words;
    expect(new Float64Array(words.buffer, words.byteOffset, 2)).toEqual(new Float64Array([1.5, 2.5]));
    expect(words[RECORD_HEADER]).toBe(0xffff1234);
    expect(Array.from(words.subarray(RECORD_PAYLOAD))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("rounds capacity up to a power of two and drains oldest first", () => {
    const ring = TraceRing.create({ capacity: 5, vcpu: 2 });
    expect(ring.capacity).toBe(8);
    writeN(ring, 0, 3);
    expect(ring.pending).toBe(3);
    const batch = ring.drain();
    expect(batch.length).toBe(3);
    expect(batch.timestamp(1)).toBe(10);
    expect(batch.value(2)).toBe(1);
    expect(batch.tracepointId(0)).toBe(3);
    expect(batch.vcpu(0)).toBe(2);
    expect(batch.word(2, 1)).toBe(3);
    expect(batch.word(2, 6)).toBe(0xdeadbeef);
    expect(ring.pending).toBe(0);
    expect(ring.drain().length).toBe(0);
  });

  it("overwrites the oldest records and counts them as lost", () => {
    const ring = TraceRing.create({ capacity: 8 });
    writeN(ring, 0, 20);
    expect(ring.pending).toBe(8);
    expect(ring.lost).toBe(12);
    expect(payloadFirsts(ring)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect(ring.lost).toBe(12);
    // Wrap again across the array end with a partial batch.
    writeN(ring, 20, 5);
    expect(payloadFirsts(ring)).toEqual([20, 21, 22, 23, 24]);
    writeN(ring, 25, 9);
    expect(payloadFirsts(ring)).toEqual([26, 27, 28, 29, 30, 31, 32, 33]);
    expect(ring.lost).toBe(13);
  });

  it("stops when full under the stop policy and counts refusals", () => {
    const ring = TraceRing.create({ capacity: 4, policy: "stop" });
    for (let i = 0; i < 6; i++) {
      expect(ring.write(1, 0, i, 0, i, 0, 0, 0, 0, 0, 0)).toBe(i < 4);
    }
    expect(ring.lost).toBe(2);
    expect(payloadFirsts(ring)).toEqual([0, 1, 2, 3]);
    writeN(ring, 10, 2);
    expect(payloadFirsts(ring)).toEqual([10, 11]);
    expect(ring.lost).toBe(2);
  });

  it("stores i32 payloads as two's complement words", () => {
    const ring = TraceRing.create({ capacity: 2 });
    ring.write(0, 0, 0, 0, -1, -2, 0, 0, 0, 0, 0);
    const batch = ring.drain();
    expect(batch.word(0, 0) | 0).toBe(-1);
    expect(batch.word(0, 1) | 0).toBe(-2);
  });

  it("a second view over a shared buffer sees the producer's records", () => {
    const producer = TraceRing.create({ capacity: 16, shared: true, vcpu: 1 });
    expect(producer.buffer).toBeInstanceOf(SharedArrayBuffer);
    const consumer = TraceRing.attach(producer.buffer);
    expect(consumer.capacity).toBe(16);
    expect(consumer.vcpu).toBe(1);
    writeN(producer, 0, 20);
    expect(consumer.lost).toBe(4);
    expect(payloadFirsts(consumer)).toEqual(Array.from({ length: 16 }, (_, i) => i + 4));
    writeN(producer, 20, 1);
    expect(payloadFirsts(consumer)).toEqual([20]);
  });

  it("refuses buffers that are not rings", () => {
    expect(() => TraceRing.attach(new ArrayBuffer(1024))).toThrow(TypeError);
    expect(() => TraceRing.create({ capacity: 0 })).toThrow(RangeError);
  });
});
