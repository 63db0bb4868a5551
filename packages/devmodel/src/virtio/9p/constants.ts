/**
 * virtio-9p (virtio 1.2 §5.11) and 9P2000.L protocol constants. Message numbers follow Linux's
 * `include/net/9p/9p.h`; error numbers are the Linux (generic) errno values 9P2000.L carries.
 */

// ---------------------------------------------------------------- virtio-9p

/** Feature: the config space holds a mount tag. */
export const VIRTIO_9P_MOUNT_TAG = 0;
/** Config: le16 tag_len, then tag_len bytes of tag (no terminating NUL). */
export const VIRTIO_9P_CFG_TAG_LEN = 0;
export const VIRTIO_9P_CFG_TAG = 2;
/** Longest mount tag accepted (QEMU uses the same bound). */
export const VIRTIO_9P_MAX_TAG_LEN = 255;

// ---------------------------------------------------------------- message types

export const P9_TLERROR = 6;
export const P9_RLERROR = 7;
export const P9_TSTATFS = 8;
export const P9_TLOPEN = 12;
export const P9_TLCREATE = 14;
export const P9_TSYMLINK = 16;
export const P9_TMKNOD = 18;
export const P9_TRENAME = 20;
export const P9_TREADLINK = 22;
export const P9_TGETATTR = 24;
export const P9_TSETATTR = 26;
export const P9_TXATTRWALK = 30;
export const P9_TXATTRCREATE = 32;
export const P9_TREADDIR = 40;
export const P9_TFSYNC = 50;
export const P9_TLOCK = 52;
export const P9_TGETLOCK = 54;
export const P9_TLINK = 70;
export const P9_TMKDIR = 72;
export const P9_TRENAMEAT = 74;
export const P9_TUNLINKAT = 76;
export const P9_TVERSION = 100;
export const P9_TAUTH = 102;
export const P9_TATTACH = 104;
export const P9_TFLUSH = 108;
export const P9_TWALK = 110;
export const P9_TREAD = 116;
export const P9_TWRITE = 118;
export const P9_TCLUNK = 120;
export const P9_TREMOVE = 122;

/** Header: size[4] type[1] tag[2]. */
export const P9_HEADER_SIZE = 7;
/** Tag of Tversion, which has no outstanding requests to match. */
export const P9_NOTAG = 0xffff;
/** "No fid" (Tattach's afid when there is no authentication). */
export const P9_NOFID = 0xffff_ffff;
/** Most names in one Twalk. */
export const P9_MAXWELEM = 16;
/** Bytes of Rread/Twrite framing (header, fid, offset, count) that msize must leave room for. */
export const P9_IOHDRSZ = 24;
export const P9_PROTO_2000L = "9P2000.L";

// ---------------------------------------------------------------- qid types

export const P9_QTDIR = 0x80;
export const P9_QTSYMLINK = 0x02;
export const P9_QTFILE = 0x00;
/** Size of a qid: type[1] version[4] path[8]. */
export const P9_QID_SIZE = 13;

// ---------------------------------------------------------------- Tlopen / Tlcreate flags

/** Linux generic open flags as 9P2000.L carries them (P9_DOTL_*). */
export const P9_DOTL_RDONLY = 0o0;
export const P9_DOTL_WRONLY = 0o1;
export const P9_DOTL_RDWR = 0o2;
export const P9_DOTL_ACCMODE = 0o3;
export const P9_DOTL_CREATE = 0o100;
export const P9_DOTL_EXCL = 0o200;
export const P9_DOTL_TRUNC = 0o1000;
export const P9_DOTL_APPEND = 0o2000;
export const P9_DOTL_DIRECTORY = 0o200000;

// ---------------------------------------------------------------- Tgetattr / Tsetattr

export const P9_GETATTR_BASIC = 0x0000_07ff;
export const P9_GETATTR_ALL = 0x0000_3fff;

export const P9_ATTR_MODE = 1 << 0;
export const P9_ATTR_UID = 1 << 1;
export const P9_ATTR_GID = 1 << 2;
export const P9_ATTR_SIZE = 1 << 3;
export const P9_ATTR_ATIME = 1 << 4;
export const P9_ATTR_MTIME = 1 << 5;
export const P9_ATTR_CTIME = 1 << 6;
/** Set atime / mtime to the given value rather than now. */
export const P9_ATTR_ATIME_SET = 1 << 7;
export const P9_ATTR_MTIME_SET = 1 << 8;

/** Tunlinkat flag: remove a directory. */
export const P9_AT_REMOVEDIR = 0x200;

/** Rlock status. */
export const P9_LOCK_SUCCESS = 0;
/** Rgetlock type: no conflicting lock. */
export const P9_LOCK_TYPE_UNLCK = 2;

// ---------------------------------------------------------------- errno (Linux)

export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const EMFILE = 24;
export const EFBIG = 27;
export const ENOSPC = 28;
export const EROFS = 30;
export const EMLINK = 31;
export const ERANGE = 34;
export const ENAMETOOLONG = 36;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const EPROTO = 71;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
export const EDQUOT = 122;

/** Node's error codes to Linux errno values; anything else is EIO. */
export const NODE_ERRNO: Readonly<Record<string, number>> = {
  EPERM,
  ENOENT,
  EIO,
  EBADF,
  EAGAIN,
  ENOMEM,
  EACCES,
  EBUSY,
  EEXIST,
  EXDEV,
  ENOTDIR,
  EISDIR,
  EINVAL,
  EMFILE,
  EFBIG,
  ENOSPC,
  EROFS,
  EMLINK,
  ERANGE,
  ENAMETOOLONG,
  ENOSYS,
  ENOTEMPTY,
  ELOOP,
  EOVERFLOW,
  EOPNOTSUPP,
  ENOTSUP: EOPNOTSUPP,
  EDQUOT,
};
