import { defineConfig } from "tsup";

export default defineConfig({
  // The vCPU worker is its own file: worker_threads load it by URL next to index.js.
  entry: { index: "src/index.ts", "vcpu-worker": "src/threads/vcpu-worker.ts" },
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
