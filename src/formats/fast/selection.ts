// Which event kinds the `forwarder` profile exports for a `--events` selection (JSON-OUTPUT.md §2.2), as
// formats/forwarder.ts decides it per event.
import type { EventKind } from "../../decode/event.js";

/** Kind → the names that select it (any one of them). */
const SELECTED_BY: readonly (readonly [EventKind, readonly string[]])[] = [
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
];

/**
 * The kinds the direct writers tell apart, by index: classify returns one, and per-kind tables and counts are
 * arrays indexed by it (a Map or Set lookup per record showed in profiles). A literal, so that V8 keeps it a
 * fast object with constant fields.
 */
export const KIND = {
  procstart: 0,
  procend: 1,
  modload: 2,
  filemod: 3,
  netconn: 4,
  netconnv2: 5,
  regmod: 6,
  childproc: 7,
  crossprocopen: 8,
  remotethread: 9,
  emet: 10,
  filelessscript: 11,
  tamper: 12,
  processblock: 13,
  module: 14,
} as const satisfies Partial<Record<EventKind, number>>;

/** The kind of each index. */
export const KINDS = Object.keys(KIND) as readonly (keyof typeof KIND)[];

const INDEX = new Map<EventKind, number>(Object.entries(KIND) as [EventKind, number][]);

/** Index of a kind in KINDS, -1 for one the direct writers do not write (unexported payloads, empty). */
export function kindIndex(kind: EventKind): number {
  return INDEX.get(kind) ?? -1;
}

/** 1 at the index of each exported kind, else 0; `names` undefined selects all. */
export function selectedKinds(names: ReadonlySet<string> | undefined): Uint8Array {
  const selected = new Uint8Array(KINDS.length);
  for (const [kind, by] of SELECTED_BY)
    if (names === undefined || by.some((n) => names.has(n))) selected[kindIndex(kind)] = 1;
  return selected;
}
