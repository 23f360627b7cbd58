// Standalone documents: tamper alert, blocked process, module information (JSON-OUTPUT.md §3.11–3.13).
import { BLOCK_EVENTS, BLOCK_RESULTS, TAMPER_TYPES } from "../names.js";
import { type DocWriter, EnumKey, UNKNOWN_CLOSE } from "./doc-writer.js";
import { key, keyText, keyValue, twin } from "./encoding.js";
import { BLOCKED, MODULE, TAMPER } from "./fields.js";
import type { Fragment } from "./json-bytes.js";

const K = {
  blockedError: key("blocked_error"),
  commandLine: key("command_line"),
  md5: key("md5"),
  path: key("path"),
  pid: key("pid"),
  processCreateTime: key("process_create_time"),
  processGuid: key("process_guid"),
  uid: key("uid"),
  username: key("username"),
  // `digsig` is an object: JSON text in LEEF too (LEEF.md §2), so only its opening differs.
  digsigIssuer: twin(',"digsig":{"issuer_name":', '\tdigsig={"issuer_name":'),
  icon: key("icon"),
  imageFileHeader: key("image_file_header"),
  sha256: key("sha256"),
  size: key("size"),
  tamperEventType: keyValue("event_type", "tamper"),
  tamperType: keyValue("type", "ingress.event.tamper"),
  blockedEventType: keyValue("event_type", "blocked_process"),
  blockedType: keyValue("type", "ingress.event.processblock"),
  md5Hash: keyValue("blocked_reason", "Md5Hash"),
  unknownReason: keyText("blocked_reason", "unknown ("),
  unknownClose: UNKNOWN_CLOSE,
  moduleEventType: keyValue("event_type", "binary_info"),
  moduleType: keyValue("type", "ingress.event.module"),
  /** An absent bytes field: JSON null; LEEF `[]` (Go's %v of a nil []byte). */
  noBytes: twin("null", "[]"),
  tamperTypeName: new EnumKey("tamper_type", TAMPER_TYPES),
  blockEvent: new EnumKey("blocked_event", BLOCK_EVENTS),
  blockResult: new EnumKey("blocked_result", BLOCK_RESULTS),
  /** Module text fields (`utf8_*`) in sorted key order, with the copied length (slot -1) among them. */
  moduleTexts: [
    [key("utf8_comments"), MODULE.slot.utf8_Comments],
    [key("utf8_company_name"), MODULE.slot.utf8_CompanyName],
    [key("utf8_copied_module_length"), -1],
    [key("utf8_file_description"), MODULE.slot.utf8_FileDescription],
    [key("utf8_file_version"), MODULE.slot.utf8_FileVersion],
    [key("utf8_internal_name"), MODULE.slot.utf8_InternalName],
    [key("utf8_legal_copyright"), MODULE.slot.utf8_LegalCopyright],
    [key("utf8_legal_trademark"), MODULE.slot.utf8_LegalTrademark],
    [key("utf8_on_disk_filename"), MODULE.slot.utf8_OnDiskFilename],
    [key("utf8_original_file_name"), MODULE.slot.utf8_OriginalFileName],
    [key("utf8_private_build"), MODULE.slot.utf8_PrivateBuild],
    [key("utf8_product_description"), MODULE.slot.utf8_ProductDescription],
    [key("utf8_product_name"), MODULE.slot.utf8_ProductName],
    [key("utf8_product_version"), MODULE.slot.utf8_ProductVersion],
    [key("utf8_special_build"), MODULE.slot.utf8_SpecialBuild],
  ] as readonly (readonly [Fragment, number])[],
};

/** Keys inside `digsig`: JSON in both encodings (the object is JSON text in LEEF too). */
const jsonKey = (name: string) => twin(`,"${name}":`, `,"${name}":`);
const DIGSIG = {
  programName: jsonKey("program_name"),
  publisher: jsonKey("publisher"),
  result: jsonKey("result"),
  resultCode: jsonKey("result_code"),
  signTime: jsonKey("sign_time"),
  subjectName: jsonKey("subject_name"),
};

export function tamperDoc(d: DocWriter): void {
  const w = d.w;
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.tamperEventType);
  d.sensorIdKey();
  K.tamperTypeName.write(w, d.i32(TAMPER.slot.type, 1));
  d.timestampKey();
  w.raw(K.tamperType);
}

