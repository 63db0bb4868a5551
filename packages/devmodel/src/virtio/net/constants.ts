/**
 * virtio-net constants (virtio 1.2 §5.1), named as in Linux's `virtio_net.h`. Only the bits this
 * device offers or has to recognise are listed.
 */

// ---------------------------------------------------------------- feature bits (§5.1.3)

/** Device handles packets with partial checksum. Not offered: the guest checksums every frame. */
export const VIRTIO_NET_F_CSUM = 0;
/** Driver handles packets with partial checksum. Not offered. */
export const VIRTIO_NET_F_GUEST_CSUM = 1;
/** The config space has a valid `mac`. */
export const VIRTIO_NET_F_MAC = 5;
/**
 * Receive buffers may be merged (num_buffers > 1). Not offered: without GSO a frame is at most
 * 1514 bytes, and Linux's non-mergeable buffers (header + 1518 bytes) always hold one.
 */
export const VIRTIO_NET_F_MRG_RXBUF = 15;
/** The config space has a valid `status` (link state). */
export const VIRTIO_NET_F_STATUS = 16;
/** A control virtqueue exists. Not offered. */
export const VIRTIO_NET_F_CTRL_VQ = 17;

// ---------------------------------------------------------------- config space (§5.1.4)

/** mac[6]: the device's MAC address. */
export const VIRTIO_NET_CFG_MAC = 0;
/** le16 status: VIRTIO_NET_S_* (with VIRTIO_NET_F_STATUS). */
export const VIRTIO_NET_CFG_STATUS = 6;
/** le16 max_virtqueue_pairs (with MQ); reads 0 here. */
export const VIRTIO_NET_CFG_MAX_VIRTQUEUE_PAIRS = 8;
/** le16 mtu (with VIRTIO_NET_F_MTU); reads 0 here. */
export const VIRTIO_NET_CFG_MTU = 10;
export const VIRTIO_NET_CONFIG_SIZE = 12;

/** status bit 0: the link is up. */
export const VIRTIO_NET_S_LINK_UP = 1;
/** status bit 1: the driver should announce itself (gratuitous ARP); never set here. */
export const VIRTIO_NET_S_ANNOUNCE = 2;

// ---------------------------------------------------------------- queues and header (§5.1.2, §5.1.6)

export const VIRTIO_NET_RX_QUEUE = 0;
export const VIRTIO_NET_TX_QUEUE = 1;

/**
 * struct virtio_net_hdr: flags u8, gso_type u8, hdr_len le16, gso_size le16, csum_start le16,
 * csum_offset le16, then num_buffers le16 with VERSION_1 or MRG_RXBUF (12 bytes), else 10.
 */
export const VIRTIO_NET_HDR_SIZE = 12;
export const VIRTIO_NET_HDR_SIZE_LEGACY = 10;
/** Offset of num_buffers in the header. */
export const VIRTIO_NET_HDR_NUM_BUFFERS = 10;
/** gso_type: not a GSO frame. */
export const VIRTIO_NET_HDR_GSO_NONE = 0;

/** Destination, source and EtherType: the shortest frame worth forwarding. */
export const ETH_HEADER_SIZE = 14;
