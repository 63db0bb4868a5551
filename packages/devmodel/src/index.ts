export type { CharBackend } from "./backends/char-backend.js";
export { BufferCharBackend, NullCharBackend } from "./backends/char-backend.js";
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
export type { VirtBootFlow, VirtMachineConfig, VirtMachineExit } from "./board/virt-machine.js";
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
export type { GoldfishRtcOptions, GoldfishRtcState, WallTimeSource } from "./rtc/goldfish-rtc.js";
export {
  GOLDFISH_RTC_STATE_TYPE,
  GOLDFISH_RTC_STATE_VERSION,
  GoldfishRtc,
  hostWallTime,
} from "./rtc/goldfish-rtc.js";
export { DeviceStateError } from "./state/device-state.js";
export type { SifiveTestEvent, SifiveTestOptions, SifiveTestState } from "./syscon/sifive-test.js";
export { SIFIVE_TEST_STATE_TYPE, SIFIVE_TEST_STATE_VERSION, SifiveTest } from "./syscon/sifive-test.js";
export type { Ns16550aOptions, Ns16550aState } from "./uart/ns16550a.js";
export { NS16550A_STATE_TYPE, NS16550A_STATE_VERSION, Ns16550a } from "./uart/ns16550a.js";
