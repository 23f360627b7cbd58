// Raw sensor event → cb-event-forwarder document, profiles `forwarder` (3.7.x) and `forwarder-3.8`
// (JSON-OUTPUT.md §2–§4). Keys are inserted in the 3.8 order of §4.3; the `forwarder` profile's JSON and LEEF
// sort them, so one mapper serves both generations.
import type { SensorEvent } from "../decode/event.js";
import {
  filetimeToUnix,
  filetimeToUnixFloat,
  hexUpper,
  ipAddrText,
  ipv4FromLittleEndian,
  processGuid,
  swapPort,
} from "../decode/values.js";
import type { CbEventMsg } from "../schema/generated.js";
import { type Doc, FloatValue } from "./document.js";
import {
  BLOCK_EVENTS,
  BLOCK_RESULTS,
  CHILDPROC_TYPES,
  FILE_TYPES,
  FILEMOD_ACTIONS,
  MITIGATIONS,
  OPEN_TYPES,
  REGMOD_ACTIONS,
  TAMPER_TYPES,
} from "./names.js";
import type { FormatOptions } from "./options.js";

/** The routing-key names the forwarder selects raw events by (`events_raw_sensor`, §2.2). */
export const RAW_EVENT_NAMES = [
  "ingress.event.process",
  "ingress.event.procstart",
  "ingress.event.procend",
  "ingress.event.childproc",
  "ingress.event.moduleload",
  "ingress.event.module",
  "ingress.event.filemod",
  "ingress.event.regmod",
  "ingress.event.netconn",
  "ingress.event.crossprocopen",
  "ingress.event.remotethread",
  "ingress.event.tamper",
  "ingress.event.processblock",
  "ingress.event.emetmitigation",
  "ingress.event.filelessscriptload",
] as const;

export interface ForwarderOptions extends FormatOptions {
  /** Selected raw event names; undefined = all. */
  rawEvents?: ReadonlySet<string> | undefined;
}

function named(names: Record<number, string>, value: number): string {
  return names[value] ?? `unknown (${value})`;
}

/** State shared by the per-kind builders for one event. */
interface Ctx {
  ev: SensorEvent;
  msg: CbEventMsg;
  v38: boolean;
  url: string | undefined;
  opts: ForwarderOptions;
}

/**
 * The forwarder document for a raw event, or undefined when the forwarder exports nothing for it (unexported
 * payload, or a kind not selected by `rawEvents`).
 */
export function forwarderDocument(ev: SensorEvent, opts: ForwarderOptions): Doc | undefined {
  const v38 = opts.profile === "forwarder-3.8";
  if (!isSelected(ev, v38, opts.rawEvents)) return undefined;
  const c: Ctx = { ev, msg: ev.msg, v38, url: opts.serverUrl, opts };
  const doc = buildKind(c);
  if (doc === undefined) return undefined;
  if (!v38 && opts.removeFromOutput !== undefined) for (const key of opts.removeFromOutput) delete doc[key];
  return doc;
}

function isSelected(ev: SensorEvent, v38: boolean, names: ReadonlySet<string> | undefined): boolean {
  if (names === undefined) return true;
  switch (ev.kind) {
    case "procstart":
      return (
        names.has("ingress.event.process") ||
        names.has("ingress.event.procstart") ||
        names.has("ingress.event.procend")
      );
    case "procend":
      return v38
        ? names.has("ingress.event.process") ||
            names.has("ingress.event.procstart") ||
            names.has("ingress.event.procend")
        : names.has("ingress.event.procend");
    case "modload":
      return names.has("ingress.event.moduleload");
    case "filemod":
      return names.has("ingress.event.filemod");
    case "netconn":
    case "netconnv2":
      return names.has("ingress.event.netconn");
    case "regmod":
      return names.has("ingress.event.regmod");
    case "childproc":
      return names.has("ingress.event.childproc");
    case "crossprocopen":
      return names.has("ingress.event.crossprocopen");
    case "remotethread":
      // Documented extension: naming remotethread explicitly also selects remote threads.
      return names.has("ingress.event.crossprocopen") || names.has("ingress.event.remotethread");
    case "emet":
      return names.has("ingress.event.emetmitigation");
    case "filelessscript":
      return names.has("ingress.event.filelessscriptload");
    case "tamper":
      return names.has("ingress.event.tamper");
    case "processblock":
      return names.has("ingress.event.processblock");
    case "module":
      return names.has("ingress.event.module");
    default:
      return false;
  }
}

