/** virtio-balloon (virtio 1.2 §5.5): feature bits, config layout, queues and statistics tags. */

/** Feature: the driver tells the host before using deflated pages. */
export const VIRTIO_BALLOON_F_MUST_TELL_HOST = 0;
/** Feature: a statistics queue. */
export const VIRTIO_BALLOON_F_STATS_VQ = 1;
/** Feature: the guest may deflate on its own when out of memory. */
export const VIRTIO_BALLOON_F_DEFLATE_ON_OOM = 2;

/** Config offsets (struct virtio_balloon_config). */
export const VIRTIO_BALLOON_CFG_NUM_PAGES = 0; // u32, host's target, in 4 KiB pages
export const VIRTIO_BALLOON_CFG_ACTUAL = 4; // u32, pages the driver holds, written by it
export const VIRTIO_BALLOON_CONFIG_SIZE = 16;

export const VIRTIO_BALLOON_INFLATE_QUEUE = 0;
export const VIRTIO_BALLOON_DEFLATE_QUEUE = 1;
export const VIRTIO_BALLOON_STATS_QUEUE = 2;

/** Balloon page frame numbers count 4 KiB pages whatever the guest page size. */
export const VIRTIO_BALLOON_PFN_SHIFT = 12;
/** A statistic: tag u16 then value u64, packed. */
export const VIRTIO_BALLOON_STAT_SIZE = 10;

/** Statistics tags, by name (Linux `virtio_balloon.h`). */
export const VIRTIO_BALLOON_STAT_NAMES: Readonly<Record<number, string>> = {
  0: "swap-in",
  1: "swap-out",
  2: "major-faults",
  3: "minor-faults",
  4: "free-memory",
  5: "total-memory",
  6: "available-memory",
  7: "disk-caches",
  8: "hugetlb-allocations",
  9: "hugetlb-failures",
  10: "oom-kills",
  11: "alloc-stalls",
  12: "async-scans",
  13: "direct-scans",
  14: "async-reclaims",
  15: "direct-reclaims",
};
