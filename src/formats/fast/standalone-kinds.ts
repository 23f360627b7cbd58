// Standalone documents: tamper alert, blocked process, module information (JSON-OUTPUT.md §3.11–3.13).
import { BLOCK_EVENTS, BLOCK_RESULTS, TAMPER_TYPES } from "../names.js";
import { type DocWriter, EnumKey, unknownClose } from "./doc-writer.js";
import { byEncoding, JSON_ENCODING } from "./encoding.js";
import { BLOCKED, MODULE, TAMPER } from "./fields.js";
import type { Fragment } from "./json-bytes.js";

const KEYS = byEncoding((e) => ({
  blockedError: e.key("blocked_error"),
  commandLine: e.key("command_line"),
  md5: e.key("md5"),
  path: e.key("path"),
  pid: e.key("pid"),
  processCreateTime: e.key("process_create_time"),
  processGuid: e.key("process_guid"),
  uid: e.key("uid"),
  username: e.key("username"),
  // `digsig` is an object: JSON text in LEEF too (LEEF.md §2), so only its opening differs.
  digsigIssuer: e.of(',"digsig":{"issuer_name":', '\tdigsig={"issuer_name":'),
  icon: e.key("icon"),
  imageFileHeader: e.key("image_file_header"),
  sha256: e.key("sha256"),
  size: e.key("size"),
  tamperEventType: e.keyValue("event_type", "tamper"),
  tamperType: e.keyValue("type", "ingress.event.tamper"),
  blockedEventType: e.keyValue("event_type", "blocked_process"),
  blockedType: e.keyValue("type", "ingress.event.processblock"),
  md5Hash: e.keyValue("blocked_reason", "Md5Hash"),
  unknownReason: e.keyText("blocked_reason", "unknown ("),
  unknownClose: unknownClose(e),
  moduleEventType: e.keyValue("event_type", "binary_info"),
  moduleType: e.keyValue("type", "ingress.event.module"),
  /** An absent bytes field: JSON null; LEEF `[]` (Go's %v of a nil []byte). */
  noBytes: e.of("null", "[]"),
  tamperTypeName: new EnumKey(e, "tamper_type", TAMPER_TYPES),
  blockEvent: new EnumKey(e, "blocked_event", BLOCK_EVENTS),
  blockResult: new EnumKey(e, "blocked_result", BLOCK_RESULTS),
  /** Module text fields (`utf8_*`) in sorted key order, with the copied length (slot -1) among them. */
  moduleTexts: [
    [e.key("utf8_comments"), MODULE.slot.utf8_Comments],
    [e.key("utf8_company_name"), MODULE.slot.utf8_CompanyName],
    [e.key("utf8_copied_module_length"), -1],
    [e.key("utf8_file_description"), MODULE.slot.utf8_FileDescription],
    [e.key("utf8_file_version"), MODULE.slot.utf8_FileVersion],
    [e.key("utf8_internal_name"), MODULE.slot.utf8_InternalName],
    [e.key("utf8_legal_copyright"), MODULE.slot.utf8_LegalCopyright],
    [e.key("utf8_legal_trademark"), MODULE.slot.utf8_LegalTrademark],
    [e.key("utf8_on_disk_filename"), MODULE.slot.utf8_OnDiskFilename],
    [e.key("utf8_original_file_name"), MODULE.slot.utf8_OriginalFileName],
    [e.key("utf8_private_build"), MODULE.slot.utf8_PrivateBuild],
    [e.key("utf8_product_description"), MODULE.slot.utf8_ProductDescription],
    [e.key("utf8_product_name"), MODULE.slot.utf8_ProductName],
    [e.key("utf8_product_version"), MODULE.slot.utf8_ProductVersion],
    [e.key("utf8_special_build"), MODULE.slot.utf8_SpecialBuild],
  ] as readonly (readonly [Fragment, number])[],
}));

/** Keys inside `digsig`: JSON in both encodings. */
const DIGSIG = {
  programName: JSON_ENCODING.key("program_name"),
  publisher: JSON_ENCODING.key("publisher"),
  result: JSON_ENCODING.key("result"),
  resultCode: JSON_ENCODING.key("result_code"),
  signTime: JSON_ENCODING.key("sign_time"),
  subjectName: JSON_ENCODING.key("subject_name"),
};

export function tamperDoc(d: DocWriter): void {
  const w = d.w;
  const K = KEYS[d.enc];
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
  const K = KEYS[d.enc];
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
  const K = KEYS[d.enc];
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
