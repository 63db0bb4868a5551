import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { P9ProtocolError, P9Reader, P9Writer, readHeader } from "./codec.js";
import {
  EACCES,
  EBADF,
  EEXIST,
  ELOOP,
  ENOENT,
  ENOTDIR,
  ENOTEMPTY,
  EOPNOTSUPP,
  EPERM,
  EROFS,
  P9_AT_REMOVEDIR,
  P9_ATTR_SIZE,
  P9_DOTL_RDONLY,
  P9_DOTL_RDWR,
  P9_DOTL_TRUNC,
  P9_DOTL_WRONLY,
  P9_GETATTR_BASIC,
  P9_NOFID,
  P9_QTDIR,
  P9_QTFILE,
  P9_QTSYMLINK,
  P9_TATTACH,
  P9_TCLUNK,
  P9_TFLUSH,
  P9_TFSYNC,
  P9_TGETATTR,
  P9_TLCREATE,
  P9_TLINK,
  P9_TLOPEN,
  P9_TMKDIR,
  P9_TMKNOD,
  P9_TREAD,
  P9_TREADDIR,
  P9_TREADLINK,
  P9_TREMOVE,
  P9_TRENAMEAT,
  P9_TSETATTR,
  P9_TSTATFS,
  P9_TSYMLINK,
  P9_TUNLINKAT,
  P9_TVERSION,
  P9_TWALK,
  P9_TWRITE,
  P9_TXATTRWALK,
} from "./constants.js";
import { NodeFsBackend } from "./node-fs-backend.js";
import { P9TestClient } from "./p9-test-client.testing.js";
import { P9Server } from "./server.js";

const ROOT = 1;
const enc = new TextEncoder();
const dec = new TextDecoder();

describe("9P codec", () => {
  it("round-trips every field type", () => {
    const w = new P9Writer(101, 7)
      .u8(0xab)
      .u16(0xbeef)
      .u32(0xdead_beef)
      .u64(1n << 60n);
    w.str("héllo").qid({ type: P9_QTDIR, version: 3, path: 42n }).data(Uint8Array.of(1, 2));
    const bytes = w.finish();
    const h = readHeader(bytes);
    expect([h.size, h.type, h.tag]).toEqual([bytes.length, 101, 7]);
    const r = h.body;
    expect([r.u8(), r.u16(), r.u32(), r.u64(), r.str()]).toEqual([
      0xab,
      0xbeef,
      0xdead_beef,
      1n << 60n,
      "héllo",
    ]);
    expect(r.qid()).toEqual({ type: P9_QTDIR, version: 3, path: 42n });
    expect([...r.data(2)]).toEqual([1, 2]);
    expect(() => r.u8()).toThrow(P9ProtocolError);
  });

  it("grows past its first buffer with every field type", () => {
    const w = new P9Writer(41, 1);
    for (let i = 0; i < 200; i++) w.u8(i).u16(i).u32(i).u64(BigInt(i)).str("n");
    const r = readHeader(w.finish()).body;
    for (let i = 0; i < 200; i++)
      expect([r.u8(), r.u16(), r.u32(), r.u64(), r.str()]).toEqual([i, i, i, BigInt(i), "n"]);
  });

  it("rejects short messages, bad sizes and strings past the end", () => {
    expect(() => readHeader(Uint8Array.of(7, 0, 0))).toThrow(P9ProtocolError);
    expect(() => readHeader(Uint8Array.of(99, 0, 0, 0, 100, 0, 0))).toThrow(P9ProtocolError);
    expect(() => new P9Reader(Uint8Array.of(5, 0, 65)).str()).toThrow(P9ProtocolError);
    expect(() => new P9Reader(new Uint8Array(8).fill(0xff)).safeU64()).toThrow(P9ProtocolError);
  });
});

/** A temp tree: share/ holds the shared files, outside/ what the guest must never reach. */
function makeTree() {
  const top = mkdtempSync(join(tmpdir(), "monovisor-9p-"));
  const share = join(top, "share");
  const outside = join(top, "outside");
  mkdirSync(share);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), "top secret\n");
  writeFileSync(join(share, "hello.txt"), "hello from the host\n");
  mkdirSync(join(share, "sub"));
  writeFileSync(join(share, "sub", "inner.txt"), "inner\n");
  symlinkSync("/etc", join(share, "etc"));
  symlinkSync(outside, join(share, "outlink"));
  symlinkSync("../outside/secret", join(share, "rel"));
  symlinkSync(join(outside, "planted"), join(share, "dangle"));
  return { top, share, outside };
}

