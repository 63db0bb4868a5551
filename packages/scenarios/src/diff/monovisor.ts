import { readFileSync } from "node:fs";
import { type BareMetalResult, runBareMetal } from "@monovisor/devmodel";

/** Runs a bare-metal ELF on monovisor's bare-metal machine (UART, syscon, CLINT, HTIF). */
export function runOnMonovisor(elfPath: string, maxInstructions = 2e9): BareMetalResult {
  const elf = new Uint8Array(readFileSync(elfPath));
  return runBareMetal(elf, { memBytes: 128 * 1024 * 1024, maxInstructions });
}
