// Documents of the process-context kinds (JSON-OUTPUT.md §3.1–3.3, §3.7–3.10), keys in sorted order as the
// `forwarder` profile writes them. Each mirrors its builder in formats/forwarder.ts.

import {
  CHILDPROC_TYPES,
  FILE_TYPES,
  FILEMOD_ACTIONS,
  MITIGATIONS,
  OPEN_TYPES,
  REGMOD_ACTIONS,
} from "../names.js";
import { BoolKey, type DocWriter, EnumKey } from "./doc-writer.js";
import { key, keyText, keyValue } from "./encoding.js";
import {
  CHILDPROC,
  CROSSPROC,
  EMET,
  FILEMOD,
  HEADER,
  MITIGATION,
  MODLOAD,
  OPEN,
  PROCESS,
  REGMOD,
  SCRIPT,
  SUPPRESSED,
  THREAD,
} from "./fields.js";
import type { Fragment } from "./json-bytes.js";

const K = {
  blocked: new BoolKey("blocked"),
  childCommandLine: key("child_command_line"),
  childPid: key("child_pid"),
  childProcessGuid: key("child_process_guid"),
  childSuppressed: new BoolKey("child_suppressed"),
  childUsername: key("child_username"),
  commandLine: key("command_line"),
  created: new BoolKey("created"),
  emetTimestamp: key("emet_timestamp"),
  expectFollowon: new BoolKey("expect_followon_w_md5"),
  fileMd5: key("file_md5"),
  fileSha256: key("file_sha256"),
  filetype: key("filetype"),
  filteringKnownDlls: new BoolKey("filtering_known_dlls"),
  isTarget: new BoolKey("is_target"),
  logId: key("log_id"),
  logMessage: key("log_message"),
  md5: key("md5"),
  parentCreateTime: key("parent_create_time"),
  parentGuid: key("parent_guid"),
  parentMd5: key("parent_md5"),
  parentPath: key("parent_path"),
  parentPid: key("parent_pid"),
  parentProcessGuid: keyText("parent_process_guid", ""),
  parentSha256: key("parent_sha256"),
  path: key("path"),
  actiontype: key("actiontype"),
  requestedAccess: key("requested_access"),
  script: key("script"),
  scriptSha256: key("script_sha256"),
  sha256: key("sha256"),
  tamper: new BoolKey("tamper"),
  tamperSent: new BoolKey("tamper_sent"),
  targetCreateTime: key("target_create_time"),
  targetMd5: key("target_md5"),
  targetPath: key("target_path"),
  targetPid: key("target_pid"),
  targetProcessGuid: keyText("target_process_guid", ""),
  targetSha256: key("target_sha256"),
  uid: key("uid"),
  username: key("username"),
  procEventType: keyValue("event_type", "proc"),
  procstart: keyValue("type", "ingress.event.procstart"),
  procend: keyValue("type", "ingress.event.procend"),
  modloadEventType: keyValue("event_type", "modload"),
  modloadType: keyValue("type", "ingress.event.moduleload"),
  filemodEventType: keyValue("event_type", "filemod"),
  filemodType: keyValue("type", "ingress.event.filemod"),
  regmodEventType: keyValue("event_type", "regmod"),
  regmodType: keyValue("type", "ingress.event.regmod"),
  childprocEventType: keyValue("event_type", "childproc"),
  childprocType: keyValue("type", "ingress.event.childproc"),
  crossEventType: keyValue("event_type", "cross_process"),
  crossOpenType: keyValue("type", "ingress.event.crossprocopen"),
  remoteThreadType: keyValue("type", "ingress.event.remotethread"),
  remoteThread: keyValue("cross_process_type", "remote_thread"),
  emetEventType: keyValue("event_type", "emet_mitigation"),
  emetType: keyValue("type", "ingress.event.emetmitigation"),
  scriptEventType: keyValue("event_type", "FilelessScriptload"),
  scriptType: keyValue("type", "ingress.event.filelessscriptload"),
  filemodAction: new EnumKey("action", FILEMOD_ACTIONS),
  regmodAction: new EnumKey("action", REGMOD_ACTIONS),
  filetypeName: new EnumKey("filetype_name", FILE_TYPES, true),
  childprocTypeName: new EnumKey("childproc_type", CHILDPROC_TYPES, true),
  openType: new EnumKey("cross_process_type", OPEN_TYPES),
  mitigationName: new EnumKey("mitigation", MITIGATIONS),
};

/** Link prefixes of the kinds that link another process, made once per writer. */
export interface ProcessLinks {
  parent: Fragment;
  child: Fragment;
  target: Fragment;
}

export function processLinks(d: DocWriter, url: string | undefined): ProcessLinks {
  return {
    parent: d.linkPrefix("link_parent", "#analyze/", url),
    child: d.linkPrefix("link_child", "#analyze/", url),
    target: d.linkPrefix("link_target", "#analyze/", url),
  };
}

/** `parent_process_guid` (§2.4): new-style when the sensor and the parent's pid and create time are known. */
function parentGuid(d: DocWriter): void {
  const P = PROCESS.slot;
  if (d.sensorKnown && d.has(P.parent_pid) && d.has(P.parent_create_time)) {
    d.guid(d.f.lo[P.parent_pid], P.parent_create_time);
  } else d.int64(P.parent_guid, true);
}

