// Entry of the stress test's worker threads. tsx (as `--import tsx`) registers its TypeScript
// loader on the main thread only under Node 20, so the worker registers it itself.
import { register } from "tsx/esm/api";

register();
await import("./stress-worker.testing.ts");
