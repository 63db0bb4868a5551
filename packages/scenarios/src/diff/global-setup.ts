import type { TestProject } from "vitest/node";
import { buildGuestPrograms } from "./guest-build.js";

declare module "vitest" {
  export interface ProvidedContext {
    guestBuildError: string;
  }
}

/**
 * Builds the guest programs once. A failure (for example a missing cross
 * compiler) is handed to the tests, which fail with the message instead of
 * the whole run aborting before other packages' scenarios can report.
 */
export default function setup(project: TestProject): void {
  let error = "";
  try {
    buildGuestPrograms();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  project.provide("guestBuildError", error);
}
