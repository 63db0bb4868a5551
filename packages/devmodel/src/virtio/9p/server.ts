import type { P9Attr, P9Backend, P9File, P9Path } from "./backend.js";
import { direntSize, P9ProtocolError, type P9Qid, type P9Reader, P9Writer, readHeader } from "./codec.js";
import {
  EBADF,
  EINVAL,
  EIO,
  EISDIR,
  ELOOP,
  ENAMETOOLONG,
  ENOTDIR,
  EOPNOTSUPP,
  EPERM,
  EPROTO,
  ERANGE,
  EROFS,
  NODE_ERRNO,
  P9_AT_REMOVEDIR,
  P9_ATTR_ATIME,
  P9_ATTR_ATIME_SET,
  P9_ATTR_GID,
  P9_ATTR_MODE,
  P9_ATTR_MTIME,
  P9_ATTR_MTIME_SET,
  P9_ATTR_SIZE,
  P9_ATTR_UID,
  P9_DOTL_ACCMODE,
  P9_DOTL_APPEND,
  P9_DOTL_RDONLY,
  P9_DOTL_RDWR,
  P9_DOTL_TRUNC,
  P9_DOTL_WRONLY,
  P9_GETATTR_BASIC,
  P9_HEADER_SIZE,
  P9_IOHDRSZ,
  P9_LOCK_SUCCESS,
  P9_LOCK_TYPE_UNLCK,
  P9_MAXWELEM,
  P9_NOFID,
  P9_PROTO_2000L,
  P9_QTDIR,
  P9_QTFILE,
  P9_QTSYMLINK,
  P9_RLERROR,
  P9_TATTACH,
  P9_TAUTH,
  P9_TCLUNK,
  P9_TFLUSH,
  P9_TFSYNC,
  P9_TGETATTR,
  P9_TGETLOCK,
  P9_TLCREATE,
  P9_TLINK,
  P9_TLOCK,
  P9_TLOPEN,
  P9_TMKDIR,
  P9_TMKNOD,
  P9_TREAD,
  P9_TREADDIR,
  P9_TREADLINK,
  P9_TREMOVE,
  P9_TRENAME,
  P9_TRENAMEAT,
  P9_TSETATTR,
  P9_TSTATFS,
  P9_TSYMLINK,
  P9_TUNLINKAT,
  P9_TVERSION,
  P9_TWALK,
  P9_TWRITE,
  P9_TXATTRCREATE,
  P9_TXATTRWALK,
} from "./constants.js";

/** A request the server refuses with a Linux errno. */
export class P9Error extends Error {
  constructor(
    readonly errno: number,
    message = `errno ${errno}`,
  ) {
    super(message);
  }
}

export interface P9ServerOptions {
  /** Largest msize negotiated (default 512 KiB). */
  readonly maxMsize?: number;
  /** Allow Tsymlink (default true); refused with EPERM otherwise. */
  readonly symlinks?: boolean;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const NAME_MAX = 255;
const PATH_MAX = 4096;
/** f_type of a 9p mount, as Linux reports it. */
const V9FS_MAGIC = 0x0102_1997;

interface Fid {
  path: string[];
  file?: P9File;
  /** Set once opened as a directory: the listing taken at the last offset-0 read. */
  dir?: string[];
  opened: boolean;
}

/** Whether an attr is a directory / symlink. */
const isDir = (a: P9Attr): boolean => (a.mode & S_IFMT) === S_IFDIR;
const isLink = (a: P9Attr): boolean => (a.mode & S_IFMT) === S_IFLNK;

export function qidOf(a: P9Attr): P9Qid {
  const type = isDir(a) ? P9_QTDIR : isLink(a) ? P9_QTSYMLINK : P9_QTFILE;
  // The version changes with the contents, so a caching client notices.
  const version = Number(BigInt.asUintN(32, a.mtimeNs ^ a.size));
  return { type, version, path: a.ino };
}

/** A guest-supplied name: one component, not `.` or `..` (walk handles `..` itself). */
function checkName(name: string): string {
  if (name.length > NAME_MAX) throw new P9Error(ENAMETOOLONG);
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0"))
    throw new P9Error(EINVAL, `bad name '${name}'`);
  return name;
}

function errnoOf(error: unknown): number {
  if (error instanceof P9Error) return error.errno;
  if (error instanceof P9ProtocolError) return EPROTO;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? (NODE_ERRNO[code] ?? EIO) : EIO;
}

/**
 * A 9P2000.L file server over a {@link P9Backend}. {@link handle} takes one T-message and returns
 * its R-message; requests may run concurrently. Fids name paths inside the share, never host
 * paths: `..` is resolved here and stops at the root, walks never pass through a symlink, and
 * every mutation on a read-only backend is EROFS before the backend is asked.
 */
export class P9Server {
  private readonly maxMsize: number;
  private readonly symlinks: boolean;
  private msize = 8192;
  private fids = new Map<number, Fid>();
  private readonly pending = new Map<number, Promise<unknown>>();

