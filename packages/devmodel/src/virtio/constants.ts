/**
 * virtio 1.2 constants shared by the transport, the virtqueues and every device: the virtio-mmio
 * register map (§4.2.2, legacy §4.2.4), device status bits (§2.1), reserved feature bits (§6) and
 * split-ring flags (§2.7). Names follow the spec and Linux's `virtio_mmio.h` / `virtio_ring.h`.
 */

// ---------------------------------------------------------------- virtio-mmio registers

/** R: 0x74726976, "virt" in little-endian. */
export const VIRTIO_MMIO_MAGIC_VALUE = 0x000;
/** R: 2 for the modern interface, 1 for legacy. */
export const VIRTIO_MMIO_VERSION = 0x004;
/** R: the device type (2 = block, 3 = console, ...); 0 means no device. */
export const VIRTIO_MMIO_DEVICE_ID = 0x008;
/** R: the vendor; drivers only print it. */
export const VIRTIO_MMIO_VENDOR_ID = 0x00c;
/** R: 32 feature bits of the device, the word chosen by DeviceFeaturesSel. */
export const VIRTIO_MMIO_DEVICE_FEATURES = 0x010;
/** W: which 32-bit word DeviceFeatures shows. */
export const VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014;
/** W: 32 feature bits the driver accepts, the word chosen by DriverFeaturesSel. */
export const VIRTIO_MMIO_DRIVER_FEATURES = 0x020;
/** W: which 32-bit word DriverFeatures sets. */
export const VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024;
/** W (legacy): the guest page size QueuePFN counts in. */
export const VIRTIO_MMIO_GUEST_PAGE_SIZE = 0x028;
/** W: the queue the Queue* registers address. */
export const VIRTIO_MMIO_QUEUE_SEL = 0x030;
/** R: largest queue size the device takes for the selected queue; 0 when it does not exist. */
export const VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034;
/** W: queue size the driver chose. */
export const VIRTIO_MMIO_QUEUE_NUM = 0x038;
/** W (legacy): alignment of the used ring in bytes. */
export const VIRTIO_MMIO_QUEUE_ALIGN = 0x03c;
/** RW (legacy): guest page number of the queue; 0 stops the queue. */
export const VIRTIO_MMIO_QUEUE_PFN = 0x040;
/** RW: 1 once the selected queue's addresses and size are set. */
export const VIRTIO_MMIO_QUEUE_READY = 0x044;
/** W: the doorbell; the value is the queue index. */
export const VIRTIO_MMIO_QUEUE_NOTIFY = 0x050;
/** R: pending interrupt causes (VIRTIO_MMIO_INT_*). */
export const VIRTIO_MMIO_INTERRUPT_STATUS = 0x060;
/** W: clears the interrupt causes whose bits are set. */
export const VIRTIO_MMIO_INTERRUPT_ACK = 0x064;
/** RW: device status (VIRTIO_CONFIG_S_*); writing 0 resets the device. */
export const VIRTIO_MMIO_STATUS = 0x070;
/** W: descriptor table address, low and high words. */
export const VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080;
export const VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084;
/** W: driver area (available ring) address. */
export const VIRTIO_MMIO_QUEUE_AVAIL_LOW = 0x090;
export const VIRTIO_MMIO_QUEUE_AVAIL_HIGH = 0x094;
/** W: device area (used ring) address. */
export const VIRTIO_MMIO_QUEUE_USED_LOW = 0x0a0;
export const VIRTIO_MMIO_QUEUE_USED_HIGH = 0x0a4;
/** W: shared memory region selector; none are offered. */
export const VIRTIO_MMIO_SHM_SEL = 0x0ac;
/** R: shared memory region length; all ones means the region does not exist. */
export const VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0;
export const VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4;
/** R: shared memory region base; all ones means the region does not exist. */
export const VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8;
export const VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc;
/** R: changes whenever the device configuration changes, for torn-read detection. */
export const VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc;
/** Start of the device-specific configuration space. */
export const VIRTIO_MMIO_CONFIG = 0x100;
/** Size of one virtio-mmio window. */
export const VIRTIO_MMIO_WINDOW_SIZE = 0x1000;

/** MagicValue contents. */
export const VIRTIO_MMIO_MAGIC = 0x7472_6976;
/** "MONO" little-endian, the vendor ID every monovisor device reports. */
export const VIRTIO_MMIO_MONOVISOR_VENDOR = 0x4f4e_4f4d;

/** InterruptStatus bit 0: a queue's used ring was updated. */
export const VIRTIO_MMIO_INT_VRING = 1 << 0;
/** InterruptStatus bit 1: the device configuration changed (or the device needs a reset). */
export const VIRTIO_MMIO_INT_CONFIG = 1 << 1;

// ---------------------------------------------------------------- device status (§2.1)

/** The guest found the device. */
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
/** The guest has a driver for it. */
export const VIRTIO_CONFIG_S_DRIVER = 2;
/** The driver is set up; the device may use its queues. */
export const VIRTIO_CONFIG_S_DRIVER_OK = 4;
/** Feature negotiation is complete (modern only); clears again when the device refuses. */
export const VIRTIO_CONFIG_S_FEATURES_OK = 8;
/** The device hit an error it cannot recover from; only a reset helps. */
export const VIRTIO_CONFIG_S_NEEDS_RESET = 64;
/** The driver gave up on the device. */
export const VIRTIO_CONFIG_S_FAILED = 128;

// ---------------------------------------------------------------- reserved feature bits (§6)

/** Legacy: interrupt when the available ring runs empty even if suppressed. Not offered. */
export const VIRTIO_F_NOTIFY_ON_EMPTY = 24;
/** Legacy: the device makes no assumptions about buffer framing. */
export const VIRTIO_F_ANY_LAYOUT = 27;
/** Descriptors may point at indirect descriptor tables. */
export const VIRTIO_F_RING_INDIRECT_DESC = 28;
/** used_event / avail_event replace the ring flags for notification suppression. */
export const VIRTIO_F_RING_EVENT_IDX = 29;
/** The modern (non-legacy) interface. */
export const VIRTIO_F_VERSION_1 = 32;
/** The device sits behind an IOMMU. Not offered: guest addresses are physical. */
export const VIRTIO_F_ACCESS_PLATFORM = 33;
/** Packed virtqueues. Not offered: split rings only. */
export const VIRTIO_F_RING_PACKED = 34;

/** A feature bit as a mask. */
export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

export function hasFeature(features: bigint, bit: number): boolean {
  return ((features >> BigInt(bit)) & 1n) === 1n;
}

// ---------------------------------------------------------------- split virtqueue (§2.7)

/** Descriptor flag: the chain continues at `next`. */
export const VIRTQ_DESC_F_NEXT = 1;
/** Descriptor flag: the buffer is device-writable (otherwise device-readable). */
export const VIRTQ_DESC_F_WRITE = 2;
/** Descriptor flag: the buffer is a table of descriptors. */
export const VIRTQ_DESC_F_INDIRECT = 4;
/** Available ring flag: the driver wants no interrupts (ignored with EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Used ring flag: the device wants no notifications (ignored with EVENT_IDX). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;

/** Bytes in one descriptor: addr u64, len u32, flags u16, next u16. */
export const VIRTQ_DESC_SIZE = 16;
/** Largest queue size a split ring may have. */
export const VIRTQ_MAX_SIZE = 32768;

// ---------------------------------------------------------------- device IDs (§5)

export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_RNG = 4;
export const VIRTIO_ID_BALLOON = 5;
export const VIRTIO_ID_9P = 9;
