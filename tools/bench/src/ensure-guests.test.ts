import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hasLinuxGuest, linuxGuestCandidates, repoRoot } from "./paths.js";

const SCRIPT = join(repoRoot(), "tools", "guest-builder", "ensure-guests.sh");

/**
 * tools/guest-builder/ensure-guests.sh in a throwaway layout (workspace/main is the repository,
 * workspace/shared the prebuilt guests), with a build.sh stub that only records where it built.
 */
describe("ensure-guests.sh", () => {
  let workspace: string;
  let repo: string;
  const shared = (): string => join(workspace, "shared", "guests", "linux-6.1-virt");
  const cache = (): string => join(repo, ".cache", "guests", "linux-6.1-virt");

  const makeGuest = (dir: string): void => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Image"), "");
    writeFileSync(join(dir, "initramfs.cpio.gz"), "");
  };

  const run = (env: Record<string, string> = {}, args: string[] = []) => {
    const result = spawnSync("bash", [join(repo, "tools", "guest-builder", "ensure-guests.sh"), ...args], {
      cwd: workspace,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    return { status: result.status, dir: result.stdout.trim(), stderr: result.stderr };
  };

  /** The directory the benchmark would pick, for the same layout and environment. */
  const benchChoice = (env: Record<string, string> = {}): string | undefined =>
    linuxGuestCandidates(repo, env).find(hasLinuxGuest);

  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), "ensure-guests-"));
    repo = join(workspace, "main");
    const builder = join(repo, "tools", "guest-builder");
    mkdirSync(builder, { recursive: true });
    copyFileSync(SCRIPT, join(builder, "ensure-guests.sh"));
    const stub = join(builder, "build.sh");
    writeFileSync(
      stub,
      '#!/bin/bash\nset -e\nmkdir -p "$1"; touch "$1/Image" "$1/initramfs.cpio.gz"\necho "stub built $1"\n',
    );
    chmodSync(stub, 0o755);
  });

  afterEach(() => {
    rmSync(workspace, { recursive: true, force: true });
  });

  it("prefers the shared prebuilt guests", () => {
    makeGuest(shared());
    makeGuest(cache());
    const r = run({ MONOVISOR_GUESTS: join(workspace, "elsewhere") });
    expect(r).toMatchObject({ status: 0, dir: shared() });
    expect(benchChoice({ MONOVISOR_GUESTS: join(workspace, "elsewhere") })).toBe(shared());
  });

  it("builds into the repository cache when nothing is there, then reuses it", () => {
    const first = run();
    expect(first).toMatchObject({ status: 0, dir: cache() });
    expect(first.stderr).toContain("stub built");
    const second = run();
    expect(second).toMatchObject({ status: 0, dir: cache() });
    expect(second.stderr).not.toContain("stub built");
    expect(benchChoice()).toBe(cache());
  });

  it("uses $MONOVISOR_GUESTS, relative to the repository root, instead of the cache", () => {
    makeGuest(cache());
    const r = run({ MONOVISOR_GUESTS: "my-guests" });
    expect(r).toMatchObject({ status: 0, dir: join(repo, "my-guests") });
    expect(benchChoice({ MONOVISOR_GUESTS: "my-guests" })).toBe(join(repo, "my-guests"));
  });

  it("with --no-build only reports, and fails when there is no guest", () => {
    const r = run({}, ["--no-build"]);
    expect(r.status).toBe(1);
    expect(r.dir).toBe("");
    expect(r.stderr).toContain("no Linux guest");
    expect(run({}, ["--bogus"]).status).toBe(2);
  });
});