  constructor(
    readonly backend: P9Backend,
    options: P9ServerOptions = {},
  ) {
    this.maxMsize = options.maxMsize ?? 512 * 1024;
    this.symlinks = options.symlinks ?? true;
  }

  /** Fids in use (for tests and diagnostics). */
  get fidCount(): number {
    return this.fids.size;
  }

  /** Drops every fid (device reset, Tversion); open files are closed in the background. */
  reset(): void {
    for (const fid of this.fids.values()) void fid.file?.close().catch(() => undefined);
    this.fids = new Map();
  }

  /**
   * Serves one T-message. `room` bounds the reply (the guest's reply buffers); bulk replies are
   * cut to fit. Never rejects: failures become Rlerror. Throws {@link P9ProtocolError} only when
   * there is no header to answer.
   */
  async handle(request: Uint8Array, room = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
    const { type, tag, body } = readHeader(request);
    const work = this.dispatch(type, tag, body, room);
    this.pending.set(tag, work);
    let reply: Uint8Array;
    try {
      reply = await work;
    } catch (error) {
      reply = new P9Writer(P9_RLERROR, tag).u32(errnoOf(error)).finish();
    } finally {
      if (this.pending.get(tag) === work) this.pending.delete(tag);
    }
    if (reply.length > room) reply = new P9Writer(P9_RLERROR, tag).u32(ERANGE).finish();
    return reply;
  }

  private fid(id: number): Fid {
    const fid = this.fids.get(id);
    if (fid === undefined) throw new P9Error(EBADF, `no fid ${id}`);
    return fid;
  }

  private newFid(id: number): void {
    if (id === P9_NOFID || this.fids.has(id)) throw new P9Error(EBADF, `fid ${id} in use`);
  }

  private mutable(): void {
    if (this.backend.readOnly) throw new P9Error(EROFS);
  }

