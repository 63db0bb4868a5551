/**
 * One level-triggered interrupt line, from a device to an interrupt controller (e.g. a PLIC
 * source). The device drives the level; the controller decides what the hart sees.
 */
export interface IrqLine {
  setLevel(level: boolean): void;
}

/**
 * What an interrupt controller drives on a hart: one `mip` bit (e.g. MEIP = 11, SEIP = 9,
 * MTIP = 7, MSIP = 3, SSIP = 1) as a level. The hart ORs these levels into the `mip` it exposes.
 */
export interface InterruptTarget {
  setPending(mipBit: number, level: boolean): void;
}
