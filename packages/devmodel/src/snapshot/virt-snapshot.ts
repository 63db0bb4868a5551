import type { AclintSswiState, AclintState, HartState, PlicState, SbiServerState } from "@monovisor/hv-core";
import type { GoldfishRtcState } from "../rtc/goldfish-rtc.js";
import type { SifiveTestState } from "../syscon/sifive-test.js";
import type { Ns16550aState } from "../uart/ns16550a.js";
import type { VirtioMmioState } from "../virtio/mmio-transport.js";

export const VIRT_SNAPSHOT_TYPE = "monovisor-virt";
export const VIRT_SNAPSHOT_VERSION = 1;

/** The JSON section of a `virt` machine snapshot, version 1. */
export interface VirtMachineState {
  readonly type: typeof VIRT_SNAPSHOT_TYPE;
  readonly version: typeof VIRT_SNAPSHOT_VERSION;
  /** What a restore must rebuild identically. */
  readonly machine: {
    readonly memoryBytes: number;
    readonly hartCount: number;
    readonly flow: "hypervisor" | "firmware" | "none";
    /** The device tree as loaded (base64), where it sits, and where hart 0 started. */
    readonly dtb: string;
    readonly dtbAddress: number;
    readonly entry: number;
    /** Occupied virtio-mmio slots in order: device type and interface. */
    readonly virtio: readonly { readonly deviceId: number; readonly legacy: boolean }[];
  };
  /** Clock ticks when saved; a restored machine's time continues from here. */
  readonly time: number;
  readonly frequencyHz: number;
  readonly devices: {
    readonly harts: readonly HartState[];
    readonly sbi: SbiServerState | null;
    readonly plic: PlicState;
    readonly aclint: AclintState;
    readonly sswi: AclintSswiState;
    readonly uart: Ns16550aState;
    readonly rtc: GoldfishRtcState;
    readonly syscon: SifiveTestState;
    readonly virtio: readonly VirtioMmioState[];
  };
  /** Console input not yet taken by the guest (base64), and where it goes. */
  readonly host: { readonly pendingInput: string; readonly inputToSbi: boolean };
}