function buildKind(c: Ctx): Doc | undefined {
  const ev = c.ev;
  switch (ev.kind) {
    case "procstart":
    case "procend":
      return processDoc(c, ev.payload, ev.kind === "procstart");
    case "modload":
      return modloadDoc(c, ev.payload);
    case "filemod":
      return filemodDoc(c, ev.payload);
    case "regmod":
      return regmodDoc(c, ev.payload);
    case "netconn":
      return netconnDoc(c, ev.payload);
    case "netconnv2":
      return netconnV2Doc(c, ev.payload);
    case "childproc":
      return childprocDoc(c, ev.payload);
    case "crossprocopen":
    case "remotethread":
      return crossprocDoc(c, ev.payload);
    case "emet":
      return emetDoc(c, ev.payload);
    case "filelessscript":
      return scriptDoc(c, ev.payload);
    case "tamper":
      return tamperDoc(c, ev.payload);
    case "processblock":
      return blockedDoc(c, ev.payload);
    case "module":
      return moduleDoc(c, ev.payload);
    default:
      return undefined;
  }
}

// ---- shared pieces -------------------------------------------------------------------------------------

function time(c: Ctx, ft: bigint | undefined): number | bigint | FloatValue {
  const v = ft ?? 0n;
  return c.opts.timeFloat ? new FloatValue(filetimeToUnixFloat(v)) : filetimeToUnix(v);
}

function sensorKnown(c: Ctx): boolean {
  return c.ev.sensorIdSource !== "unknown";
}

/** `process_guid` of the acting process (§2.4). */
function actingGuid(c: Ctx): string {
  const h = c.msg.header;
  if (h.process_pid !== undefined && h.process_create_time !== undefined && sensorKnown(c)) {
    return processGuid(c.ev.sensorId, h.process_pid, h.process_create_time);
  }
  return String(h.process_guid ?? 0n);
}

/** Strings-table lookup of the header's filepath_string_guid (§2.9). */
function headerPath(msg: CbEventMsg): string {
  const key = msg.header.filepath_string_guid;
  if (key === undefined) return lookup(msg, 0n);
  return lookup(msg, key);
}

function lookup(msg: CbEventMsg, key: bigint): string {
  for (const s of msg.strings) if ((s.guid ?? 0n) === key) return s.utf8string ?? "";
  return "";
}

/**
 * The base keys of process-context kinds (§2.3) in 3.8 order. `hashes`: put the acting process's md5/sha256
 * first (kinds that do not set their own).
 */
function processTail(c: Ctx, doc: Doc, hashes: boolean): Doc {
  const h = c.msg.header;
  if (hashes) {
    const sha256 = hexUpper(h.process_sha256);
    const md5 = hexUpper(h.process_md5);
    if (!c.v38 || sha256 !== "") doc.sha256 = sha256;
    if (!c.v38 || md5 !== "") doc.md5 = md5;
  }
  if (h.fork_pid !== undefined && (!c.v38 || h.fork_pid !== 0)) doc.fork_pid = h.fork_pid;
  const pid = h.process_pid ?? 0;
  if (!c.v38 || pid !== 0) doc.pid = pid;
  const guid = actingGuid(c);
  doc.process_guid = guid;
  if (c.url !== undefined) {
    doc.link_process = `${c.url}#analyze/${guid}/0`;
    doc.link_sensor = `${c.url}#/host/${c.ev.sensorId}`;
  }
  if (h.process_path !== undefined && h.process_path !== "") doc.process_path = h.process_path;
  return addCbServer(c, doc);
}

/** `cb_server`, omitted by 3.8 when the configured name is empty; `finish` adds the other common keys. */
function addCbServer(c: Ctx, doc: Doc): Doc {
  if (!c.v38 || c.opts.serverName !== "") doc.cb_server = c.opts.serverName;
  return doc;
}

function finish(c: Ctx, doc: Doc, type: string, eventType: string): Doc {
  doc.type = type;
  doc.sensor_id = c.ev.sensorId;
  doc.computer_name = c.ev.computerName;
  doc.event_type = eventType;
  doc.timestamp = time(c, c.msg.header.timestamp);
  return doc;
}

/** Hex of a kind's own hash; in 3.8 an empty one falls back to the acting process's (header) hash. */
function ownHash(c: Ctx, own: Buffer | undefined, header: Buffer | undefined): string {
  const hex = hexUpper(own);
  return hex === "" && c.v38 ? hexUpper(header) : hex;
}

