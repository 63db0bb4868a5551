import type { AccessSize, MmioDevice } from "@monovisor/hv-core";

/** virtio-mmio `MagicValue` ("virt" little-endian), `Version` and `DeviceID` offsets. */
const VIRTIO_MMIO_MAGIC_VALUE = 0x000;
const VIRTIO_MMIO_VERSION = 0x004;
const VIRTIO_MMIO_VENDOR_ID = 0x00c;
const VIRTIO_MAGIC = 0x7472_6976;
const VIRTIO_MMIO_VERSION_2 = 2;
/** "MONO" little-endian; any value works for a slot without a device. */
const MONOVISOR_VIRTIO_VENDOR = 0x4f4e_4f4d;

/**
 * An unpopulated virtio-mmio slot, as QEMU's `virt` presents one: a valid transport header with
 * device ID 0, which drivers skip (Linux's virtio_mmio probe returns -ENODEV quietly). It keeps
 * the device tree's eight `virtio,mmio` nodes honest before devices are plugged in.
 */
export class EmptyVirtioSlot implements MmioDevice {
  constructor(readonly name: string) {}

  read(offset: number, size: AccessSize): number {
    if (size !== 4) return 0;
    if (offset === VIRTIO_MMIO_MAGIC_VALUE) return VIRTIO_MAGIC;
    if (offset === VIRTIO_MMIO_VERSION) return VIRTIO_MMIO_VERSION_2;
    if (offset === VIRTIO_MMIO_VENDOR_ID) return MONOVISOR_VIRTIO_VENDOR;
    return 0;
  }

  write(_offset: number, _size: AccessSize, _value: number): void {}
}