  private async dispatch(type: number, tag: number, r: P9Reader, room: number): Promise<Uint8Array> {
    const w = new P9Writer(type + 1, tag);
    const b = this.backend;
    switch (type) {
      case P9_TVERSION: {
        const msize = r.u32();
        const version = r.str();
        this.reset();
        this.msize = Math.max(4096, Math.min(msize, this.maxMsize));
        return w
          .u32(this.msize)
          .str(version === P9_PROTO_2000L ? P9_PROTO_2000L : "unknown")
          .finish();
      }
      case P9_TAUTH:
        throw new P9Error(EOPNOTSUPP);
      case P9_TATTACH: {
        const fid = r.u32();
        r.u32(); // afid
        r.str(); // uname
        r.str(); // aname: one tree per device
        r.u32(); // n_uname: every guest user acts as the host process
        this.newFid(fid);
        const attr = await b.stat([]);
        this.fids.set(fid, { path: [], opened: false });
        return w.qid(qidOf(attr)).finish();
      }
      case P9_TFLUSH: {
        const old = r.u16();
        // Rflush must follow the flushed request's reply, so wait for it.
        const work = this.pending.get(old);
        if (work !== undefined && old !== tag) await work.catch(() => undefined);
        return w.finish();
      }
      case P9_TWALK:
        return this.walk(r, w);
      case P9_TGETATTR: {
        const fid = this.fid(r.u32());
        r.u64(); // request_mask: everything basic is always valid
        const a = await b.stat(fid.path);
        const ns = 1_000_000_000n;
        return w
          .u64(P9_GETATTR_BASIC)
          .qid(qidOf(a))
          .u32(a.mode)
          .u32(a.uid)
          .u32(a.gid)
          .u64(a.nlink)
          .u64(a.rdev)
          .u64(a.size)
          .u64(a.blksize)
          .u64(a.blocks)
          .u64(a.atimeNs / ns)
          .u64(a.atimeNs % ns)
          .u64(a.mtimeNs / ns)
          .u64(a.mtimeNs % ns)
          .u64(a.ctimeNs / ns)
          .u64(a.ctimeNs % ns)
          .u64(0)
          .u64(0)
          .u64(0)
          .u64(0)
          .finish();
      }
      case P9_TSETATTR: {
        const fid = this.fid(r.u32());
        const valid = r.u32();
        const mode = r.u32();
        const uid = r.u32();
        const gid = r.u32();
        const size = r.safeU64();
        const atime = r.u64() * 1_000_000_000n + r.u64();
        const mtime = r.u64() * 1_000_000_000n + r.u64();
        this.mutable();
        const has = (bit: number): boolean => (valid & bit) !== 0;
        await b.setattr(fid.path, {
          mode: has(P9_ATTR_MODE) ? mode : undefined,
          uid: has(P9_ATTR_UID) ? uid : undefined,
          gid: has(P9_ATTR_GID) ? gid : undefined,
          size: has(P9_ATTR_SIZE) ? size : undefined,
          atime: has(P9_ATTR_ATIME) ? (has(P9_ATTR_ATIME_SET) ? atime : "now") : undefined,
          mtime: has(P9_ATTR_MTIME) ? (has(P9_ATTR_MTIME_SET) ? mtime : "now") : undefined,
        });
        return w.finish();
      }
      case P9_TLOPEN: {
        const fid = this.fid(r.u32());
        const flags = r.u32();
        if (fid.opened) throw new P9Error(EINVAL, "fid already open");
        const a = await b.stat(fid.path);
        if (isLink(a)) throw new P9Error(ELOOP);
        if (isDir(a)) {
          if ((flags & P9_DOTL_ACCMODE) !== P9_DOTL_RDONLY) throw new P9Error(EISDIR);
          fid.opened = true;
          return w.qid(qidOf(a)).u32(0).finish();
        }
        const open = this.openFlags(flags);
        if ((open.write || open.truncate) && b.readOnly) throw new P9Error(EROFS);
        fid.file = await b.open(fid.path, open);
        fid.opened = true;
        return w.qid(qidOf(a)).u32(0).finish();
      }
      case P9_TLCREATE: {
        const fid = this.fid(r.u32());
        const name = checkName(r.str());
        const flags = r.u32();
        const mode = r.u32();
        r.u32(); // gid
        this.mutable();
        if (fid.opened) throw new P9Error(EINVAL, "fid already open");
        const path = [...fid.path, name];
        const file = await b.create(path, this.openFlags(flags), mode);
        let a: P9Attr;
        try {
          a = await b.stat(path);
        } catch (error) {
          await file.close();
          throw error;
        }
        Object.assign(fid, { path, file, opened: true });
        return w.qid(qidOf(a)).u32(0).finish();
      }
      case P9_TREAD: {
        const fid = this.fid(r.u32());
        const offset = r.safeU64();
        const count = Math.min(r.u32(), this.msize - P9_IOHDRSZ, room - P9_HEADER_SIZE - 4);
        if (fid.file === undefined) throw new P9Error(fid.opened ? EISDIR : EBADF);
        const data = new Uint8Array(Math.max(0, count));
        const n = await fid.file.read(data, offset);
        return w.u32(n).data(data.subarray(0, n)).finish();
      }
      case P9_TWRITE: {
        const fid = this.fid(r.u32());
        const offset = r.safeU64();
        const data = r.data(r.u32());
        if (fid.file === undefined) throw new P9Error(fid.opened ? EISDIR : EBADF);
        this.mutable();
        return w.u32(await fid.file.write(data, offset)).finish();
      }
      case P9_TCLUNK: {
        const id = r.u32();
        const fid = this.fid(id);
        this.fids.delete(id);
        await fid.file?.close();
        return w.finish();
      }
      case P9_TREMOVE: {
        const id = r.u32();
        const fid = this.fid(id);
        // The fid is clunked whether or not the remove works.
        this.fids.delete(id);
        await fid.file?.close().catch(() => undefined);
        this.mutable();
        const a = await b.stat(fid.path);
        await b.unlink(fid.path, isDir(a));
        return w.finish();
      }
      case P9_TREADDIR:
        return this.readdir(r, w, room);
      case P9_TSTATFS: {
        this.fid(r.u32());
        const s = await b.statfs();
        return w
          .u32(V9FS_MAGIC)
          .u32(s.bsize)
          .u64(s.blocks)
          .u64(s.bfree)
          .u64(s.bavail)
          .u64(s.files)
          .u64(s.ffree)
          .u64(0)
          .u32(NAME_MAX)
          .finish();
      }
      case P9_TMKDIR: {
        const dir = this.fid(r.u32());
        const name = checkName(r.str());
        const mode = r.u32();
        r.u32(); // gid
        this.mutable();
        const path = [...dir.path, name];
        await b.mkdir(path, mode);
        return w.qid(qidOf(await b.stat(path))).finish();
      }
      case P9_TSYMLINK: {
        const dir = this.fid(r.u32());
        const name = checkName(r.str());
        const target = r.str();
        r.u32(); // gid
        this.mutable();
        if (!this.symlinks) throw new P9Error(EPERM, "symlinks refused by policy");
        if (target === "" || target.includes("\0") || target.length >= PATH_MAX) throw new P9Error(EINVAL);
        const path = [...dir.path, name];
        await b.symlink(path, target);
        return w.qid(qidOf(await b.stat(path))).finish();
      }
      case P9_TREADLINK: {
        const fid = this.fid(r.u32());
        return w.str(await b.readlink(fid.path)).finish();
      }
      case P9_TUNLINKAT: {
        const dir = this.fid(r.u32());
        const name = checkName(r.str());
        const flags = r.u32();
        this.mutable();
        await b.unlink([...dir.path, name], (flags & P9_AT_REMOVEDIR) !== 0);
        return w.finish();
      }
      case P9_TRENAMEAT: {
        const from = [...this.fid(r.u32()).path, checkName(r.str())];
        const to = [...this.fid(r.u32()).path, checkName(r.str())];
        this.mutable();
        await this.rename(from, to);
        return w.finish();
      }
      case P9_TRENAME: {
        const fid = this.fid(r.u32());
        const to = [...this.fid(r.u32()).path, checkName(r.str())];
        this.mutable();
        await this.rename(fid.path, to);
        return w.finish();
      }
      case P9_TLINK: {
        const dir = this.fid(r.u32());
        const target = this.fid(r.u32());
        const name = checkName(r.str());
        this.mutable();
        await b.link(target.path, [...dir.path, name]);
        return w.finish();
      }
      case P9_TMKNOD:
        // Device nodes and fifos on the host are refused outright.
        this.fid(r.u32());
        this.mutable();
        throw new P9Error(EPERM, "mknod refused");
      case P9_TFSYNC: {
        const fid = this.fid(r.u32());
        const dataOnly = r.u32() !== 0;
        await fid.file?.sync(dataOnly);
        return w.finish();
      }
      case P9_TLOCK: {
        this.fid(r.u32());
        // Locks are advisory and the guest is the only client: always granted.
        return w.u8(P9_LOCK_SUCCESS).finish();
      }
      case P9_TGETLOCK: {
        this.fid(r.u32());
        r.u8();
        const start = r.u64();
        const length = r.u64();
        const procId = r.u32();
        const client = r.str();
        return w.u8(P9_LOCK_TYPE_UNLCK).u64(start).u64(length).u32(procId).str(client).finish();
      }
      case P9_TXATTRWALK:
      case P9_TXATTRCREATE:
        throw new P9Error(EOPNOTSUPP);
      default:
        throw new P9Error(EOPNOTSUPP, `message type ${type}`);
    }
  }

