/** Writes the generated artifacts. Run with `pnpm --filter @monovisor/paravirt-abi gen`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCHeader } from "./c-header.js";
import { renderMarkdown } from "./markdown.js";

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const GENERATED_FILES: readonly { readonly path: string; readonly render: () => string }[] = [
  { path: "include/monovisor/sbi.h", render: renderCHeader },
  { path: "docs/abi.md", render: renderMarkdown },
];

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of GENERATED_FILES) {
    const target = resolve(PACKAGE_ROOT, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.render());
    console.log(`wrote ${file.path}`);
  }
}