export function processDoc(d: DocWriter, links: ProcessLinks, created: boolean): void {
  const w = d.w;
  const P = PROCESS.slot;
  d.cbServerKey();
  w.raw(K.commandLine);
  d.text(P.commandline);
  d.computerNameKey();
  w.raw(K.procEventType);
  K.expectFollowon.write(w, d.flag(P.expect_followon_w_md5, false));
  K.filteringKnownDlls.write(w, d.flag(P.bFilteringKnownDlls, false));
  d.forkPidKey();
  if (d.url) {
    w.raw(links.parent);
    parentGuid(d);
    d.linkClose();
  }
  d.linkKeys();
  w.raw(K.md5);
  d.hex(created && d.has(P.md5hash) ? P.md5hash : HEADER.slot.process_md5);
  w.raw(K.parentCreateTime);
  d.time(P.parent_create_time);
  w.raw(K.parentGuid);
  d.int64(P.parent_guid, true);
  if (d.has(P.parent_md5)) {
    w.raw(K.parentMd5);
    d.hex(P.parent_md5);
  }
  w.raw(K.parentPath);
  d.text(P.parent_path);
  w.raw(K.parentPid);
  w.num(d.i32(P.parent_pid, 0));
  w.raw(K.parentProcessGuid);
  parentGuid(d);
  d.quote();
  if (d.has(P.parent_sha256)) {
    w.raw(K.parentSha256);
    d.hex(P.parent_sha256);
  }
  d.headerPath();
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  d.sensorIdKey();
  w.raw(K.sha256);
  d.hex(created && d.has(P.sha256hash) ? P.sha256hash : HEADER.slot.process_sha256);
  d.timestampKey();
  w.raw(created ? K.procstart : K.procend);
  if (d.has(P.uid)) {
    w.raw(K.uid);
    d.text(P.uid);
  }
  if (d.has(P.username)) {
    w.raw(K.username);
    d.text(P.username);
  }
}

export function modloadDoc(d: DocWriter): void {
  const w = d.w;
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.modloadEventType);
  d.forkPidKey();
  d.linkKeys();
  w.raw(K.md5);
  d.hex(MODLOAD.slot.md5hash);
  d.headerPath();
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  d.sensorIdKey();
  w.raw(K.sha256);
  d.hex(MODLOAD.slot.sha256hash);
  d.timestampKey();
  w.raw(K.modloadType);
}

export function filemodDoc(d: DocWriter): void {
  const w = d.w;
  const F = FILEMOD.slot;
  const action = d.i32(F.action, 1);
  const fileType = d.i32(F.type, 0);
  K.filemodAction.write(w, action);
  w.raw(K.actiontype);
  w.num(action);
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.filemodEventType);
  if (d.has(F.md5hash)) {
    w.raw(K.fileMd5);
    d.hex(F.md5hash);
  }
  if (d.has(F.sha256hash)) {
    w.raw(K.fileSha256);
    d.hex(F.sha256hash);
  }
  w.raw(K.filetype);
  w.num(fileType);
  K.filetypeName.write(w, fileType);
  d.forkPidKey();
  d.linkKeys();
  d.headerMd5Key();
  d.headerPath();
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  d.sensorIdKey();
  d.headerSha256Key();
  K.tamper.write(w, d.flag(F.tamper, false));
  K.tamperSent.write(w, d.flag(F.tamper_sent, false));
  d.timestampKey();
  w.raw(K.filemodType);
}

export function regmodDoc(d: DocWriter): void {
  const w = d.w;
  const R = REGMOD.slot;
  const action = d.i32(R.action, 1);
  K.regmodAction.write(w, action);
  w.raw(K.actiontype);
  w.num(action);
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.regmodEventType);
  d.forkPidKey();
  d.linkKeys();
  d.headerMd5Key();
  w.raw(K.path);
  d.text(R.utf8_regpath);
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  d.sensorIdKey();
  d.headerSha256Key();
  K.tamper.write(w, d.flag(R.tamper, false));
  K.tamperSent.write(w, d.flag(R.tamper_sent, false));
  d.timestampKey();
  w.raw(K.regmodType);
}