  private openFlags(flags: number): { read: boolean; write: boolean; truncate: boolean; append: boolean } {
    const mode = flags & P9_DOTL_ACCMODE;
    return {
      read: mode === P9_DOTL_RDONLY || mode === P9_DOTL_RDWR,
      write: mode === P9_DOTL_WRONLY || mode === P9_DOTL_RDWR,
      truncate: (flags & P9_DOTL_TRUNC) !== 0,
      append: (flags & P9_DOTL_APPEND) !== 0,
    };
  }

  private async walk(r: P9Reader, w: P9Writer): Promise<Uint8Array> {
    const srcId = r.u32();
    const src = this.fid(srcId);
    const newId = r.u32();
    const count = r.u16();
    if (count > P9_MAXWELEM) throw new P9Error(EINVAL, "too many names");
    const names: string[] = [];
    for (let i = 0; i < count; i++) names.push(r.str());
    if (newId !== srcId) this.newFid(newId);
    const path = [...src.path];
    const qids: P9Qid[] = [];
    let here = count > 0 ? await this.backend.stat(path) : undefined;
    for (const [i, name] of names.entries()) {
      try {
        // Walking on from anything but a directory (a symlink in particular) is refused.
        if (here !== undefined && !isDir(here)) throw new P9Error(ENOTDIR);
        // `..` at the root stays at the root.
        if (name === "..") path.pop();
        else if (name !== ".") path.push(checkName(name));
        here = await this.backend.stat(path);
      } catch (error) {
        if (i === 0) throw error;
        break;
      }
      qids.push(qidOf(here));
    }
    if (qids.length === count) {
      if (newId === srcId) src.path = path;
      else this.fids.set(newId, { path, opened: false });
    }
    w.u16(qids.length);
    for (const q of qids) w.qid(q);
    return w.finish();
  }

