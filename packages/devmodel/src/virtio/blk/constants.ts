/** virtio-blk (virtio 1.2 §5.2): feature bits, config layout, request types and status codes. */

/** Feature: config `size_max` bounds one segment. */
export const VIRTIO_BLK_F_SIZE_MAX = 1;
/** Feature: config `seg_max` bounds the segments of one request. */
export const VIRTIO_BLK_F_SEG_MAX = 2;
/** Feature: the disk is read-only. */
export const VIRTIO_BLK_F_RO = 5;
/** Feature: config `blk_size` is the logical block size. */
export const VIRTIO_BLK_F_BLK_SIZE = 6;
/** Feature: FLUSH requests; without it the disk must write through. */
export const VIRTIO_BLK_F_FLUSH = 9;
/** Feature: DISCARD requests and their config limits. */
export const VIRTIO_BLK_F_DISCARD = 13;
/** Feature: WRITE_ZEROES requests and their config limits. */
export const VIRTIO_BLK_F_WRITE_ZEROES = 14;

/** Config offsets (struct virtio_blk_config). */
export const VIRTIO_BLK_CFG_CAPACITY = 0; // u64, in 512-byte sectors
export const VIRTIO_BLK_CFG_SIZE_MAX = 8; // u32
export const VIRTIO_BLK_CFG_SEG_MAX = 12; // u32
export const VIRTIO_BLK_CFG_BLK_SIZE = 20; // u32
export const VIRTIO_BLK_CFG_NUM_QUEUES = 34; // u16
export const VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS = 36; // u32
export const VIRTIO_BLK_CFG_MAX_DISCARD_SEG = 40; // u32
export const VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT = 44; // u32
export const VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS = 48; // u32
export const VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG = 52; // u32
export const VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP = 56; // u8
/** Bytes of config space through write_zeroes_may_unmap and its padding. */
export const VIRTIO_BLK_CONFIG_SIZE = 60;

/** Request types (struct virtio_blk_req `type`). */
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;

/** Request status byte. */
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

/** Request header: type u32, reserved u32, sector u64. */
export const VIRTIO_BLK_REQ_HEADER_SIZE = 16;
/** Discard / write-zeroes segment: sector u64, num_sectors u32, flags u32. */
export const VIRTIO_BLK_DISCARD_SEGMENT_SIZE = 16;
/** Segment flag: write-zeroes may deallocate the range. */
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;
/** GET_ID answers with at most this many bytes, not NUL-terminated when full. */
export const VIRTIO_BLK_ID_BYTES = 20;
/** Sectors are 512 bytes whatever the block size. */
export const VIRTIO_BLK_SECTOR_SIZE = 512;
