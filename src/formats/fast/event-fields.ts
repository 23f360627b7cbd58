// Fills a Fields store from an already decoded event (EventFormatter.event), so that decoded events and raw
// records share one writer. Text goes back to its bytes (escaped invalid bytes restored), binary fields are
// copied, 64-bit values split into their 32-bit halves. Only the header, the strings table and the event's own
// payload are filled: the identity comes from the event, and no writer reads another payload. One function per
// message with literal property names: a generic loop over field names was measured 2× slower (megamorphic).
import type { EventKind, SensorEvent } from "../../decode/event.js";
import { encodeText, hasLoneSurrogate } from "../../decode/text.js";
import type {
  CbChildProcessMsg,
  CbCrossProcessMsg,
  CbEmetMitigationMsg,
  CbEventMsg,
  CbFileModMsg,
  CbHeaderMsg,
  CbIpAddr,
  CbModuleInfoMsg,
  CbNetConnMsg,
  CbNetConnMsgv2,
  CbProcessBlockedMsg,
  CbProcessMsg,
} from "../../schema/generated.js";
import {
  BLOCKED,
  CHILDPROC,
  CROSSPROC,
  EMET,
  EVENT,
  FILEMOD,
  type Fields,
  HEADER,
  type IpAddrLayout,
  LOCAL_IP,
  MITIGATION,
  MODLOAD,
  MODULE,
  NETCONN,
  NETCONN2,
  OPEN,
  PROCESS,
  PROXY_IP,
  REGMOD,
  REMOTE_IP,
  SCRIPT,
  STRING,
  SUPPRESSED,
  TAMPER,
  THREAD,
} from "./fields.js";

export class EventFieldFiller {
  private scratch = Buffer.allocUnsafe(1 << 12);
  private used = 0;

  constructor(private readonly f: Fields) {}

  /** Bytes of text and binary fields copied for the current event. */
  get size(): number {
    return this.used;
  }

  /** Fills the fields of a decoded event of a kind the fast writer writes; false for other kinds. */
  fill(event: SensorEvent): boolean {
    const f = this.f;
    const msg = event.msg;
    this.used = 0;
    f.clear(EVENT);
    if (!this.payload(event.kind, msg)) return false;
    this.header(msg.header);
    f.strings = 0;
    const s = STRING.slot;
    for (const entry of msg.strings) {
      f.clear(STRING);
      this.big(s.guid, entry.guid);
      this.text(s.utf8string, entry.utf8string);
      f.pushString();
    }
    // `src` is set last: the scratch buffer may grow while filling.
    f.src = this.scratch;
    return true;
  }

  private payload(kind: EventKind, msg: CbEventMsg): boolean {
    const E = EVENT.slot;
    switch (kind) {
      case "procstart":
      case "procend":
        return this.present(E.process, msg.process, (p) => this.process(p));
      case "modload":
        return this.present(E.modload, msg.modload, (m) => {
          this.f.clear(MODLOAD);
          this.bin(MODLOAD.slot.md5hash, m.md5hash);
          this.bin(MODLOAD.slot.sha256hash, m.sha256hash);
        });
      case "filemod":
        return this.present(E.filemod, msg.filemod, (m) => this.filemod(m));
      case "regmod":
        return this.present(E.regmod, msg.regmod, (r) => {
          const s = REGMOD.slot;
          this.f.clear(REGMOD);
          this.int(s.action, r.action);
          this.text(s.utf8_regpath, r.utf8_regpath);
          this.bool(s.tamper, r.tamper);
          this.bool(s.tamper_sent, r.tamper_sent);
        });
      case "netconn":
        return this.present(E.network, msg.network, (n) => this.netconn(n));
      case "netconnv2":
        return this.present(E.networkv2, msg.networkv2, (n) => this.netconnV2(n));
      case "childproc":
        return this.present(E.childproc, msg.childproc, (c) => this.childproc(c));
      case "crossprocopen":
      case "remotethread":
        return this.present(E.crossproc, msg.crossproc, (x) => this.crossproc(x));
      case "emet":
        return this.present(E.emet, msg.emet, (e) => this.emet(e));
      case "filelessscript":
        return this.present(E.scriptexe, msg.scriptexe, (x) => {
          this.f.clear(SCRIPT);
          this.text(SCRIPT.slot.script, x.script);
          this.text(SCRIPT.slot.sha256, x.sha256);
        });
      case "tamper":
        return this.present(E.tamperAlert, msg.tamperAlert, (t) => {
          this.f.clear(TAMPER);
          this.int(TAMPER.slot.type, t.type);
        });
      case "processblock":
        return this.present(E.blocked, msg.blocked, (b) => this.blocked(b));
      case "module":
        return this.present(E.module, msg.module, (m) => this.module(m));
      default:
        return false;
    }
  }

