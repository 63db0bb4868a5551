import { constants, existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import { join, sep } from "node:path";
import {
  type P9Attr,
  type P9Backend,
  P9BackendError,
  type P9File,
  type P9OpenFlags,
  type P9Path,
  type P9SetAttr,
  type P9StatFs,
} from "./backend.js";

export interface NodeFsBackendOptions {
  /** Refuse every mutation with EROFS, and open files read-only. */
  readonly readOnly?: boolean;
}

/** Where the kernel shows an open descriptor's current path (Linux hosts). */
const PROC_FD = "/proc/self/fd";

/**
 * A host directory through `node:fs/promises`, confined to its root.
 *
 * Containment, for every operation:
 * - the server hands over clean names only (no `..`, `/`, empty); this checks again;
 * - the parent of the target is resolved with `realpath` and must be the root or below it, so
 *   a directory swapped for a symlink pointing out is caught;
 * - the last name is never followed: lstat, readlink, unlink, rename, link and mkdir act on the
 *   name itself, and files and directories are opened with O_NOFOLLOW (a symlink is ELOOP);
 * - after opening, the descriptor's real path (`/proc/self/fd`) must still be inside the root,
 *   which closes the race between resolving the parent and opening;
 * - path operations run one at a time, so one guest request cannot swap a directory under
 *   another between its check and its use.
 * Symlinks are stored and read back verbatim; the guest resolves them in its own namespace.
 */
export class NodeFsBackend implements P9Backend {
  readonly readOnly: boolean;
  private rootReal: Promise<string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly procFd = existsSync(PROC_FD);

  constructor(
    readonly root: string,
    options: NodeFsBackendOptions = {},
  ) {
    this.readOnly = options.readOnly ?? false;
  }

  /** Runs `work` after every path operation queued before it. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private realRoot(): Promise<string> {
    this.rootReal ??= fs.realpath(this.root);
    return this.rootReal;
  }

  private inside(root: string, real: string): boolean {
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
  }

  private writable(): void {
    if (this.readOnly) throw new P9BackendError("EROFS", "read-only share");
  }

  /** The host path of `path`: its parent resolved and checked, its last name not followed. */
  private async hostPath(path: P9Path): Promise<string> {
    const root = await this.realRoot();
    for (const name of path) {
      if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0"))
        throw new P9BackendError("EINVAL", `bad name '${name}'`);
    }
    if (path.length === 0) return root;
    const parent = await fs.realpath(join(root, ...path.slice(0, -1)));
    if (!this.inside(root, parent)) throw new P9BackendError("EACCES", "path leaves the share");
    return join(parent, path[path.length - 1]);
  }

  /** Closes `handle` and refuses when it ended up outside the root. */
  private async checkHandle(handle: fs.FileHandle): Promise<void> {
    if (!this.procFd) return;
    const root = await this.realRoot();
    const real = await fs.realpath(`${PROC_FD}/${handle.fd}`);
    if (!this.inside(root, real)) {
      await handle.close();
      throw new P9BackendError("EACCES", "opened a file outside the share");
    }
  }

  private openFlags(flags: P9OpenFlags): number {
    let f =
      flags.read && flags.write ? constants.O_RDWR : flags.write ? constants.O_WRONLY : constants.O_RDONLY;
    if (flags.truncate) f |= constants.O_TRUNC;
    if (flags.append) f |= constants.O_APPEND;
    return f | constants.O_NOFOLLOW;
  }

  stat(path: P9Path): Promise<P9Attr> {
    return this.serial(async () => toAttr(await fs.lstat(await this.hostPath(path), { bigint: true })));
  }

  async open(path: P9Path, flags: P9OpenFlags): Promise<P9File> {
    if (flags.write || flags.truncate) this.writable();
    const handle = await this.serial(async () => {
      const h = await fs.open(await this.hostPath(path), this.openFlags(flags));
      await this.checkHandle(h);
      return h;
    });
    return new NodeFile(handle);
  }

  async create(path: P9Path, flags: P9OpenFlags, mode: number): Promise<P9File> {
    this.writable();
    const handle = await this.serial(async () => {
      const f = this.openFlags(flags) | constants.O_CREAT | constants.O_EXCL;
      const h = await fs.open(await this.hostPath(path), f, mode & 0o7777);
      await this.checkHandle(h);
      return h;
    });
    return new NodeFile(handle);
  }

  readdir(path: P9Path): Promise<string[]> {
    return this.serial(async () => {
      const host = await this.hostPath(path);
      if (!this.procFd) {
        if (!(await fs.lstat(host)).isDirectory()) throw new P9BackendError("ENOTDIR", "not a directory");
        return fs.readdir(host);
      }
      // List through the descriptor, so what is listed is what was checked.
      const h = await fs.open(host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        await this.checkHandle(h);
        return await fs.readdir(`${PROC_FD}/${h.fd}`);
      } finally {
        await h.close().catch(() => undefined);
      }
    });
  }

  async mkdir(path: P9Path, mode: number): Promise<void> {
    this.writable();
    await this.serial(async () => fs.mkdir(await this.hostPath(path), { mode: mode & 0o7777 }));
  }

  async symlink(path: P9Path, target: string): Promise<void> {
    this.writable();
    await this.serial(async () => fs.symlink(target, await this.hostPath(path)));
  }

  readlink(path: P9Path): Promise<string> {
    return this.serial(async () => fs.readlink(await this.hostPath(path)));
  }

  async unlink(path: P9Path, directory: boolean): Promise<void> {
    this.writable();
    if (path.length === 0) throw new P9BackendError("EBUSY", "the share's root");
    await this.serial(async () => {
      const host = await this.hostPath(path);
      if (directory) await fs.rmdir(host);
      else await fs.unlink(host);
    });
  }

  async rename(from: P9Path, to: P9Path): Promise<void> {
    this.writable();
    if (from.length === 0 || to.length === 0) throw new P9BackendError("EBUSY", "the share's root");
    await this.serial(async () => fs.rename(await this.hostPath(from), await this.hostPath(to)));
  }

  async link(existing: P9Path, path: P9Path): Promise<void> {
    this.writable();
    await this.serial(async () => fs.link(await this.hostPath(existing), await this.hostPath(path)));
  }

  async setattr(path: P9Path, changes: P9SetAttr): Promise<void> {
    this.writable();
    await this.serial(async () => {
      const host = await this.hostPath(path);
      const st = await fs.lstat(host);
      const symlink = st.isSymbolicLink();
      // chmod, truncate and utimes follow symlinks; a symlink's own mode and size do not change.
      if (changes.mode !== undefined && !symlink) await fs.chmod(host, changes.mode & 0o7777);
      if (changes.size !== undefined) {
        if (!st.isFile()) throw new P9BackendError(st.isDirectory() ? "EISDIR" : "EINVAL", "not a file");
        await fs.truncate(host, changes.size);
      }
      if (changes.uid !== undefined || changes.gid !== undefined) {
        // Without privilege the host keeps the owner, as QEMU's security_model=none does.
        await fs.lchown(host, changes.uid ?? -1, changes.gid ?? -1).catch(() => undefined);
      }
      if (changes.atime !== undefined || changes.mtime !== undefined) {
        const time = (t: bigint | "now" | undefined, old: Date): Date | number =>
          t === undefined ? old : t === "now" ? Date.now() / 1000 : Number(t) / 1e9;
        await fs.lutimes(host, time(changes.atime, st.atime), time(changes.mtime, st.mtime));
      }
    });
  }

  async statfs(): Promise<P9StatFs> {
    const s = await fs.statfs(await this.realRoot(), { bigint: true });
    return {
      bsize: Number(s.bsize),
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
    };
  }
}

function toAttr(s: import("node:fs").BigIntStats): P9Attr {
  return {
    mode: Number(s.mode),
    uid: Number(s.uid),
    gid: Number(s.gid),
    nlink: s.nlink,
    rdev: s.rdev,
    size: s.size,
    blksize: s.blksize,
    blocks: s.blocks,
    ino: s.ino,
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
  };
}

/** Descriptor I/O runs outside the path queue: it cannot change where the file is. */
class NodeFile implements P9File {
  constructor(private readonly handle: fs.FileHandle) {}

  async read(into: Uint8Array, position: number): Promise<number> {
    return (await this.handle.read(into, 0, into.length, position)).bytesRead;
  }

  async write(data: Uint8Array, position: number): Promise<number> {
    return (await this.handle.write(data, 0, data.length, position)).bytesWritten;
  }

  async sync(dataOnly: boolean): Promise<void> {
    if (dataOnly) await this.handle.datasync();
    else await this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
