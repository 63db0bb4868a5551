/**
 * What the 9P server needs from a host filesystem. Paths are lists of names relative to the
 * share's root, already cleaned by the server: no empty names, no `.`, `..` or `/`. A backend
 * must keep every operation inside its root whatever the host tree looks like (see
 * {@link NodeFsBackend} for how the Node one does it).
 */

/** A path inside the share: names from the root down; `[]` is the root. */
export type P9Path = readonly string[];

/** lstat-like attributes (never of a symlink's target). */
export interface P9Attr {
  /** st_mode, file type bits included (Linux S_IF* values). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: bigint;
  readonly rdev: bigint;
  readonly size: bigint;
  readonly blksize: bigint;
  readonly blocks: bigint;
  /** Inode number: the qid path. */
  readonly ino: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

export interface P9StatFs {
  readonly bsize: number;
  readonly blocks: bigint;
  readonly bfree: bigint;
  readonly bavail: bigint;
  readonly files: bigint;
  readonly ffree: bigint;
}

export interface P9OpenFlags {
  readonly read: boolean;
  readonly write: boolean;
  readonly truncate?: boolean;
  readonly append?: boolean;
}

/** An open regular file. */
export interface P9File {
  read(into: Uint8Array, position: number): Promise<number>;
  write(data: Uint8Array, position: number): Promise<number>;
  sync(dataOnly: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Attribute changes of Tsetattr; `"now"` sets a time to the current time. */
export interface P9SetAttr {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly size?: number;
  readonly atime?: bigint | "now";
  readonly mtime?: bigint | "now";
}

/**
 * A host directory as the 9P server sees it. Failures reject with an error carrying a Node-style
 * `code` ("ENOENT", ...), which the server maps to a Linux errno.
 */
export interface P9Backend {
  /** Every mutation rejects with EROFS. */
  readonly readOnly: boolean;
  stat(path: P9Path): Promise<P9Attr>;
  /** Opens a regular file without following a symlink at `path`. */
  open(path: P9Path, flags: P9OpenFlags): Promise<P9File>;
  /** Creates and opens a regular file; an existing name (symlink or not) is EEXIST. */
  create(path: P9Path, flags: P9OpenFlags, mode: number): Promise<P9File>;
  /** Names in a directory (no `.` / `..`); a symlink at `path` is ENOTDIR. */
  readdir(path: P9Path): Promise<string[]>;
  mkdir(path: P9Path, mode: number): Promise<void>;
  symlink(path: P9Path, target: string): Promise<void>;
  readlink(path: P9Path): Promise<string>;
  unlink(path: P9Path, directory: boolean): Promise<void>;
  rename(from: P9Path, to: P9Path): Promise<void>;
  link(existing: P9Path, path: P9Path): Promise<void>;
  setattr(path: P9Path, changes: P9SetAttr): Promise<void>;
  statfs(): Promise<P9StatFs>;
}

/** An error with a Node-style code, as backends report failures. */
export class P9BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