  /** Fills a present payload message and marks it present. */
  private present<T>(slot: number, message: T | undefined, fill: (message: T) => void): boolean {
    if (message === undefined) return false;
    fill(message);
    this.f.has[slot] = 1;
    return true;
  }

  private header(h: CbHeaderMsg): void {
    const s = HEADER.slot;
    this.f.clear(HEADER);
    this.f.has[EVENT.slot.header] = 1;
    this.int(s.version, h.version);
    this.big(s.timestamp, h.timestamp);
    this.big(s.process_guid, h.process_guid);
    this.big(s.filepath_string_guid, h.filepath_string_guid);
    this.big(s.process_create_time, h.process_create_time);
    this.int(s.process_pid, h.process_pid);
    this.bin(s.process_md5, h.process_md5);
    this.text(s.process_path, h.process_path);
    this.int(s.fork_pid, h.fork_pid);
    this.bin(s.process_sha256, h.process_sha256);
  }

  private process(p: CbProcessMsg): void {
    const s = PROCESS.slot;
    this.f.clear(PROCESS);
    this.bool(s.created, p.created);
    this.int(s.parent_pid, p.parent_pid);
    this.big(s.parent_create_time, p.parent_create_time);
    this.big(s.parent_guid, p.parent_guid);
    this.bin(s.md5hash, p.md5hash);
    this.text(s.commandline, p.commandline);
    this.bin(s.parent_md5, p.parent_md5);
    this.text(s.parent_path, p.parent_path);
    this.bool(s.expect_followon_w_md5, p.expect_followon_w_md5);
    this.text(s.uid, p.uid);
    this.text(s.username, p.username);
    this.bool(s.bFilteringKnownDlls, p.bFilteringKnownDlls);
    this.bin(s.sha256hash, p.sha256hash);
    this.bin(s.parent_sha256, p.parent_sha256);
  }

  private filemod(m: CbFileModMsg): void {
    const s = FILEMOD.slot;
    this.f.clear(FILEMOD);
    this.int(s.action, m.action);
    this.bin(s.md5hash, m.md5hash);
    this.int(s.type, m.type);
    this.bool(s.tamper, m.tamper);
    this.bool(s.tamper_sent, m.tamper_sent);
    this.bin(s.sha256hash, m.sha256hash);
  }

  private netconn(n: CbNetConnMsg): void {
    const s = NETCONN.slot;
    this.f.clear(NETCONN);
    this.int(s.ipv4Address, n.ipv4Address);
    this.int(s.port, n.port);
    this.int(s.protocol, n.protocol);
    this.text(s.utf8_netpath, n.utf8_netpath);
    this.bool(s.outbound, n.outbound);
    this.int(s.remoteIpAddress, n.remoteIpAddress);
    this.int(s.remotePort, n.remotePort);
    this.int(s.localIpAddress, n.localIpAddress);
    this.int(s.localPort, n.localPort);
  }

  private netconnV2(n: CbNetConnMsgv2): void {
    const s = NETCONN2.slot;
    this.f.clear(NETCONN2);
    this.int(s.protocol, n.protocol);
    this.text(s.utf8_netpath, n.utf8_netpath);
    this.bool(s.outbound, n.outbound);
    this.bool(s.proxyConnection, n.proxyConnection);
    this.ipAddr(s.proxyIpAddress, PROXY_IP, n.proxyIpAddress);
    this.int(s.proxyPort, n.proxyPort);
    this.text(s.proxyNetPath, n.proxyNetPath);
    this.ipAddr(s.remoteIpAddress, REMOTE_IP, n.remoteIpAddress);
    this.int(s.remotePort, n.remotePort);
    this.ipAddr(s.localIpAddress, LOCAL_IP, n.localIpAddress);
    this.int(s.localPort, n.localPort);
    this.text(s.ja3, n.ja3);
    this.text(s.ja3s, n.ja3s);
  }

