// Which event kinds the `forwarder` profile exports for a `--events` selection (JSON-OUTPUT.md §2.2), as
// formats/forwarder.ts decides it per event.
import type { EventKind } from "../../decode/event.js";

/** Kind → the names that select it (any one of them); the order gives each kind its index. */
const SELECTED_BY = [
  ["procstart", ["ingress.event.process", "ingress.event.procstart", "ingress.event.procend"]],
  // The 3.7 forwarder exports process ends only when procend itself is selected.
  ["procend", ["ingress.event.procend"]],
  ["modload", ["ingress.event.moduleload"]],
  ["filemod", ["ingress.event.filemod"]],
  ["netconn", ["ingress.event.netconn"]],
  ["netconnv2", ["ingress.event.netconn"]],
  ["regmod", ["ingress.event.regmod"]],
  ["childproc", ["ingress.event.childproc"]],
  ["crossprocopen", ["ingress.event.crossprocopen"]],
  // Documented extension: naming remotethread explicitly also selects remote threads.
  ["remotethread", ["ingress.event.crossprocopen", "ingress.event.remotethread"]],
  ["emet", ["ingress.event.emetmitigation"]],
  ["filelessscript", ["ingress.event.filelessscriptload"]],
  ["tamper", ["ingress.event.tamper"]],
  ["processblock", ["ingress.event.processblock"]],
  ["module", ["ingress.event.module"]],
] as const satisfies readonly (readonly [EventKind, readonly string[]])[];

/** The kinds the direct writers write. */
export type WrittenKind = (typeof SELECTED_BY)[number][0];

/**
 * The kinds the direct writers tell apart, by index: classify returns one, and per-kind tables and counts are
 * arrays indexed by it (a Map or Set lookup per record showed in profiles).
 */
export const KINDS: readonly WrittenKind[] = SELECTED_BY.map(([kind]) => kind);

/** Index of each kind in KINDS, as constants (a fast object: test/formats/fast/fields.test.ts checks it). */
export const KIND = Object.fromEntries(KINDS.map((kind, i) => [kind, i])) as Readonly<
  Record<WrittenKind, number>
>;

const INDEX = new Map<EventKind, number>(KINDS.map((kind, i) => [kind, i]));

/** Index of a kind in KINDS, -1 for one the direct writers do not write (unexported payloads, empty). */
export function kindIndex(kind: EventKind): number {
  return INDEX.get(kind) ?? -1;
}

/** 1 at the index of each exported kind, else 0; `names` undefined selects all. */
export function selectedKinds(names: ReadonlySet<string> | undefined): Uint8Array {
  const selected = new Uint8Array(KINDS.length);
  SELECTED_BY.forEach(([, by], i) => {
    if (names === undefined || by.some((n) => names.has(n))) selected[i] = 1;
  });
  return selected;
}