// ---- per kind ------------------------------------------------------------------------------------------

function processDoc(c: Ctx, p: NonNullable<CbEventMsg["process"]>, created: boolean): Doc {
  const h = c.msg.header;
  const doc: Doc = {};
  doc.path = headerPath(c.msg);
  const noFallback = c.v38 && !created;
  doc.md5 =
    created && p.md5hash !== undefined ? hexUpper(p.md5hash) : noFallback ? "" : hexUpper(h.process_md5);
  doc.sha256 =
    created && p.sha256hash !== undefined
      ? hexUpper(p.sha256hash)
      : noFallback
        ? ""
        : hexUpper(h.process_sha256);
  doc.command_line = p.commandline ?? "";
  doc.parent_path = p.parent_path ?? "";
  doc.parent_pid = p.parent_pid ?? 0;
  doc.parent_guid = p.parent_guid ?? 0n;
  doc.filtering_known_dlls = p.bFilteringKnownDlls ?? false;
  optionalText(c, doc, "parent_md5", p.parent_md5 === undefined ? undefined : hexUpper(p.parent_md5));
  optionalText(
    c,
    doc,
    "parent_sha256",
    p.parent_sha256 === undefined ? undefined : hexUpper(p.parent_sha256),
  );
  doc.expect_followon_w_md5 = p.expect_followon_w_md5 ?? false;
  const parentGuid =
    sensorKnown(c) && p.parent_pid !== undefined && p.parent_create_time !== undefined
      ? processGuid(c.ev.sensorId, p.parent_pid, p.parent_create_time)
      : String(p.parent_guid ?? 0n);
  if (c.url !== undefined) doc.link_parent = `${c.url}#analyze/${parentGuid}/1`;
  optionalText(c, doc, "username", p.username);
  optionalText(c, doc, "uid", p.uid);
  doc.parent_create_time = time(c, p.parent_create_time);
  if (!c.v38) doc.parent_process_guid = parentGuid;
  processTail(c, doc, false);
  return finish(c, doc, created ? "ingress.event.procstart" : "ingress.event.procend", "proc");
}

/** 3.7: present when the field is present (even empty); 3.8: only when non-empty. */
function optionalText(c: Ctx, doc: Doc, key: string, value: string | undefined): void {
  if (value === undefined) return;
  if (c.v38 && value === "") return;
  doc[key] = value;
}

function modloadDoc(c: Ctx, m: NonNullable<CbEventMsg["modload"]>): Doc {
  const h = c.msg.header;
  const doc: Doc = {};
  doc.path = headerPath(c.msg);
  doc.md5 = ownHash(c, m.md5hash, h.process_md5);
  doc.sha256 = ownHash(c, m.sha256hash, h.process_sha256);
  if (c.v38) doc.command_line = "";
  processTail(c, doc, false);
  return finish(c, doc, "ingress.event.moduleload", "modload");
}

function filemodDoc(c: Ctx, f: NonNullable<CbEventMsg["filemod"]>): Doc {
  const doc: Doc = {};
  doc.path = headerPath(c.msg);
  doc.tamper_sent = f.tamper_sent ?? false;
  doc.tamper = f.tamper ?? false;
  if (f.sha256hash !== undefined && (!c.v38 || f.sha256hash.length > 0))
    doc.file_sha256 = hexUpper(f.sha256hash);
  if (f.md5hash !== undefined && (!c.v38 || f.md5hash.length > 0)) doc.file_md5 = hexUpper(f.md5hash);
  const fileType = f.type ?? 0;
  const typeName = FILE_TYPES[fileType] ?? "";
  if (!c.v38 || typeName !== "") doc.filetype_name = typeName;
  const action = f.action ?? 1;
  doc[c.v38 ? "action_type" : "actiontype"] = action;
  doc.action = named(FILEMOD_ACTIONS, action);
  doc[c.v38 ? "file_type" : "filetype"] = fileType;
  processTail(c, doc, true);
  return finish(c, doc, "ingress.event.filemod", "filemod");
}

function regmodDoc(c: Ctx, r: NonNullable<CbEventMsg["regmod"]>): Doc {
  const doc: Doc = {};
  doc.path = r.utf8_regpath ?? "";
  const action = r.action ?? 1;
  doc.action = named(REGMOD_ACTIONS, action);
  doc[c.v38 ? "action_type" : "actiontype"] = action;
  // 3.8 writes each flag under the other's name.
  doc.tamper = c.v38 ? (r.tamper_sent ?? false) : (r.tamper ?? false);
  doc.tamper_sent = c.v38 ? (r.tamper ?? false) : (r.tamper_sent ?? false);
  processTail(c, doc, true);
  return finish(c, doc, "ingress.event.regmod", "regmod");
}