export function blockedDoc(d: DocWriter, linkTarget: Fragment): void {
  const w = d.w;
  const B = BLOCKED.slot;
  const event = d.i32(B.blockedEvent, 1);
  const result = d.i32(B.blockResult, 0);
  const blockedType = d.i32(B.blockedType, 1);
  const withPid = d.has(B.blockedPid);
  const pid = d.i32(B.blockedPid, 0);
  if (result === 5 || result === 6) {
    w.raw(K.blockedError);
    w.num(d.u32(B.blockError, 0));
  }
  K.blockEvent.write(w, event);
  if (blockedType === 1) w.raw(K.md5Hash);
  else {
    w.raw(K.unknownReason);
    w.num(blockedType);
    w.raw(K.unknownClose);
  }
  K.blockResult.write(w, result);
  d.cbServerKey();
  w.raw(K.commandLine);
  d.text(B.blockedCmdline);
  d.computerNameKey();
  w.raw(K.blockedEventType);
  if (withPid && d.url) {
    w.raw(linkTarget);
    d.guid(pid, B.blockedProcCreateTime);
    d.linkClose();
  }
  w.raw(K.md5);
  d.hex(B.blockedmd5Hash);
  w.raw(K.path);
  d.text(B.blockedPath);
  if (withPid) {
    w.raw(K.pid);
    w.num(pid);
    w.raw(K.processCreateTime);
    d.int64(B.blockedProcCreateTime, false);
    w.raw(K.processGuid);
    d.quotedGuid(pid, B.blockedProcCreateTime);
  }
  d.sensorIdKey();
  d.timestampKey();
  w.raw(K.blockedType);
  if (event === 1 && result === 0) {
    w.raw(K.uid);
    d.text(B.blockedUid);
    w.raw(K.username);
    d.text(B.blockedUsername);
  }
}

export function moduleDoc(d: DocWriter): void {
  const w = d.w;
  const M = MODULE.slot;
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.digsigIssuer);
  d.jsonText(M.utf8_DigSig_IssuerName);
  w.raw(DIGSIG.programName);
  d.jsonText(M.utf8_DigSig_ProgramName);
  w.raw(DIGSIG.publisher);
  d.jsonText(M.utf8_DigSig_Publisher);
  w.raw(DIGSIG.result);
  d.jsonText(M.utf8_DigSig_Result);
  w.raw(DIGSIG.resultCode);
  d.jsonText(M.utf8_DigSig_ResultCode);
  w.raw(DIGSIG.signTime);
  d.jsonText(M.utf8_DigSig_SignTime);
  w.raw(DIGSIG.subjectName);
  d.jsonText(M.utf8_DigSig_SubjectName);
  w.byte(0x7d); // }
  w.raw(K.moduleEventType);
  w.raw(K.icon);
  bytesValue(d, M.Icon, K.noBytes);
  w.raw(K.imageFileHeader);
  bytesValue(d, M.ImageFileHeader, K.noBytes);
  w.raw(K.md5);
  upperText(d, M.md5);
  d.sensorIdKey();
  w.raw(K.sha256);
  upperText(d, M.sha256);
  w.raw(K.size);
  d.int64(M.OriginalModuleLength, false);
  d.timestampKey();
  w.raw(K.moduleType);
  for (const [fragment, slot] of K.moduleTexts) {
    w.raw(fragment);
    if (slot < 0) w.num(d.u32(M.CopiedModuleLength, 0));
    else d.text(slot);
  }
}

/** A bytes field: JSON standard base64, quoted; LEEF Go's %v, `[100 134 21]`; `absent` when absent. */
function bytesValue(d: DocWriter, slot: number, absent: Fragment): void {
  const f = d.f;
  if (!d.has(slot)) d.w.raw(absent);
  else if (d.leef) d.w.byteList(f.src, f.lo[slot], f.hi[slot]);
  else {
    d.w.byte(0x22);
    d.w.ascii(f.src.toString("base64", f.lo[slot], f.hi[slot]));
    d.w.byte(0x22);
  }
}

/** A text field upper-cased (module md5/sha256 hold hex text already, §2.6); empty when absent. */
function upperText(d: DocWriter, slot: number): void {
  // JavaScript's toUpperCase, as the reference: Unicode case mapping can change the length of the text.
  d.textValue(d.decoded(slot).toUpperCase());
}
