/**
 * TypeScript constants derived from the description in `spec.ts`, keeping the literal types:
 * `SbiEid.HSM` has type `0x48534d`, `SbiFid.HSM.HART_START` has type `0`.
 */
import { SBI_CONSTANT_GROUPS, SBI_ERRORS, SBI_EXTENSIONS } from "./spec.js";

type Extension = (typeof SBI_EXTENSIONS)[number];
type ErrorEntry = (typeof SBI_ERRORS)[number];
type Group = (typeof SBI_CONSTANT_GROUPS)[number];

type ValuesById<T extends { readonly id: string; readonly value: number }> = {
  readonly [E in T as E["id"]]: E["value"];
};

function valuesById<T extends { readonly id: string; readonly value: number }>(
  entries: readonly T[],
): ValuesById<T> {
  return Object.freeze(Object.fromEntries(entries.map((e) => [e.id, e.value]))) as ValuesById<T>;
}

type GroupValues<Id extends Group["id"]> = ValuesById<Extract<Group, { id: Id }>["values"][number]>;

function groupValues<Id extends Group["id"]>(id: Id): GroupValues<Id> {
  const group: { readonly values: readonly { readonly id: string; readonly value: number }[] } | undefined =
    SBI_CONSTANT_GROUPS.find((g) => g.id === id);
  if (group === undefined) throw new Error(`no constant group ${id}`);
  return Object.freeze(Object.fromEntries(group.values.map((v) => [v.id, v.value]))) as GroupValues<Id>;
}

/** Extension IDs by key. */
export const SbiEid = Object.freeze(Object.fromEntries(SBI_EXTENSIONS.map((e) => [e.id, e.eid]))) as {
  readonly [E in Extension as E["id"]]: E["eid"];
};

/** Function IDs by extension key and function key. */
export const SbiFid = Object.freeze(
  Object.fromEntries(
    SBI_EXTENSIONS.map((e) => [
      e.id,
      Object.freeze(Object.fromEntries(e.functions.map((f) => [f.id, f.fid]))),
    ]),
  ),
) as {
  readonly [E in Extension as E["id"]]: { readonly [F in E["functions"][number] as F["id"]]: F["fid"] };
};

/** Error codes by key: `SbiError.ERR_NOT_SUPPORTED === -2`. */
export const SbiError = valuesById<ErrorEntry>(SBI_ERRORS);

export const SbiImplId = groupValues("IMPL_ID");
export const HsmState = groupValues("HSM_STATE");
export const HsmSuspendType = groupValues("HSM_SUSPEND_TYPE");
export const SrstType = groupValues("SRST_TYPE");
export const SrstReason = groupValues("SRST_REASON");
export const SuspSleepType = groupValues("SUSP_SLEEP_TYPE");
export const StaShmem = groupValues("STA_SHMEM");

export type SbiExtensionKey = Extension["id"];
export type SbiErrorCode = ErrorEntry["value"];
export type HsmStateValue = (typeof HsmState)[keyof typeof HsmState];
export type SrstTypeValue = (typeof SrstType)[keyof typeof SrstType];
export type SrstReasonValue = (typeof SrstReason)[keyof typeof SrstReason];

/** `"ERR_NOT_SUPPORTED"` for -2; undefined for codes the spec does not define. */
export function sbiErrorName(code: number): ErrorEntry["id"] | undefined {
  return SBI_ERRORS.find((e) => e.value === code)?.id;
}
