import { PAYLOAD_WORDS } from "../tracepoint/fields.js";

/**
 * One trace record, in 32-bit words (host byte order, little-endian everywhere we run):
 *   0..1  timestamp, f64 nanoseconds
 *   2..3  value, f64 (a span's duration, or the tracepoint's f64 field)
 *   4     tracepoint id (bits 0..15) | vCPU (bits 16..31)
 *   5..11 payload words
 * 48 bytes keeps both f64 slots 8-byte aligned in every record.
 */
export const RECORD_WORDS = 5 + PAYLOAD_WORDS;
export const RECORD_BYTES = RECORD_WORDS * 4;
export const RECORD_TS = 0;
export const RECORD_VALUE = 2;
export const RECORD_HEADER = 4;
export const RECORD_PAYLOAD = 5;

/** vCPU number for events that belong to no vCPU (I/O threads, the scheduler). */
export const HOST_VCPU = 0xffff;
