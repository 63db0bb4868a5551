import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    passWithNoTests: false,
    // Builds tools/guest-programs once before any worker starts.
    globalSetup: ["./src/diff/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