  private ipAddr(slot: number, l: IpAddrLayout, a: CbIpAddr | undefined): void {
    if (a === undefined) return;
    const s = l.slot;
    this.f.clear(l);
    this.f.has[slot] = 1;
    this.bool(s.bIsIpv6, a.bIsIpv6);
    this.int(s.ipv4Address, a.ipv4Address);
    this.big(s.ipv6Low, a.ipv6Low);
    this.big(s.ipv6High, a.ipv6High);
    this.text(s.ipv6Scope, a.ipv6Scope);
  }

  private childproc(c: CbChildProcessMsg): void {
    const s = CHILDPROC.slot;
    this.f.clear(CHILDPROC);
    this.bool(s.created, c.created);
    this.big(s.parent_guid, c.parent_guid);
    this.bin(s.md5hash, c.md5hash);
    this.big(s.child_guid, c.child_guid);
    this.text(s.path, c.path);
    this.big(s.pid, c.pid);
    this.big(s.create_time, c.create_time);
    this.bool(s.tamper, c.tamper);
    if (c.suppressed !== undefined) {
      this.f.clear(SUPPRESSED);
      this.f.has[s.suppressed] = 1;
      this.bool(SUPPRESSED.slot.bIsSuppressed, c.suppressed.bIsSuppressed);
    }
    this.text(s.commandline, c.commandline);
    this.text(s.username, c.username);
    this.int(s.childProcType, c.childProcType);
    this.bool(s.tamper_sent, c.tamper_sent);
    this.bin(s.sha256hash, c.sha256hash);
  }

  private crossproc(x: CbCrossProcessMsg): void {
    const s = CROSSPROC.slot;
    this.f.clear(CROSSPROC);
    this.bool(s.isTarget, x.isTarget);
    const open = x.open;
    if (open !== undefined) {
      const o = OPEN.slot;
      this.f.clear(OPEN);
      this.f.has[s.open] = 1;
      this.int(o.type, open.type);
      this.int(o.targetPid, open.targetPid);
      this.big(o.targetProcCreateTime, open.targetProcCreateTime);
      this.int(o.requestedAccess, open.requestedAccess);
      this.text(o.targetProcPath, open.targetProcPath);
      this.bin(o.targetProcMd5, open.targetProcMd5);
      this.bin(o.targetProcSha256, open.targetProcSha256);
    }
    const thread = x.remotethread;
    if (thread !== undefined) {
      const t = THREAD.slot;
      this.f.clear(THREAD);
      this.f.has[s.remotethread] = 1;
      this.int(t.remoteProcPid, thread.remoteProcPid);
      this.big(t.remoteProcCreateTime, thread.remoteProcCreateTime);
      this.text(t.remoteProcPath, thread.remoteProcPath);
      this.bin(t.remoteProcMd5, thread.remoteProcMd5);
      this.bin(t.remoteProcSha256, thread.remoteProcSha256);
    }
  }

  private emet(e: CbEmetMitigationMsg): void {
    const s = EMET.slot;
    this.f.clear(EMET);
    this.big(s.emetId, e.emetId);
    this.big(s.emetTimstamp, e.emetTimstamp);
    if (e.action !== undefined) {
      this.f.clear(MITIGATION);
      this.f.has[s.action] = 1;
      this.int(MITIGATION.slot.mitigationType, e.action.mitigationType);
    }
    this.text(s.actionText, e.actionText);
    this.bool(s.blocked, e.blocked);
  }

  private blocked(b: CbProcessBlockedMsg): void {
    const s = BLOCKED.slot;
    this.f.clear(BLOCKED);
    this.int(s.blockedType, b.blockedType);
    this.int(s.blockedEvent, b.blockedEvent);
    this.bin(s.blockedmd5Hash, b.blockedmd5Hash);
    this.text(s.blockedPath, b.blockedPath);
    this.int(s.blockResult, b.blockResult);
    this.int(s.blockError, b.blockError);
    this.int(s.blockedPid, b.blockedPid);
    this.big(s.blockedProcCreateTime, b.blockedProcCreateTime);
    this.text(s.blockedCmdline, b.blockedCmdline);
    this.text(s.blockedUid, b.blockedUid);
    this.text(s.blockedUsername, b.blockedUsername);
  }