function direction(outbound: boolean | undefined): string {
  return (outbound ?? true) ? "outbound" : "inbound";
}

function netconnDoc(c: Ctx, n: NonNullable<CbEventMsg["network"]>): Doc {
  const doc: Doc = {};
  const remoteIp = n.remoteIpAddress === undefined ? "" : ipv4FromLittleEndian(n.remoteIpAddress);
  const remotePort = swapPort(n.remotePort ?? 0);
  const localIp = n.localIpAddress === undefined ? "" : ipv4FromLittleEndian(n.localIpAddress);
  const localPort = swapPort(n.localPort ?? 0);
  if (c.v38) {
    if (remotePort !== 0) doc.remote_port = remotePort;
    if (localIp !== "") doc.local_ip = localIp;
    if (localPort !== 0) doc.local_port = localPort;
  } else {
    if (n.remoteIpAddress !== undefined) doc.remote_port = remotePort;
    if (n.localIpAddress !== undefined) {
      doc.local_ip = localIp;
      doc.local_port = localPort;
    }
  }
  doc.direction = direction(n.outbound);
  doc.domain = n.utf8_netpath ?? "";
  doc.protocol = n.protocol ?? 6;
  doc.port = swapPort(n.port ?? 0);
  doc.ipv4 = ipv4FromLittleEndian(n.ipv4Address ?? 0);
  if (c.v38 ? remoteIp !== "" : n.remoteIpAddress !== undefined) doc.remote_ip = remoteIp;
  processTail(c, doc, true);
  return finish(c, doc, "ingress.event.netconn", "netconn");
}

function netconnV2Doc(c: Ctx, n: NonNullable<CbEventMsg["networkv2"]>): Doc {
  const doc: Doc = {};
  doc[c.v38 ? "Protocol" : "protocol"] = n.protocol ?? 6;
  doc.domain = n.utf8_netpath ?? "";
  doc.direction = direction(n.outbound);
  if (n.ja3 !== undefined && (!c.v38 || n.ja3 !== "")) doc.ja3 = n.ja3;
  if (n.ja3s !== undefined && (!c.v38 || n.ja3s !== "")) doc.ja3s = n.ja3s;
  doc.local_ip = ipAddrText(n.localIpAddress);
  doc.local_port = swapPort(n.localPort ?? 0);
  doc.remote_ip = ipAddrText(n.remoteIpAddress);
  doc.remote_port = swapPort(n.remotePort ?? 0);
  const proxy = n.proxyConnection ?? false;
  doc.proxy = proxy;
  if (c.v38) {
    doc.proxy_ip = proxy ? ipAddrText(n.proxyIpAddress) : "";
    const proxyPort = proxy ? swapPort(n.proxyPort ?? 0) : 0;
    if (proxyPort !== 0) doc.proxy_port = proxyPort;
    doc.proxy_domain = proxy ? (n.proxyNetPath ?? "") : "";
  } else if (proxy) {
    doc.proxy_ip = ipAddrText(n.proxyIpAddress);
    doc.proxy_port = swapPort(n.proxyPort ?? 0);
    doc.proxy_domain = n.proxyNetPath ?? "";
  }
  processTail(c, doc, true);
  return finish(c, doc, "ingress.event.netconn", "netconn");
}

