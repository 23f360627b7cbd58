// Typed sensor events: one decoded CbEventMsg, classified by its payload, with the sensor identity resolved.
import type {
  CbChildProcessMsg,
  CbCrossProcessMsg,
  CbEmetMitigationMsg,
  CbEventMsg,
  CbFileBackedScriptExecute,
  CbFileModMsg,
  CbModuleInfoMsg,
  CbModuleLoadMsg,
  CbNetConnBlockedMsg,
  CbNetConnBlockedMsgv2,
  CbNetConnMsg,
  CbNetConnMsgv2,
  CbProcessBlockedMsg,
  CbProcessMetadataMsg,
  CbProcessMsg,
  CbRegModMsg,
  CbScriptExecute,
  CbStatisticsMsg,
  CbTamperAlertMsg,
  CbVtLoadMsg,
  CbVtWriteMsg,
  InternalUse,
} from "../schema/generated.js";
import { decodeEventMessage } from "../schema/generated.js";
import type { Damage } from "./damage.js";
import { ProtobufError } from "./wire.js";

/** Payload type of each event kind. */
export interface PayloadByKind {
  procstart: CbProcessMsg;
  procend: CbProcessMsg;
  modload: CbModuleLoadMsg;
  filemod: CbFileModMsg;
  netconnv2: CbNetConnMsgv2;
  netconn: CbNetConnMsg;
  regmod: CbRegModMsg;
  childproc: CbChildProcessMsg;
  crossprocopen: CbCrossProcessMsg;
  remotethread: CbCrossProcessMsg;
  emet: CbEmetMitigationMsg;
  filelessscript: CbScriptExecute;
  netconnblockedv2: CbNetConnBlockedMsgv2;
  netconnblocked: CbNetConnBlockedMsg;
  tamper: CbTamperAlertMsg;
  processblock: CbProcessBlockedMsg;
  module: CbModuleInfoMsg;
  processmeta: CbProcessMetadataMsg;
  filebackedscript: CbFileBackedScriptExecute;
  vtwrite: CbVtWriteMsg;
  vtload: CbVtLoadMsg;
  stats: CbStatisticsMsg;
  internaluse: InternalUse;
}

export type PayloadKind = keyof PayloadByKind;
/** `empty`: a valid record without any payload field. */
export type EventKind = PayloadKind | "empty";

/** Where the sensor id came from; `unknown` means GUIDs fall back to the legacy ids (JSON-OUTPUT.md §2.4). */
export type SensorIdSource = "env" | "bus-header" | "folder" | "option" | "unknown";

interface EventCommon {
  /** The whole decoded record. */
  msg: CbEventMsg;
  /** Sensor id: env, else bus header, else archive folder, else --sensor-id; 0 when unknown. */
  sensorId: number;
  sensorIdSource: SensorIdSource;
  /** Endpoint host name: env, else bus header; "" when unknown. */
  computerName: string;
  /** Input file or message name and the record's byte offset, when known. */
  file?: string | undefined;
  offset?: number | undefined;
}

export type SensorEvent =
  | { [K in PayloadKind]: EventCommon & { kind: K; payload: PayloadByKind[K] } }[PayloadKind]
  | (EventCommon & { kind: "empty"; payload: undefined });

/** Identity for records that carry no `env` (archive files, bus bundles). */
export interface RecordContext {
  sensorId?: number | undefined;
  sensorIdSource?: SensorIdSource | undefined;
  computerName?: string | undefined;
  file?: string | undefined;
}

/** Picks the payload in the forwarder's precedence order (JSON-OUTPUT.md §2.1), then the unexported ones. */
function classify(msg: CbEventMsg): { kind: EventKind; payload: unknown } {
  if (msg.process !== undefined)
    return { kind: msg.process.created ? "procstart" : "procend", payload: msg.process };
  if (msg.modload !== undefined) return { kind: "modload", payload: msg.modload };
  if (msg.filemod !== undefined) return { kind: "filemod", payload: msg.filemod };
  if (msg.networkv2 !== undefined) return { kind: "netconnv2", payload: msg.networkv2 };
  if (msg.network !== undefined) return { kind: "netconn", payload: msg.network };
  if (msg.regmod !== undefined) return { kind: "regmod", payload: msg.regmod };
  if (msg.childproc !== undefined) return { kind: "childproc", payload: msg.childproc };
  if (msg.crossproc !== undefined) {
    return {
      kind: msg.crossproc.open !== undefined ? "crossprocopen" : "remotethread",
      payload: msg.crossproc,
    };
  }
  if (msg.emet !== undefined) return { kind: "emet", payload: msg.emet };
  if (msg.scriptexe !== undefined) return { kind: "filelessscript", payload: msg.scriptexe };
  if (msg.netconnBlockedv2 !== undefined) return { kind: "netconnblockedv2", payload: msg.netconnBlockedv2 };
  if (msg.netconnBlocked !== undefined) return { kind: "netconnblocked", payload: msg.netconnBlocked };
  if (msg.tamperAlert !== undefined) return { kind: "tamper", payload: msg.tamperAlert };
  if (msg.blocked !== undefined) return { kind: "processblock", payload: msg.blocked };
  if (msg.module !== undefined) return { kind: "module", payload: msg.module };
  if (msg.processMeta !== undefined) return { kind: "processmeta", payload: msg.processMeta };
  if (msg.fbscriptexe !== undefined) return { kind: "filebackedscript", payload: msg.fbscriptexe };
  if (msg.vtwrite !== undefined) return { kind: "vtwrite", payload: msg.vtwrite };
  if (msg.vtload !== undefined) return { kind: "vtload", payload: msg.vtload };
  if (msg.stats !== undefined) return { kind: "stats", payload: msg.stats };
  if (msg.internalUse !== undefined) return { kind: "internaluse", payload: msg.internalUse };
  return { kind: "empty", payload: undefined };
}

/** Builds the typed event for an already decoded record. */
export function toSensorEvent(msg: CbEventMsg, context: RecordContext = {}, offset?: number): SensorEvent {
  const { kind, payload } = classify(msg);
  const endpoint = msg.env?.endpoint;
  let sensorId = context.sensorId ?? 0;
  let sensorIdSource: SensorIdSource =
    context.sensorId === undefined ? "unknown" : (context.sensorIdSource ?? "option");
  let computerName = context.computerName ?? "";
  if (endpoint !== undefined) {
    sensorId = endpoint.SensorId ?? 0;
    sensorIdSource = "env";
    computerName = endpoint.SensorHostName ?? "";
  }
  return {
    kind,
    payload,
    msg,
    sensorId,
    sensorIdSource,
    computerName,
    file: context.file,
    offset,
  } as SensorEvent;
}

export type DecodeResult = { ok: true; event: SensorEvent } | { ok: false; damage: Damage };

/** Decodes one record payload into a typed event, or a damage value (never throws on bad data). */
export function decodeRecord(payload: Buffer, context: RecordContext = {}, offset = 0): DecodeResult {
  try {
    return { ok: true, event: toSensorEvent(decodeEventMessage(payload), context, offset) };
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
    const missing = err.message.startsWith("required field");
    return {
      ok: false,
      damage: {
        kind: missing ? "missing-header" : "garbage",
        file: context.file,
        offset,
        expected: payload.length,
        available: payload.length,
        message: missing ? err.message : `not a valid CbEventMsg: ${err.message}`,
      },
    };
  }
}
