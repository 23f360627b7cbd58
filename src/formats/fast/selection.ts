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

/** The exported kinds; `names` undefined selects all. */
export function selectedKinds(names: ReadonlySet<string> | undefined): ReadonlySet<EventKind> {
  const kinds = new Set<EventKind>();
  for (const [kind, by] of SELECTED_BY)
    if (names === undefined || by.some((n) => names.has(n))) kinds.add(kind);
  return kinds;
}