async function connect(share: string, options: { readOnly?: boolean; symlinks?: boolean } = {}) {
  const server = new P9Server(new NodeFsBackend(share, { readOnly: options.readOnly }), {
    symlinks: options.symlinks,
  });
  const c = new P9TestClient((m) => server.handle(m));
  const v = await c.ok(P9_TVERSION, (w) => w.u32(65536).str("9P2000.L"));
  expect([v.u32(), v.str()]).toEqual([65536, "9P2000.L"]);
  const root = (await c.ok(P9_TATTACH, (w) => w.u32(ROOT).u32(P9_NOFID).str("root").str("").u32(0))).qid();
  expect(root.type).toBe(P9_QTDIR);
  let nextFid = 10;
  const walk = async (names: string[], from = ROOT) => {
    const fid = nextFid++;
    const r = await c.call(P9_TWALK, (w) => {
      w.u32(from).u32(fid).u16(names.length);
      for (const n of names) w.str(n);
    });
    if (r.type !== P9_TWALK + 1) return { fid, errno: r.body.u32(), qids: [] };
    const n = r.body.u16();
    const qids = Array.from({ length: n }, () => r.body.qid());
    return { fid, errno: 0, qids };
  };
  const open = (fid: number, flags: number) => c.errno(P9_TLOPEN, (w) => w.u32(fid).u32(flags));
  const read = async (fid: number, offset = 0, count = 8192) => {
    const r = await c.ok(P9_TREAD, (w) => w.u32(fid).u64(offset).u32(count));
    return dec.decode(r.data(r.u32()));
  };
  const readdir = async (fid: number) => {
    const names: string[] = [];
    let offset = 0n;
    for (;;) {
      const r = await c.ok(P9_TREADDIR, (w) => w.u32(fid).u64(offset).u32(100));
      const end = r.offset + 4 + r.u32();
      if (end === r.offset) return names;
      while (r.offset < end) {
        r.qid();
        offset = r.u64();
        r.u8();
        names.push(r.str());
      }
    }
  };
  const cat = async (names: string[]) => {
    const f = await walk(names);
    if (f.errno !== 0) return f.errno;
    // A partial walk makes no fid: the name was not found.
    if (f.qids.length !== names.length) return ENOENT;
    const e = await open(f.fid, P9_DOTL_RDONLY);
    return e !== 0 ? e : read(f.fid);
  };
  return { server, c, root, walk, open, read, readdir, cat };
}

