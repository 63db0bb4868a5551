export {
  GENERATOR_VERSION,
  type GeneratedProgram,
  type GenerateOptions,
  generateSignatureProgram,
} from "./gen.js";
export { Prng } from "./prng.js";
export { type QemuMachine, type QemuRunOptions, type QemuRunResult, qemuArgs, runQemu } from "./qemu.js";
export {
  buildSignatureElf,
  describeDifference,
  parseSignature,
  type Signature,
  signatureCacheDir,
} from "./signature.js";
export { CROSS_GCC, MissingToolError, QEMU_BINARY, requireTool } from "./toolchain.js";
