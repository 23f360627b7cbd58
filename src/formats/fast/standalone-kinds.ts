// Standalone documents: tamper alert, blocked process, module information (JSON-OUTPUT.md §3.11–3.13).
import { decodeText } from "../../decode/text.js";
import { goQuote } from "../json-text.js";
import { BLOCK_EVENTS, BLOCK_RESULTS, TAMPER_TYPES } from "../names.js";
import { type DocWriter, EnumKey, key, keyValue } from "./doc-writer.js";
import { BLOCKED, MODULE, TAMPER } from "./fields.js";
import { Fragment } from "./json-bytes.js";

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
  digsigIssuer: Fragment.of(',"digsig":{"issuer_name":'),
  programName: key("program_name"),
  publisher: key("publisher"),
  result: key("result"),
  resultCode: key("result_code"),
  signTime: key("sign_time"),
  subjectName: key("subject_name"),
  icon: key("icon"),
  imageFileHeader: key("image_file_header"),
  sha256: key("sha256"),
  size: key("size"),
  copiedModuleLength: key("utf8_copied_module_length"),
};
const V = {
  tamperEventType: keyValue("event_type", "tamper"),
  tamperType: keyValue("type", "ingress.event.tamper"),
  blockedEventType: keyValue("event_type", "blocked_process"),
  blockedType: keyValue("type", "ingress.event.processblock"),
  md5Hash: keyValue("blocked_reason", "Md5Hash"),
  unknownReason: Fragment.of(',"blocked_reason":"unknown ('),
  moduleEventType: keyValue("event_type", "binary_info"),
  moduleType: keyValue("type", "ingress.event.module"),
};
const NULL = Fragment.of("null");

const TAMPER_TYPE = new EnumKey("tamper_type", TAMPER_TYPES);
const BLOCK_EVENT = new EnumKey("blocked_event", BLOCK_EVENTS);
const BLOCK_RESULT = new EnumKey("blocked_result", BLOCK_RESULTS);

export function tamperDoc(d: DocWriter): void {
  const w = d.w;
  d.cbServerKey();
  d.computerNameKey();
  w.raw(V.tamperEventType);
  d.sensorIdKey();
  TAMPER_TYPE.write(w, d.i32(TAMPER.slot.type, 1));
  d.timestampKey();
  w.raw(V.tamperType);
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
  BLOCK_EVENT.write(w, event);
  if (blockedType === 1) w.raw(V.md5Hash);
  else {
    w.raw(V.unknownReason);
    w.num(blockedType);
    w.byte(0x29); // )
    w.byte(0x22);
  }
  BLOCK_RESULT.write(w, result);
  d.cbServerKey();
  w.raw(K.commandLine);
  d.text(B.blockedCmdline);
  d.computerNameKey();
  w.raw(V.blockedEventType);
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
  w.raw(V.blockedType);
  if (event === 1 && result === 0) {
    w.raw(K.uid);
    d.text(B.blockedUid);
    w.raw(K.username);
    d.text(B.blockedUsername);
  }
}

/** Module text fields (`utf8_*`) in sorted key order, with the size key among them. */
const MODULE_TEXTS: readonly (readonly [Fragment, number])[] = [
  [key("utf8_comments"), MODULE.slot.utf8_Comments],
  [key("utf8_company_name"), MODULE.slot.utf8_CompanyName],
  [K.copiedModuleLength, -1],
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
];

export function moduleDoc(d: DocWriter): void {
  const w = d.w;
  const M = MODULE.slot;
  d.cbServerKey();
  d.computerNameKey();
  w.raw(K.digsigIssuer);
  d.text(M.utf8_DigSig_IssuerName);
  w.raw(K.programName);
  d.text(M.utf8_DigSig_ProgramName);
  w.raw(K.publisher);
  d.text(M.utf8_DigSig_Publisher);
  w.raw(K.result);
  d.text(M.utf8_DigSig_Result);
  w.raw(K.resultCode);
  d.text(M.utf8_DigSig_ResultCode);
  w.raw(K.signTime);
  d.text(M.utf8_DigSig_SignTime);
  w.raw(K.subjectName);
  d.text(M.utf8_DigSig_SubjectName);
  w.byte(0x7d); // }
  w.raw(V.moduleEventType);
  w.raw(K.icon);
  base64(d, M.Icon);
  w.raw(K.imageFileHeader);
  base64(d, M.ImageFileHeader);
  w.raw(K.md5);
  upperText(d, M.md5);
  d.sensorIdKey();
  w.raw(K.sha256);
  upperText(d, M.sha256);
  w.raw(K.size);
  d.int64(M.OriginalModuleLength, false);
  d.timestampKey();
  w.raw(V.moduleType);
  for (const [fragment, slot] of MODULE_TEXTS) {
    w.raw(fragment);
    if (slot < 0) w.num(d.u32(M.CopiedModuleLength, 0));
    else d.text(slot);
  }
}

/** Standard base64 of a bytes field, quoted; `null` when absent. */
function base64(d: DocWriter, slot: number): void {
  const f = d.f;
  if (!d.has(slot)) {
    d.w.raw(NULL);
    return;
  }
  d.w.byte(0x22);
  d.w.ascii(f.src.toString("base64", f.lo[slot], f.hi[slot]));
  d.w.byte(0x22);
}

/** A text field upper-cased (module md5/sha256 hold hex text already, §2.6); `""` when absent. */
function upperText(d: DocWriter, slot: number): void {
  const f = d.f;
  const start = d.has(slot) ? f.lo[slot] : 0;
  const end = d.has(slot) ? f.hi[slot] : 0;
  // JavaScript's toUpperCase, as the reference: Unicode case mapping can change the length of the text.
  const text = decodeText(f.src, start, end).toUpperCase();
  const quoted = Buffer.from(goQuote(text), "utf8");
  d.w.reserve(quoted.length);
  d.w.bytes(quoted);
}