describe("9P2000.L server over a host directory", () => {
  let tree: ReturnType<typeof makeTree>;
  beforeEach(() => {
    tree = makeTree();
  });
  afterEach(() => rmSync(tree.top, { recursive: true, force: true }));

  it("walks, opens, reads, writes, lists, creates, renames and removes", async () => {
    const { c, walk, open, read, readdir, server } = await connect(tree.share);
    const hello = await walk(["hello.txt"]);
    expect(hello.qids[0].type).toBe(P9_QTFILE);
    expect(await open(hello.fid, P9_DOTL_RDONLY)).toBe(0);
    expect(await read(hello.fid)).toBe("hello from the host\n");
    expect(await read(hello.fid, 6, 4)).toBe("from");

    const ga = await c.ok(P9_TGETATTR, (w) => w.u32(hello.fid).u64(P9_GETATTR_BASIC));
    expect(ga.u64()).toBe(BigInt(P9_GETATTR_BASIC));
    ga.qid();
    expect(ga.u32() & 0o170000).toBe(0o100000);
    ga.u32();
    ga.u32();
    ga.u64();
    ga.u64();
    expect(ga.u64()).toBe(20n);

    const dir = await walk([]);
    expect(await open(dir.fid, P9_DOTL_RDONLY)).toBe(0);
    expect((await readdir(dir.fid)).sort()).toEqual(
      [".", "..", "dangle", "etc", "hello.txt", "outlink", "rel", "sub"].sort(),
    );

    // Create, write, fsync, read back on the host.
    const nf = await walk([]);
    const cr = await c.ok(P9_TLCREATE, (w) =>
      w.u32(nf.fid).str("new.txt").u32(P9_DOTL_RDWR).u32(0o644).u32(0),
    );
    expect(cr.qid().type).toBe(P9_QTFILE);
    const wr = await c.ok(P9_TWRITE, (w) => w.u32(nf.fid).u64(0).u32(5).data(enc.encode("guest")));
    expect(wr.u32()).toBe(5);
    await c.ok(P9_TFSYNC, (w) => w.u32(nf.fid).u32(0));
    expect(readFileSync(join(tree.share, "new.txt"), "utf8")).toBe("guest");
    expect(
      await c.errno(P9_TLCREATE, (w) => w.u32(ROOT).str("new.txt").u32(P9_DOTL_RDWR).u32(0o644).u32(0)),
    ).toBe(EEXIST);

    // Truncate through setattr.
    await c.ok(P9_TSETATTR, (w) =>
      w.u32(nf.fid).u32(P9_ATTR_SIZE).u32(0).u32(0).u32(0).u64(2).u64(0).u64(0).u64(0).u64(0),
    );
    expect(readFileSync(join(tree.share, "new.txt"), "utf8")).toBe("gu");

    // mkdir, rename into it, link, symlink, readlink.
    const mk = await c.ok(P9_TMKDIR, (w) => w.u32(ROOT).str("d").u32(0o755).u32(0));
    expect(mk.qid().type).toBe(P9_QTDIR);
    const d = await walk(["d"]);
    await c.ok(P9_TRENAMEAT, (w) => w.u32(ROOT).str("new.txt").u32(d.fid).str("moved.txt"));
    expect(readFileSync(join(tree.share, "d", "moved.txt"), "utf8")).toBe("gu");
    // The open fid followed the rename.
    expect(await read(nf.fid)).toBe("gu");
    const moved = await walk(["d", "moved.txt"]);
    expect(moved.qids).toHaveLength(2);
    await c.ok(P9_TLINK, (w) => w.u32(ROOT).u32(moved.fid).str("hard.txt"));
    expect(readFileSync(join(tree.share, "hard.txt"), "utf8")).toBe("gu");
    const sl = await c.ok(P9_TSYMLINK, (w) => w.u32(ROOT).str("lnk").str("d/moved.txt").u32(0));
    expect(sl.qid().type).toBe(P9_QTSYMLINK);
    const lnk = await walk(["lnk"]);
    expect((await c.ok(P9_TREADLINK, (w) => w.u32(lnk.fid))).str()).toBe("d/moved.txt");

    // unlinkat: a non-empty directory is refused, then emptied and removed.
    expect(await c.errno(P9_TUNLINKAT, (w) => w.u32(ROOT).str("d").u32(P9_AT_REMOVEDIR))).toBe(ENOTEMPTY);
    await c.ok(P9_TUNLINKAT, (w) => w.u32(d.fid).str("moved.txt").u32(0));
    await c.ok(P9_TREMOVE, (w) => w.u32(d.fid));
    expect(existsSync(join(tree.share, "d"))).toBe(false);
    // Tremove clunks the fid.
    expect(await c.errno(P9_TCLUNK, (w) => w.u32(d.fid))).toBe(EBADF);

    const sf = await c.ok(P9_TSTATFS, (w) => w.u32(ROOT));
    expect(sf.u32()).toBe(0x01021997);
    expect(await c.errno(P9_TFLUSH, (w) => w.u16(1234))).toBe(0);
    expect(await c.errno(P9_TXATTRWALK, (w) => w.u32(ROOT).u32(99).str("user.x"))).toBe(EOPNOTSUPP);
    expect(await c.errno(P9_TMKNOD, (w) => w.u32(ROOT).str("fifo").u32(0o10644).u32(0).u32(0).u32(0))).toBe(
      EPERM,
    );
    expect(await walk(["missing"])).toMatchObject({ errno: ENOENT });
    await c.ok(P9_TCLUNK, (w) => w.u32(hello.fid));
    expect(server.fidCount).toBeGreaterThan(0);
  });

  it("keeps `..` at the root", async () => {
    const { walk, cat, root } = await connect(tree.share);
    const up = await walk(["..", "..", ".."]);
    expect(up.qids.map((q) => q.path)).toEqual([root.path, root.path, root.path]);
    expect(await cat(["..", "outside", "secret"])).toBe(ENOENT);
    expect(await cat(["sub", "..", "..", "hello.txt"])).toBe("hello from the host\n");
    expect(await cat(["..", "share", "hello.txt"])).toBe(ENOENT);
  });

  it("never follows symlinks out of the share", async () => {
    const { c, walk, open, cat } = await connect(tree.share);
    // Walking through a symlink stops at it: only the first qid comes back, no fid is made.
    for (const path of [
      ["etc", "hostname"],
      ["outlink", "secret"],
      ["rel", "x"],
    ]) {
      const w = await walk(path);
      expect(w.qids.map((q) => q.type)).toEqual([P9_QTSYMLINK]);
      expect(await c.errno(P9_TCLUNK, (x) => x.u32(w.fid))).toBe(EBADF);
    }
    for (const link of ["etc", "outlink", "rel", "dangle"]) {
      expect(await cat([link])).toBe(ELOOP);
      const w = await walk([link]);
      expect(await open(w.fid, P9_DOTL_RDONLY)).toBe(ELOOP);
      // A symlink used as a directory fid resolves outside: refused.
      expect(
        await c.errno(P9_TLCREATE, (x) => x.u32(w.fid).str("f").u32(P9_DOTL_RDWR).u32(0o644).u32(0)),
      ).not.toBe(0);
    }
    // Names with slashes, `.` or empty are refused rather than joined.
    for (const bad of ["../outside", "/etc", "", "a/b"]) {
      expect(await c.errno(P9_TMKDIR, (w) => w.u32(ROOT).str(bad).u32(0o755).u32(0))).not.toBe(0);
    }
    expect(await walk(["/etc"])).toMatchObject({ errno: expect.any(Number) });
    expect((await walk(["/etc"])).errno).not.toBe(0);
    // Creating over a dangling symlink does not create its target.
    expect(
      await c.errno(P9_TLCREATE, (w) => w.u32(ROOT).str("dangle").u32(P9_DOTL_RDWR).u32(0o644).u32(0)),
    ).toBe(EEXIST);
    expect(existsSync(join(tree.outside, "planted"))).toBe(false);
    const outlink = await walk(["outlink"]);
    expect(await c.errno(P9_TMKDIR, (w) => w.u32(outlink.fid).str("x").u32(0o755).u32(0))).toBe(EACCES);
    expect(existsSync(join(tree.outside, "x"))).toBe(false);
  });

  it("refuses renames into and out of a symlinked directory", async () => {
    const { c, walk } = await connect(tree.share);
    const outlink = await walk(["outlink"]);
    expect(await c.errno(P9_TRENAMEAT, (w) => w.u32(ROOT).str("hello.txt").u32(outlink.fid).str("x"))).toBe(
      EACCES,
    );
    expect(await c.errno(P9_TRENAMEAT, (w) => w.u32(outlink.fid).str("secret").u32(ROOT).str("stolen"))).toBe(
      EACCES,
    );
    expect(existsSync(join(tree.share, "hello.txt"))).toBe(true);
    expect(existsSync(join(tree.outside, "x"))).toBe(false);
    expect(existsSync(join(tree.share, "stolen"))).toBe(false);
    expect(await c.errno(P9_TUNLINKAT, (w) => w.u32(outlink.fid).str("secret").u32(0))).toBe(EACCES);
    expect(existsSync(join(tree.outside, "secret"))).toBe(true);
    // Renaming the symlink itself is fine: it moves the link, not its target.
    await c.ok(P9_TRENAMEAT, (w) => w.u32(ROOT).str("outlink").u32(ROOT).str("outlink2"));
    expect(existsSync(join(tree.outside, "secret"))).toBe(true);
  });

  it("re-checks containment when a walked directory is swapped for a symlink", async () => {
    const { c, walk, open } = await connect(tree.share);
    const inner = await walk(["sub", "inner.txt"]);
    const sub = await walk(["sub"]);
    expect(inner.qids).toHaveLength(2);
    // The host (or a racing request) replaces sub/ with a link out of the share.
    rmSync(join(tree.share, "sub"), { recursive: true });
    writeFileSync(join(tree.outside, "inner.txt"), "outside\n");
    symlinkSync(tree.outside, join(tree.share, "sub"));
    expect(await open(inner.fid, P9_DOTL_RDONLY)).toBe(EACCES);
    expect(await c.errno(P9_TGETATTR, (w) => w.u32(inner.fid).u64(P9_GETATTR_BASIC))).toBe(EACCES);
    expect(
      await c.errno(P9_TLCREATE, (w) => w.u32(sub.fid).str("n").u32(P9_DOTL_RDWR).u32(0o644).u32(0)),
    ).toBe(EACCES);
    expect(existsSync(join(tree.outside, "n"))).toBe(false);
  });

  it("refuses every mutation on a read-only share", async () => {
    const { c, walk, open, cat } = await connect(tree.share, { readOnly: true });
    expect(await cat(["hello.txt"])).toBe("hello from the host\n");
    for (const flags of [P9_DOTL_WRONLY, P9_DOTL_RDWR, P9_DOTL_RDONLY | P9_DOTL_TRUNC]) {
      const f = await walk(["hello.txt"]);
      expect(await open(f.fid, flags)).toBe(EROFS);
    }
    const f = await walk(["hello.txt"]);
    expect(await open(f.fid, P9_DOTL_RDONLY)).toBe(0);
    const attempts = [
      c.errno(P9_TWRITE, (w) => w.u32(f.fid).u64(0).u32(1).data(Uint8Array.of(1))),
      c.errno(P9_TLCREATE, (w) => w.u32(ROOT).str("n").u32(P9_DOTL_RDWR).u32(0o644).u32(0)),
      c.errno(P9_TMKDIR, (w) => w.u32(ROOT).str("d").u32(0o755).u32(0)),
      c.errno(P9_TSYMLINK, (w) => w.u32(ROOT).str("s").str("x").u32(0)),
      c.errno(P9_TUNLINKAT, (w) => w.u32(ROOT).str("hello.txt").u32(0)),
      c.errno(P9_TRENAMEAT, (w) => w.u32(ROOT).str("hello.txt").u32(ROOT).str("x")),
      c.errno(P9_TSETATTR, (w) =>
        w.u32(f.fid).u32(P9_ATTR_SIZE).u32(0).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0),
      ),
      c.errno(P9_TLINK, (w) => w.u32(ROOT).u32(f.fid).str("h")),
      c.errno(P9_TMKNOD, (w) => w.u32(ROOT).str("n").u32(0o10644).u32(0).u32(0).u32(0)),
    ];
    expect(await Promise.all(attempts)).toEqual(attempts.map(() => EROFS));
    const g = await walk(["sub", "inner.txt"]);
    expect(await c.errno(P9_TREMOVE, (w) => w.u32(g.fid))).toBe(EROFS);
    expect(readFileSync(join(tree.share, "hello.txt"), "utf8")).toBe("hello from the host\n");
    expect(existsSync(join(tree.share, "sub", "inner.txt"))).toBe(true);
  });

  it("refuses symlink creation when the policy says so", async () => {
    const { c } = await connect(tree.share, { symlinks: false });
    expect(await c.errno(P9_TSYMLINK, (w) => w.u32(ROOT).str("s").str("/etc").u32(0))).toBe(EPERM);
    expect(existsSync(join(tree.share, "s"))).toBe(false);
  });

  it("answers fids it does not know with EBADF and reads bad bodies as EPROTO", async () => {
    const { c } = await connect(tree.share);
    expect(await c.errno(P9_TGETATTR, (w) => w.u32(999).u64(0))).toBe(EBADF);
    expect(await c.errno(P9_TWALK, (w) => w.u32(ROOT))).toBe(71);
    expect(await c.errno(P9_TATTACH, (w) => w.u32(ROOT).u32(P9_NOFID).str("").str("").u32(0))).toBe(EBADF);
    expect(await c.errno(P9_TREADDIR, (w) => w.u32(ROOT).u64(0).u32(100))).toBe(EBADF);
    expect(await c.errno(P9_TREADLINK, (w) => w.u32(ROOT))).not.toBe(0);
    expect(ENOTDIR).toBe(20);
  });
});
