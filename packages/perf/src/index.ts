export type { IrqSourceLatency } from "./analysis/irq-latency.js";
export { IrqLatency } from "./analysis/irq-latency.js";
export type { HostTraceClock, TraceClock } from "./clock.js";
export { createHostClock, ManualClock } from "./clock.js";
export type {
  ChromeTrace,
  ChromeTraceEvent,
  ChromeTraceOptions,
  ChromeTraceSource,
} from "./export/chrome-trace.js";
export { toChromeTrace } from "./export/chrome-trace.js";
export type { FoldedStack } from "./export/folded.js";
export { foldStacks } from "./export/folded.js";
export type { RecordingMetadata } from "./export/recording.js";
export {
  encodeRecording,
  RECORDING_VERSION,
  Recording,
  RecordingFormatError,
  readRecording,
} from "./export/recording.js";
export type { ProfileEntry, ProfileMode, ProfileQuery, ProfileSample } from "./profile/profile.js";
export { Profile } from "./profile/profile.js";
export { RecordBatch } from "./ring/record-batch.js";
export { HOST_VCPU, RECORD_BYTES } from "./ring/record-layout.js";
export type { OverflowPolicy, TraceRingOptions } from "./ring/trace-ring.js";
export { TraceRing } from "./ring/trace-ring.js";
export { Counter } from "./stats/counter.js";
export type { HistogramBucket, HistogramSummary } from "./stats/histogram.js";
export { Histogram, HistogramMergeError } from "./stats/histogram.js";
export type { ElfSymbolOptions } from "./symbols/elf-symbols.js";
export { ElfFormatError, parseElfSymbols } from "./symbols/elf-symbols.js";
export type { SymbolEntry, SymbolMatch } from "./symbols/symbol-table.js";
export { formatSymbol, SymbolTable, splitAddress } from "./symbols/symbol-table.js";
export type { SymbolDescription, SymbolModuleOptions } from "./symbols/symbolizer.js";
export { Symbolizer } from "./symbols/symbolizer.js";
export type { SystemMapOptions } from "./symbols/system-map.js";
export { parseSystemMap } from "./symbols/system-map.js";
export type { FieldValue, TraceEvent } from "./tracepoint/decode.js";
export { decodeRecord, toU64 } from "./tracepoint/decode.js";
export type {
  FieldLayout,
  FieldSpec,
  FieldType,
  PayloadArgs,
  TracepointKind,
  TracepointSpec,
} from "./tracepoint/fields.js";
export { PAYLOAD_WORDS, TracepointSpecError } from "./tracepoint/fields.js";
export type {
  TracepointInfo,
  TracepointRegistryOptions,
  TracepointSelector,
  TraceTable,
} from "./tracepoint/registry.js";
export { TracepointRegistry, UnknownTracepointError } from "./tracepoint/registry.js";
export type {
  StandardTracepointName,
  StandardTracepointSpec,
  StandardTracepointSpecOf,
} from "./tracepoint/standard.js";
export { STANDARD_TRACEPOINTS } from "./tracepoint/standard.js";
export { StringTable } from "./tracepoint/strings.js";
export type {
  TracepointMode,
  TracepointStorage,
  TraceSink,
  TypedTracepoint,
} from "./tracepoint/tracepoint.js";
export { Tracepoint } from "./tracepoint/tracepoint.js";
export type {
  RingStats,
  Subscription,
  TraceFilter,
  TraceListener,
  TracepointStats,
  TracerOptions,
  TracerStats,
  TracerThreadPort,
} from "./tracer.js";
export { Tracer } from "./tracer.js";