  private module(m: CbModuleInfoMsg): void {
    const s = MODULE.slot;
    this.f.clear(MODULE);
    this.text(s.md5, m.md5);
    this.int(s.CopiedModuleLength, m.CopiedModuleLength);
    this.big(s.OriginalModuleLength, m.OriginalModuleLength);
    this.text(s.utf8_FileDescription, m.utf8_FileDescription);
    this.text(s.utf8_CompanyName, m.utf8_CompanyName);
    this.text(s.utf8_ProductName, m.utf8_ProductName);
    this.text(s.utf8_FileVersion, m.utf8_FileVersion);
    this.text(s.utf8_Comments, m.utf8_Comments);
    this.text(s.utf8_LegalCopyright, m.utf8_LegalCopyright);
    this.text(s.utf8_LegalTrademark, m.utf8_LegalTrademark);
    this.text(s.utf8_InternalName, m.utf8_InternalName);
    this.text(s.utf8_OriginalFileName, m.utf8_OriginalFileName);
    this.text(s.utf8_ProductDescription, m.utf8_ProductDescription);
    this.text(s.utf8_ProductVersion, m.utf8_ProductVersion);
    this.text(s.utf8_PrivateBuild, m.utf8_PrivateBuild);
    this.text(s.utf8_SpecialBuild, m.utf8_SpecialBuild);
    this.text(s.utf8_DigSig_Publisher, m.utf8_DigSig_Publisher);
    this.text(s.utf8_DigSig_ProgramName, m.utf8_DigSig_ProgramName);
    this.text(s.utf8_DigSig_IssuerName, m.utf8_DigSig_IssuerName);
    this.text(s.utf8_DigSig_SubjectName, m.utf8_DigSig_SubjectName);
    this.text(s.utf8_DigSig_Result, m.utf8_DigSig_Result);
    this.text(s.utf8_DigSig_ResultCode, m.utf8_DigSig_ResultCode);
    this.text(s.utf8_DigSig_SignTime, m.utf8_DigSig_SignTime);
    this.bin(s.Icon, m.Icon);
    this.bin(s.ImageFileHeader, m.ImageFileHeader);
    this.text(s.utf8_OnDiskFilename, m.utf8_OnDiskFilename);
    this.text(s.sha256, m.sha256);
  }

  // ---- one field -----------------------------------------------------------------------------------------

  /** int32, uint32 or enum (stored as the varint's low 32 bits). */
  private int(slot: number, value: number | undefined): void {
    if (value === undefined) return;
    const f = this.f;
    f.has[slot] = 1;
    f.lo[slot] = value | 0;
    f.hi[slot] = value < 0 ? -1 : 0;
  }

  private bool(slot: number, value: boolean | undefined): void {
    if (value === undefined) return;
    const f = this.f;
    f.has[slot] = 1;
    f.lo[slot] = value ? 1 : 0;
    f.hi[slot] = 0;
  }

  /** int64 or uint64: its two 32-bit halves. */
  private big(slot: number, value: bigint | undefined): void {
    if (value === undefined) return;
    const f = this.f;
    f.has[slot] = 1;
    f.lo[slot] = Number(BigInt.asUintN(32, value)) | 0;
    f.hi[slot] = Number(value >> 32n) | 0;
  }

  /** Text back to the record's bytes: escaped invalid bytes (lone surrogates) become the raw bytes again. */
  private text(slot: number, value: string | undefined): void {
    if (value === undefined) return;
    const start = this.used;
    if (value.length === 0) {
      // Nothing to write.
    } else if (hasLoneSurrogate(value)) this.copy(encodeText(value));
    else {
      this.reserve(value.length * 3);
      this.used += this.scratch.write(value, this.used, "utf8");
    }
    this.range(slot, start);
  }

  private bin(slot: number, value: Uint8Array | undefined): void {
    if (value === undefined) return;
    const start = this.used;
    this.copy(value);
    this.range(slot, start);
  }

  private range(slot: number, start: number): void {
    const f = this.f;
    f.has[slot] = 1;
    f.lo[slot] = start;
    f.hi[slot] = this.used;
  }

  private copy(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.scratch.set(bytes, this.used);
    this.used += bytes.length;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.scratch.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.used + bytes));
    this.scratch.copy(grown, 0, 0, this.used);
    this.scratch = grown;
  }
}