  /** Renames, then moves every fid at or below `from` along with it. */
  private async rename(from: P9Path, to: P9Path): Promise<void> {
    await this.backend.rename(from, to);
    const under = (p: string[]): boolean => p.length >= from.length && from.every((n, i) => p[i] === n);
    for (const fid of this.fids.values()) {
      if (under(fid.path)) fid.path = [...to, ...fid.path.slice(from.length)];
    }
  }

  private async readdir(r: P9Reader, w: P9Writer, room: number): Promise<Uint8Array> {
    const fid = this.fid(r.u32());
    const offset = r.safeU64();
    const count = Math.min(r.u32(), this.msize - P9_IOHDRSZ, room - P9_HEADER_SIZE - 4);
    if (!fid.opened || fid.file !== undefined) throw new P9Error(fid.opened ? ENOTDIR : EBADF);
    if (offset === 0 || fid.dir === undefined)
      fid.dir = [".", "..", ...(await this.backend.readdir(fid.path))];
    const entries = new P9Writer(0, 0);
    let used = 0;
    for (let i = offset; i < fid.dir.length; i++) {
      const name = fid.dir[i];
      const size = direntSize(name);
      if (used + size > count) break;
      const path = name === "." ? fid.path : name === ".." ? fid.path.slice(0, -1) : [...fid.path, name];
      let a: P9Attr;
      try {
        a = await this.backend.stat(path);
      } catch {
        continue; // gone since the listing
      }
      entries
        .qid(qidOf(a))
        .u64(i + 1)
        .u8((a.mode & S_IFMT) >> 12)
        .str(name);
      used += size;
    }
    const data = entries.finish().subarray(P9_HEADER_SIZE);
    return w.u32(data.length).data(data).finish();
  }
}
