import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SBI_ERRORS, SBI_EXTENSIONS } from "../spec.js";
import { PACKAGE_ROOT } from "./main.js";
import { eidHex, renderMarkdown } from "./markdown.js";

describe("the generated Markdown reference", () => {
  const doc = renderMarkdown();

  it("matches the committed docs/abi.md (run `pnpm gen` after changing src/spec.ts)", () => {
    expect(readFileSync(resolve(PACKAGE_ROOT, "docs/abi.md"), "utf8")).toBe(doc);
  });

  it("documents every extension, function and error", () => {
    for (const ext of SBI_EXTENSIONS) {
      expect(doc).toContain(`### ${ext.title} (EID ${eidHex(ext.eid)})`);
      for (const f of ext.functions) expect(doc).toContain(`\`${f.name}\``);
    }
    for (const e of SBI_ERRORS) expect(doc).toContain(`SBI_${e.id}`);
  });

  it("states the version policy", () => {
    expect(doc).toContain("## Vendor extension and version policy");
    expect(doc).toMatch(/FIDs are never reused/);
  });
});