function childprocDoc(c: Ctx, p: NonNullable<CbEventMsg["childproc"]>): Doc {
  const h = c.msg.header;
  const doc: Doc = {};
  if (h.process_pid !== undefined && h.process_create_time !== undefined) {
    doc.parent_guid = processGuid(c.ev.sensorId, h.process_pid, h.process_create_time);
  } else {
    doc.parent_guid = c.v38 ? String(p.parent_guid ?? 0n) : (p.parent_guid ?? 0n);
  }
  const childGuid =
    p.pid !== undefined && p.create_time !== undefined && sensorKnown(c)
      ? processGuid(c.ev.sensorId, Number(BigInt.asIntN(32, p.pid)), p.create_time)
      : (p.child_guid ?? 0n);
  if (c.url !== undefined) doc.link_child = `${c.url}#analyze/${String(childGuid)}/1`;
  doc.created = p.created ?? false;
  doc.tamper_sent = p.tamper_sent ?? false;
  doc.tamper = p.tamper ?? false;
  doc.path = p.path ?? "";
  doc.md5 = ownHash(c, p.md5hash, h.process_md5);
  doc.sha256 = ownHash(c, p.sha256hash, h.process_sha256);
  doc.childproc_type = CHILDPROC_TYPES[p.childProcType ?? 0] ?? "";
  const suppressed = p.suppressed?.bIsSuppressed ?? false;
  if (c.v38) {
    doc.childproc_suppressed = suppressed;
    if (suppressed && (p.commandline ?? "") !== "") doc.childproc_commandline = p.commandline ?? "";
    if (suppressed && (p.username ?? "") !== "") doc.childproc_username = p.username ?? "";
  } else {
    doc.child_suppressed = suppressed;
    if (suppressed) {
      doc.child_command_line = p.commandline ?? "";
      doc.child_username = p.username ?? "";
    }
    doc.child_process_guid = childGuid;
  }
  doc.child_pid = p.pid ?? 0n;
  processTail(c, doc, false);
  return finish(c, doc, "ingress.event.childproc", "childproc");
}

function crossprocDoc(c: Ctx, x: NonNullable<CbEventMsg["crossproc"]>): Doc {
  const doc: Doc = {};
  const open = x.open;
  const thread = x.remotethread;
  doc.is_target = x.isTarget ?? false;
  doc.cross_process_type = open !== undefined ? named(OPEN_TYPES, open.type ?? 1) : "remote_thread";
  const md5 = open !== undefined ? open.targetProcMd5 : thread?.remoteProcMd5;
  const sha256 = open !== undefined ? open.targetProcSha256 : thread?.remoteProcSha256;
  const pid = (open !== undefined ? open.targetPid : thread?.remoteProcPid) ?? 0;
  const created = (open !== undefined ? open.targetProcCreateTime : thread?.remoteProcCreateTime) ?? 0n;
  const path = (open !== undefined ? open.targetProcPath : thread?.remoteProcPath) ?? "";
  const targetGuid = processGuid(c.ev.sensorId, pid | 0, created);
  doc.target_md5 = hexUpper(md5);
  if (open !== undefined && (!c.v38 || (open.requestedAccess ?? 0) !== 0))
    doc.requested_access = open.requestedAccess ?? 0;
  if (c.url !== undefined) doc.link_target = `${c.url}#analyze/${targetGuid}/1`;
  doc.target_path = path;
  doc.target_sha256 = hexUpper(sha256);
  doc.target_pid = pid;
  doc.target_create_time = created;
  doc.target_process_guid = targetGuid;
  processTail(c, doc, true);
  return finish(
    c,
    doc,
    open !== undefined ? "ingress.event.crossprocopen" : "ingress.event.remotethread",
    "cross_process",
  );
}

function emetDoc(c: Ctx, e: NonNullable<CbEventMsg["emet"]>): Doc {
  const doc: Doc = {};
  doc.log_message = e.actionText ?? "";
  const mitigation = e.action === undefined ? 1 : (e.action.mitigationType ?? 1);
  doc.mitigation = named(MITIGATIONS, mitigation);
  doc.blocked = e.blocked ?? false;
  doc.emet_timestamp = e.emetTimstamp ?? 0n;
  doc.log_id = e.emetId ?? 0n;
  processTail(c, doc, true);
  return finish(c, doc, "ingress.event.emetmitigation", "emet_mitigation");
}

function scriptDoc(c: Ctx, s: NonNullable<CbEventMsg["scriptexe"]>): Doc {
  const doc: Doc = {};
  doc.script_sha256 = s.sha256 ?? "";
  doc.script = s.script ?? "";
  processTail(c, doc, true);
  return finish(
    c,
    doc,
    "ingress.event.filelessscriptload",
    c.v38 ? "filelessscriptload" : "FilelessScriptload",
  );
}

function tamperDoc(c: Ctx, t: NonNullable<CbEventMsg["tamperAlert"]>): Doc {
  const doc: Doc = {};
  doc.tamper_type = named(TAMPER_TYPES, t.type ?? 1);
  addCbServer(c, doc);
  return finish(c, doc, "ingress.event.tamper", "tamper");
}

