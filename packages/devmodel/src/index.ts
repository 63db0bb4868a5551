export type { CharBackend } from "./backends/char-backend.js";
export { BufferCharBackend, NullCharBackend } from "./backends/char-backend.js";
export type { BlockBackend, WriteZeroesOptions } from "./block/block-backend.js";
export {
  BlockError,
  BlockIoError,
  BlockRangeError,
  BlockReadOnlyError,
  checkBlockRequest,
  ImageFormatError,
  SECTOR_SIZE,
} from "./block/block-backend.js";
export type { ImageFile } from "./block/image-file.js";
export { MemoryImageFile } from "./block/image-file.js";
export type { MemoryBlockBackendOptions } from "./block/memory-backend.js";
export { MemoryBlockBackend } from "./block/memory-backend.js";
export { NodeImageFile } from "./block/node-image-file.js";
export type { ImageFormat, OpenImageOptions, OpenQcow2Options } from "./block/open-image.js";
export {
  MAX_BACKING_CHAIN,
  nodeInflateRaw,
  openImage,
  openQcow2,
  openRaw,
  probeImageFormat,
} from "./block/open-image.js";
export type { InflateRaw, OpenBacking, Qcow2ImageInfo, Qcow2OpenOptions } from "./block/qcow2/qcow2.js";
export { QCOW2_DEFAULT_METADATA_CACHE, Qcow2BlockBackend } from "./block/qcow2/qcow2.js";
export type { RawOptions } from "./block/raw.js";
export { RawBlockBackend } from "./block/raw.js";
export type { FirmwareBootLayout, FirmwareBootRequest, FwDynamicInfo } from "./board/boot-layout.js";
export {
  encodeFwDynamicInfo,
  FW_DYNAMIC_INFO_MAGIC,
  FW_DYNAMIC_INFO_VERSION,
  planFirmwareBoot,
} from "./board/boot-layout.js";
export type { VirtRegion, VirtRegionKind } from "./board/memory-map.js";
export {
  overlappingRegions,
  VIRT_DRAM_BASE,
  VIRT_RTC_IRQ,
  VIRT_UART0_IRQ,
  VIRT_VIRTIO_COUNT,
  virtMemoryMap,
  virtRegion,
} from "./board/memory-map.js";
export type { VirtDeviceTreeOptions } from "./board/virt-device-tree.js";
export {
  buildVirtDeviceTree,
  VIRT_MMU_TYPE,
  VIRT_RISCV_ISA,
  VIRT_TIMEBASE_FREQUENCY,
} from "./board/virt-device-tree.js";
export type {
  VirtBootFlow,
  VirtMachineConfig,
  VirtMachineExit,
  VirtRestoreOptions,
  VirtVirtioSlot,
} from "./board/virt-machine.js";
export {
  VIRT_DEFAULT_CMDLINE,
  VIRT_DEFAULT_MEMORY,
  VIRT_MAX_HARTS,
  VIRT_MIN_MEMORY,
  VirtConfigError,
  VirtMachine,
} from "./board/virt-machine.js";
export type { DeviceTreeOptions, FdtReservation } from "./fdt/device-tree.js";
export { DeviceTree, FdtNode, u64Cells } from "./fdt/device-tree.js";
export { FdtError } from "./fdt/format.js";
export { parseDtb } from "./fdt/reader.js";
export type { ElfImage, ElfSegment } from "./loaders/elf.js";
export { ElfFormatError, ElfLoadError, EM_RISCV, loadElf, parseElf } from "./loaders/elf.js";
export type {
  BootRange,
  LinuxBootImages,
  LinuxBootLayout,
  LinuxBootRequest,
  LinuxImageHeader,
} from "./loaders/linux-image.js";
export {
  BootLayoutError,
  LinuxImageError,
  loadLinuxBoot,
  parseLinuxImage,
  planLinuxBoot,
  RV64_KERNEL_ALIGN,
} from "./loaders/linux-image.js";
export type { BareMetalOptions, BareMetalResult, BareMetalStatus } from "./machines/bare-metal.js";
export {
  BARE_METAL_CLINT_BASE,
  BARE_METAL_SYSCON_BASE,
  BARE_METAL_UART_BASE,
  runBareMetal,
} from "./machines/bare-metal.js";
export type { DgramNetBackendOptions, SocketAddress } from "./net/dgram-backend.js";
export { DgramNetBackend, parseSocketAddress } from "./net/dgram-backend.js";
export type { FrameReceiver, NetBackend, NetCounters } from "./net/net-backend.js";
export { formatMac, macFromSeed, parseMac } from "./net/net-backend.js";
export type { SwitchPortStats, VirtualSwitchOptions } from "./net/virtual-switch.js";
export { SwitchPort, VirtualSwitch } from "./net/virtual-switch.js";
export type { GoldfishRtcOptions, GoldfishRtcState, WallTimeSource } from "./rtc/goldfish-rtc.js";
export {
  GOLDFISH_RTC_STATE_TYPE,
  GOLDFISH_RTC_STATE_VERSION,
  GoldfishRtc,
  hostWallTime,
} from "./rtc/goldfish-rtc.js";
export { SnapshotClock } from "./snapshot/snapshot-clock.js";
export type { SnapshotErrorKind, SnapshotReader, SnapshotWriteOptions } from "./snapshot/snapshot-file.js";
export {
  readSnapshot,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_MAGIC,
  SnapshotError,
  writeSnapshot,
} from "./snapshot/snapshot-file.js";
export type { VirtMachineState } from "./snapshot/virt-snapshot.js";
export { VIRT_SNAPSHOT_TYPE, VIRT_SNAPSHOT_VERSION } from "./snapshot/virt-snapshot.js";
export { DeviceStateError } from "./state/device-state.js";
export type { SifiveTestEvent, SifiveTestOptions, SifiveTestState } from "./syscon/sifive-test.js";
export { SIFIVE_TEST_STATE_TYPE, SIFIVE_TEST_STATE_VERSION, SifiveTest } from "./syscon/sifive-test.js";
export type { Ns16550aOptions, Ns16550aState } from "./uart/ns16550a.js";
export { NS16550A_STATE_TYPE, NS16550A_STATE_VERSION, Ns16550a } from "./uart/ns16550a.js";
export * from "./virtio/9p/index.js";
export { VIRTIO_BALLOON_STAT_NAMES } from "./virtio/balloon/constants.js";
export type { VirtioBalloonOptions, VirtioBalloonState } from "./virtio/balloon/virtio-balloon.js";
export {
  VIRTIO_BALLOON_STATE_TYPE,
  VIRTIO_BALLOON_STATE_VERSION,
  VirtioBalloon,
} from "./virtio/balloon/virtio-balloon.js";
export type { VirtioBlkOptions, VirtioBlkState } from "./virtio/blk/virtio-blk.js";
export { VIRTIO_BLK_STATE_TYPE, VIRTIO_BLK_STATE_VERSION, VirtioBlk } from "./virtio/blk/virtio-blk.js";
export type {
  VirtioConsoleOptions,
  VirtioConsolePortOptions,
  VirtioConsolePortState,
  VirtioConsoleState,
} from "./virtio/console/virtio-console.js";
export {
  VIRTIO_CONSOLE_STATE_TYPE,
  VIRTIO_CONSOLE_STATE_VERSION,
  VirtioConsole,
} from "./virtio/console/virtio-console.js";
export * as virtio from "./virtio/constants.js";
export type { DescriptorChain, GuestBuffer, GuestBufferList } from "./virtio/descriptor-chain.js";
export type { VirtioDevice, VirtioDeviceHost, VirtioDeviceState } from "./virtio/device.js";
export { VirtioDeviceError } from "./virtio/guest-ram.js";
export type { VirtioMmioState, VirtioMmioTransportOptions } from "./virtio/mmio-transport.js";
export {
  VIRTIO_MMIO_STATE_TYPE,
  VIRTIO_MMIO_STATE_VERSION,
  VirtioMmioTransport,
} from "./virtio/mmio-transport.js";
export type { VirtioNetOptions, VirtioNetState, VirtioNetStats } from "./virtio/net/virtio-net.js";
export { VIRTIO_NET_STATE_TYPE, VIRTIO_NET_STATE_VERSION, VirtioNet } from "./virtio/net/virtio-net.js";
export type { EntropySource, VirtioRngOptions, VirtioRngState } from "./virtio/rng/virtio-rng.js";
export {
  hostEntropy,
  VIRTIO_RNG_STATE_TYPE,
  VIRTIO_RNG_STATE_VERSION,
  VirtioRng,
} from "./virtio/rng/virtio-rng.js";
export type { SplitVirtqueue, VirtqueueState } from "./virtio/virtqueue.js";
