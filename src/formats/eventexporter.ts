// Profile `eventexporter`: the small documents of the original eventExporter.py (JSON-OUTPUT.md §7.1).
import type { SensorEvent } from "../decode/event.js";
import { hexUpper, ipv4FromLittleEndian, processGuid, swapPort } from "../decode/values.js";
import type {
  CbChildProcessMsg,
  CbEventMsg,
  CbFileModMsg,
  CbModuleInfoMsg,
  CbModuleLoadMsg,
  CbNetConnMsg,
  CbProcessMsg,
  CbRegModMsg,
} from "../schema/generated.js";
import type { Doc, Value } from "./document.js";

/** A record whose payload the original script did not handle; the caller counts it as a failed conversion. */
export class UnsupportedEventError extends Error {
  override readonly name = "UnsupportedEventError";
  constructor(readonly kind: string) {
    super(`eventexporter profile: the original eventExporter.py does not handle '${kind}' events`);
  }
}

const FILETIME_UNIX_OFFSET_MS = 11644473600000n;
// Enum defaults the original's protobuf library returned for absent fields (first declared value).
const DEFAULT_FILEMOD_ACTION = 1;
const DEFAULT_REGMOD_ACTION = 1;
const DEFAULT_PROTOCOL = 6;

const FILEMOD_ACTIONS: Readonly<Record<number, string>> = {
  1: "create",
  2: "write",
  4: "delete",
  8: "lastwrite",
};
const REGMOD_ACTIONS: Readonly<Record<number, string>> = {
  1: "createkey",
  2: "writeval",
  4: "delkey",
  8: "delval",
};

/**
 * The original's document for one event. Payloads are checked in the original's order (process, modload, filemod,
 * regmod, network v1, vtwrite, module, childproc), which differs from the forwarder's; anything else throws
 * UnsupportedEventError.
 */
export function eventExporterDocument(event: SensorEvent): Doc {
  const msg = event.msg;
  if (msg.process !== undefined) return processDoc(event, msg.process);
  if (msg.modload !== undefined) return modloadDoc(event, msg.modload);
  if (msg.filemod !== undefined) return filemodDoc(event, msg.filemod);
  if (msg.regmod !== undefined) return regmodDoc(event, msg.regmod);
  if (msg.network !== undefined) return netconnDoc(event, msg.network);
  if (msg.vtwrite !== undefined) return {};
  if (msg.module !== undefined) return moduleDoc(msg, msg.module);
  if (msg.childproc !== undefined) return childprocDoc(event, msg.childproc);
  throw new UnsupportedEventError(event.kind);
}

function processDoc(event: SensorEvent, p: CbProcessMsg): Doc {
  const doc: Doc = {
    type: "proc",
    timestamp: unixTime(event.msg.header.timestamp),
    process_guid: headerProcessGuid(event),
    parent_process_guid: processGuid(event.sensorId, p.parent_pid ?? 0, p.parent_create_time ?? 0n),
    path: lookupPath(event.msg),
    pid: p.pid ?? 0,
    md5: hexUpper(p.md5hash),
    command_line: p.commandline ?? "",
    sensor_id: sensorId(event),
  };
  if (p.username !== undefined) doc.username = p.username;
  return doc;
}

function modloadDoc(event: SensorEvent, m: CbModuleLoadMsg): Doc {
  return {
    type: "modload",
    timestamp: unixTime(event.msg.header.timestamp),
    process_guid: headerProcessGuid(event),
    path: lookupPath(event.msg),
    md5: hexUpper(m.md5hash),
    sensor_id: sensorId(event),
  };
}

function filemodDoc(event: SensorEvent, f: CbFileModMsg): Doc {
  const action = f.action ?? DEFAULT_FILEMOD_ACTION;
  return {
    type: "filemod",
    timestamp: unixTime(event.msg.header.timestamp),
    process_guid: headerProcessGuid(event),
    path: lookupPath(event.msg),
    action: FILEMOD_ACTIONS[action] ?? "unknown",
    actiontype: action,
    sensor_id: sensorId(event),
  };
}

function regmodDoc(event: SensorEvent, r: CbRegModMsg): Doc {
  const action = r.action ?? DEFAULT_REGMOD_ACTION;
  return {
    type: "regmod",
    timestamp: unixTime(event.msg.header.timestamp),
    process_guid: headerProcessGuid(event),
    path: r.utf8_regpath ?? "",
    action: REGMOD_ACTIONS[action] ?? "unknown",
    actiontype: action,
    sensor_id: sensorId(event),
  };
}

function netconnDoc(event: SensorEvent, n: CbNetConnMsg): Doc {
  return {
    type: "netconn",
    timestamp: unixTime(event.msg.header.timestamp),
    process_guid: headerProcessGuid(event),
    domain: n.utf8_netpath ?? "",
    ipv4: ipv4FromLittleEndian(n.ipv4Address ?? 0),
    port: swapPort(n.port ?? 0),
    protocol: n.protocol ?? DEFAULT_PROTOCOL,
    direction: (n.outbound ?? true) ? "outbound" : "inbound",
    sensor_id: sensorId(event),
  };
}

/** Module info was not treated as a sensor event: no GUID, no sensor id, md5 text as sent. */
function moduleDoc(msg: CbEventMsg, m: CbModuleInfoMsg): Doc {
  return {
    type: "binary_info",
    md5: m.md5 ?? "",
    size: int64(m.OriginalModuleLength ?? 0n),
    digsig: { result: m.utf8_DigSig_Result ?? "" },
    timestamp: unixTime(msg.header.timestamp),
  };
}

/** process_guid here is the legacy parent id (a number), as in the original. */
function childprocDoc(event: SensorEvent, c: CbChildProcessMsg): Doc {
  const childPid = Number(BigInt.asUintN(32, c.pid ?? 0n));
  return {
    type: "childproc",
    timestamp: unixTime(event.msg.header.timestamp),
    process_guid: int64(c.parent_guid ?? 0n),
    created: c.created ?? false,
    md5: hexUpper(c.md5hash),
    child_process_guid:
      c.create_time !== undefined
        ? processGuid(event.sensorId, childPid, c.create_time)
        : int64(c.child_guid ?? 0n),
    sensor_id: sensorId(event),
  };
}

/** GUID from the header pid and create time when both are present, else the legacy header id as a number. */
function headerProcessGuid(event: SensorEvent): Value {
  const h = event.msg.header;
  if (h.process_pid !== undefined && h.process_create_time !== undefined) {
    return processGuid(event.sensorId, h.process_pid, h.process_create_time);
  }
  return int64(h.process_guid ?? 0n);
}

/** First string whose guid matches header `filepath_string_guid`; the original fell back to the key's decimal text. */
function lookupPath(msg: CbEventMsg): string {
  const key = msg.header.filepath_string_guid ?? 0n;
  for (const s of msg.strings) {
    if ((s.guid ?? 0n) === key) return s.utf8string ?? "";
  }
  return key.toString();
}

/** The original had no sensor id without `env` (bus mode): null. */
function sensorId(event: SensorEvent): number | null {
  return event.sensorIdSource === "unknown" ? null : event.sensorId;
}

/** FILETIME → Unix seconds with Python's floor division (§7.2); 0 stays 0. */
export function unixTime(ft: bigint | undefined): number | bigint {
  if (ft === undefined || ft === 0n) return 0;
  return int64(floorDiv(floorDiv(ft, 10000n) - FILETIME_UNIX_OFFSET_MS, 1000n));
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** A 64-bit integer as a plain number when exact, else kept as bigint. */
function int64(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}
