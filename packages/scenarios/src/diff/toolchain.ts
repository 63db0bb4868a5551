import { spawnSync } from "node:child_process";

export const QEMU_BINARY = "qemu-system-riscv64";
export const CROSS_GCC = "riscv64-unknown-elf-gcc";

/** Tool → the Debian package that provides it, for error messages. */
const DEBIAN_PACKAGES: Record<string, string> = {
  [QEMU_BINARY]: "qemu-system-misc",
  [CROSS_GCC]: "gcc-riscv64-unknown-elf",
  make: "make",
};

export class MissingToolError extends Error {
  constructor(readonly tool: string) {
    super(
      `${tool} was not found on PATH. Differential tests need it: install the Debian package ` +
        `'${DEBIAN_PACKAGES[tool] ?? tool}' (apt-get install ${DEBIAN_PACKAGES[tool] ?? tool}).`,
    );
    this.name = "MissingToolError";
  }
}

const checked = new Map<string, boolean>();

/** Throws MissingToolError unless `tool --version` runs. */
export function requireTool(tool: string): void {
  let present = checked.get(tool);
  if (present === undefined) {
    const probe = spawnSync(tool, ["--version"], { stdio: "ignore" });
    present = probe.error === undefined && probe.status === 0;
    checked.set(tool, present);
  }
  if (!present) throw new MissingToolError(tool);
}
