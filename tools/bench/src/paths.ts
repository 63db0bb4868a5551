import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root, found from this file so the benchmark runs from any working directory. */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
}

export const LINUX_GUEST_NAME = "linux-6.1-virt";
export const LINUX_KERNEL_FILE = "Image";
export const LINUX_INITRD_FILE = "initramfs.cpio.gz";

/**
 * Where to look for the Linux guest, in order, as `tools/guest-builder/ensure-guests.sh` does:
 * the shared prebuilt guests next to the repo, then `$MONOVISOR_GUESTS` (relative to the repo
 * root) or, when that is unset, the repo's own build cache.
 */
export function linuxGuestCandidates(root: string, env: NodeJS.ProcessEnv): string[] {
  const own = env.MONOVISOR_GUESTS
    ? resolve(root, env.MONOVISOR_GUESTS)
    : join(root, ".cache", "guests", LINUX_GUEST_NAME);
  return [join(root, "..", "shared", "guests", LINUX_GUEST_NAME), own];
}

/** True when `dir` holds a kernel and an initramfs. */
export function hasLinuxGuest(dir: string): boolean {
  return existsSync(join(dir, LINUX_KERNEL_FILE)) && existsSync(join(dir, LINUX_INITRD_FILE));
}
