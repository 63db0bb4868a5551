import { type SymbolEntry, SymbolTable } from "./symbol-table.js";

export interface SystemMapOptions {
  /** `text` keeps code symbols (t, T, w, W); `all` adds data, rodata and bss. */
  readonly symbols?: "text" | "all";
}

const TEXT_TYPES = new Set(["t", "T", "w", "W"]);
/** Absolute, undefined and debugging symbols name no guest address worth reporting. */
const SKIPPED_TYPES = new Set(["a", "A", "U", "u", "N", "n", "?"]);
const LINE = /^([0-9a-fA-F]+)\s+(\S)\s+(\S+)/;

/** Parses Linux `System.map` (`nm -n` output): `ffffffff8033b04e T start_kernel`. */
export function parseSystemMap(text: string, options: SystemMapOptions = {}): SymbolTable {
  const onlyText = (options.symbols ?? "text") === "text";
  const entries: SymbolEntry[] = [];
  const hints: bigint[] = [];
  for (const line of text.split("\n")) {
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, hex, type, name] = match;
    if (SKIPPED_TYPES.has(type) || name.startsWith("$") || name.startsWith(".L")) continue;
    const address = BigInt(`0x${hex}`);
    if (onlyText && !TEXT_TYPES.has(type)) {
      hints.push(address);
      continue;
    }
    entries.push({ name, address, global: type === type.toUpperCase() });
  }
  return new SymbolTable(entries, hints);
}