export function childprocDoc(d: DocWriter, links: ProcessLinks): void {
  const w = d.w;
  const C = CHILDPROC.slot;
  const H = HEADER.slot;
  const suppressed = d.has(C.suppressed) && d.flag(SUPPRESSED.slot.bIsSuppressed, false);
  // New-style child GUID when the child's pid and create time and the sensor are known, else the legacy number.
  const childNew = d.has(C.pid) && d.has(C.create_time) && d.sensorKnown;
  d.cbServerKey();
  if (suppressed) {
    w.raw(K.childCommandLine);
    d.text(C.commandline);
  }
  w.raw(K.childPid);
  d.int64(C.pid, true);
  w.raw(K.childProcessGuid);
  if (childNew) d.quotedGuid(d.f.lo[C.pid], C.create_time);
  else d.int64(C.child_guid, true);
  K.childSuppressed.write(w, suppressed);
  if (suppressed) {
    w.raw(K.childUsername);
    d.text(C.username);
  }
  K.childprocTypeName.write(w, d.i32(C.childProcType, 0));
  d.computerNameKey();
  K.created.write(w, d.flag(C.created, false));
  w.raw(K.childprocEventType);
  d.forkPidKey();
  if (d.url) {
    w.raw(links.child);
    if (childNew) d.guid(d.f.lo[C.pid], C.create_time);
    else d.int64(C.child_guid, true);
    d.linkClose();
  }
  d.linkKeys();
  w.raw(K.md5);
  d.hex(C.md5hash);
  w.raw(K.parentGuid);
  // The acting process is the parent: its GUID even when the sensor is unknown (sensor 0).
  if (d.has(H.process_pid) && d.has(H.process_create_time))
    d.quotedGuid(d.f.lo[H.process_pid], H.process_create_time);
  else d.int64(C.parent_guid, true);
  w.raw(K.path);
  d.text(C.path);
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  d.sensorIdKey();
  w.raw(K.sha256);
  d.hex(C.sha256hash);
  K.tamper.write(w, d.flag(C.tamper, false));
  K.tamperSent.write(w, d.flag(C.tamper_sent, false));
  d.timestampKey();
  w.raw(K.childprocType);
}

export function crossprocDoc(d: DocWriter, links: ProcessLinks): void {
  const w = d.w;
  const X = CROSSPROC.slot;
  const open = d.has(X.open);
  const thread = !open && d.has(X.remotethread);
  const O = OPEN.slot;
  const T = THREAD.slot;
  // Target fields of whichever sub-message is there; -1: none (all defaults).
  const md5 = open ? O.targetProcMd5 : thread ? T.remoteProcMd5 : -1;
  const sha256 = open ? O.targetProcSha256 : thread ? T.remoteProcSha256 : -1;
  const pidSlot = open ? O.targetPid : thread ? T.remoteProcPid : -1;
  const ctSlot = open ? O.targetProcCreateTime : thread ? T.remoteProcCreateTime : -1;
  const pathSlot = open ? O.targetProcPath : thread ? T.remoteProcPath : -1;
  const pid = pidSlot < 0 ? 0 : d.u32(pidSlot, 0);
  d.cbServerKey();
  d.computerNameKey();
  if (open) K.openType.write(w, d.i32(O.type, 1));
  else w.raw(K.remoteThread);
  w.raw(K.crossEventType);
  d.forkPidKey();
  K.isTarget.write(w, d.flag(X.isTarget, false));
  d.linkKeys();
  if (d.url) {
    w.raw(links.target);
    targetGuid(d, pid, ctSlot);
    d.linkClose();
  }
  d.headerMd5Key();
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  if (open) {
    w.raw(K.requestedAccess);
    w.num(d.u32(O.requestedAccess, 0));
  }
  d.sensorIdKey();
  d.headerSha256Key();
  w.raw(K.targetCreateTime);
  if (ctSlot < 0) w.byte(0x30);
  else d.int64(ctSlot, false);
  w.raw(K.targetMd5);
  d.hex(md5);
  w.raw(K.targetPath);
  d.text(pathSlot);
  w.raw(K.targetPid);
  w.num(pid);
  w.raw(K.targetProcessGuid);
  targetGuid(d, pid, ctSlot);
  d.quote();
  w.raw(K.targetSha256);
  d.hex(sha256);
  d.timestampKey();
  w.raw(open ? K.crossOpenType : K.remoteThreadType);
}

/** The target's GUID: sensor (0 when unknown), pid as int32, create time (0 when absent). */
function targetGuid(d: DocWriter, pid: number, ctSlot: number): void {
  if (ctSlot < 0) d.w.guid(d.sensorId, pid | 0, 0, 0);
  else d.guid(pid | 0, ctSlot);
}

export function emetDoc(d: DocWriter): void {
  const w = d.w;
  const E = EMET.slot;
  const mitigation = d.has(E.action) ? d.i32(MITIGATION.slot.mitigationType, 1) : 1;
  K.blocked.write(w, d.flag(E.blocked, false));
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.emetTimestamp);
  d.int64(E.emetTimstamp, false);
  w.raw(K.emetEventType);
  d.forkPidKey();
  d.linkKeys();
  w.raw(K.logId);
  d.int64(E.emetId, false);
  w.raw(K.logMessage);
  d.text(E.actionText);
  d.headerMd5Key();
  K.mitigationName.write(w, mitigation);
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  d.sensorIdKey();
  d.headerSha256Key();
  d.timestampKey();
  w.raw(K.emetType);
}

export function scriptDoc(d: DocWriter): void {
  const w = d.w;
  const S = SCRIPT.slot;
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.scriptEventType);
  d.forkPidKey();
  d.linkKeys();
  d.headerMd5Key();
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  w.raw(K.script);
  d.text(S.script);
  w.raw(K.scriptSha256);
  d.text(S.sha256);
  d.sensorIdKey();
  d.headerSha256Key();
  d.timestampKey();
  w.raw(K.scriptType);
}