function blockedDoc(c: Ctx, b: NonNullable<CbEventMsg["blocked"]>): Doc {
  const doc: Doc = {};
  doc.md5 = hexUpper(b.blockedmd5Hash);
  doc.path = b.blockedPath ?? "";
  const event = b.blockedEvent ?? 1;
  const result = b.blockResult ?? 0;
  if (b.blockedPid !== undefined) {
    const created = b.blockedProcCreateTime ?? 0n;
    const guid = processGuid(c.ev.sensorId, b.blockedPid, created);
    if (c.url !== undefined) doc.link_target = `${c.url}#analyze/${guid}/1`;
    doc.process_guid = guid;
    if (!c.v38 || created !== 0n) doc.process_create_time = created;
    const cmd = b.blockedCmdline ?? "";
    if (!c.v38 || cmd !== "") doc.command_line = cmd;
    if (!c.v38 || b.blockedPid !== 0) doc.pid = b.blockedPid;
  } else {
    const cmd = b.blockedCmdline ?? "";
    if (!c.v38 || cmd !== "") doc.command_line = cmd;
  }
  if (event === 1 && result === 0) {
    optionalText(c, doc, "uid", c.v38 ? b.blockedUid : (b.blockedUid ?? ""));
    optionalText(c, doc, "username", c.v38 ? b.blockedUsername : (b.blockedUsername ?? ""));
  }
  const error = b.blockError ?? 0;
  if (c.v38 ? error !== 0 : result === 5 || result === 6) doc.blocked_error = error;
  doc.blocked_event = named(BLOCK_EVENTS, event);
  doc.blocked_reason = (b.blockedType ?? 1) === 1 ? "Md5Hash" : `unknown (${b.blockedType})`;
  doc.blocked_result = named(BLOCK_RESULTS, result);
  addCbServer(c, doc);
  return finish(
    c,
    doc,
    c.v38 ? "ingress.event.processblocked" : "ingress.event.processblock",
    "blocked_process",
  );
}

function moduleDoc(c: Ctx, m: NonNullable<CbEventMsg["module"]>): Doc {
  const doc: Doc = {};
  const u = c.v38 ? "utf_8_" : "utf8_";
  const digsig: Doc = {
    result: m.utf8_DigSig_Result ?? "",
    publisher: m.utf8_DigSig_Publisher ?? "",
    program_name: m.utf8_DigSig_ProgramName ?? "",
    issuer_name: m.utf8_DigSig_IssuerName ?? "",
    result_code: m.utf8_DigSig_ResultCode ?? "",
    subject_name: m.utf8_DigSig_SubjectName ?? "",
    sign_time: m.utf8_DigSig_SignTime ?? "",
  };
  doc.digsig = digsig;
  doc[`${u}copied_module_length`] = m.CopiedModuleLength ?? 0;
  doc[c.v38 ? "utf_8_file_dscription" : "utf8_file_description"] = m.utf8_FileDescription ?? "";
  doc[`${u}company_name`] = m.utf8_CompanyName ?? "";
  doc[`${u}comments`] = m.utf8_Comments ?? "";
  doc[`${u}file_version`] = m.utf8_FileVersion ?? "";
  doc[`${u}legal_copyright`] = m.utf8_LegalCopyright ?? "";
  doc[`${u}legal_trademark`] = m.utf8_LegalTrademark ?? "";
  doc[`${u}internal_name`] = m.utf8_InternalName ?? "";
  doc[`${u}product_name`] = m.utf8_ProductName ?? "";
  doc[`${u}original_file_name`] = m.utf8_OriginalFileName ?? "";
  doc[`${u}product_description`] = m.utf8_ProductDescription ?? "";
  doc[`${u}product_version`] = m.utf8_ProductVersion ?? "";
  doc[`${u}special_build`] = m.utf8_SpecialBuild ?? "";
  doc.image_file_header = m.ImageFileHeader === undefined ? null : Buffer.from(m.ImageFileHeader);
  doc[`${u}on_disk_filename`] = m.utf8_OnDiskFilename ?? "";
  // The sensor sends the icon as base64 text already; the forwarder base64-encodes those bytes again.
  doc.icon = m.Icon === undefined ? null : Buffer.from(m.Icon);
  doc[`${u}private_build`] = m.utf8_PrivateBuild ?? "";
  doc.size = m.OriginalModuleLength ?? 0n;
  doc.sha256 = (m.sha256 ?? "").toUpperCase();
  doc.md5 = (m.md5 ?? "").toUpperCase();
  addCbServer(c, doc);
  return finish(c, doc, "ingress.event.module", "binary_info");
}
