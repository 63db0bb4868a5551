import { inject } from "vitest";

/** Seeds and length of the random differential suite (40 × 200 keeps it well under a minute). */
export const DIFF_SEEDS: readonly number[] = Array.from({ length: 100 }, (_, i) => 1000 + i);
export const DIFF_LENGTH = 300;

/** Fails the calling test with the build error from global setup, if any. */
export function requireGuestBuild(): void {
  const error = inject("guestBuildError");
  if (error) throw new Error(`building tools/guest-programs failed:\n${error}`);
}
