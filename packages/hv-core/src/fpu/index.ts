export * from "./constants.js";
export { Fpu } from "./fpu.js";
