// The flat field store the fast forwarder writer reads: one slot per protobuf field it needs, holding the raw
// varint (low and high 32 bits) or the byte range of a length-delimited value in `src`. Filled either straight
// from the record bytes (record-scan.ts) or from an already decoded event (event-fields.ts).
import type {
  CbChildProcessMsg,
  CbCreateRemoteThreadMsg,
  CbCrossProcessMsg,
  CbCrossProcessOpenMsg,
  CbEmetMitigationAction,
  CbEmetMitigationMsg,
  CbEndpointEnvironmentMsg,
  CbEnvironmentMsg,
  CbEventMsg,
  CbFileModMsg,
  CbHeaderMsg,
  CbIpAddr,
  CbModuleInfoMsg,
  CbModuleLoadMsg,
  CbNetConnMsg,
  CbNetConnMsgv2,
  CbProcessBlockedMsg,
  CbProcessMsg,
  CbRegModMsg,
  CbScriptExecute,
  CbStringMsg,
  CbSuppressedInfo,
  CbTamperAlertMsg,
} from "../../schema/generated.js";

/** What a field holds, and what the scanner does with it. */
export const VARINT = 1;
export const LEN = 2;
/** A nested message: parsed with its own layout; the slot records presence. */
export const MSG = 3;
/** The repeated strings table of CbEventMsg. */
export const STRINGS = 4;
/** A repeated nested message the writer never reads: checked to be well-formed, as the decoder would. */
export const CHECK = 5;
/** A payload the fast path does not write: the record goes to the reference path. */
export const DEFER = 6;

type FieldSpec =
  | readonly [field: number, kind: typeof VARINT | typeof LEN | typeof DEFER]
  | readonly [field: number, kind: typeof MSG | typeof CHECK, layout: Layout]
  | readonly [field: number, kind: typeof STRINGS, layout: Layout];

/** One message type's slots: `codes[tag]` = slot << 3 | kind (0: not needed, skipped like an unknown field). */
export interface Layout {
  readonly first: number;
  readonly end: number;
  readonly codes: Int32Array;
  /** Nested layouts by tag. */
  readonly nested: (Layout | undefined)[];
}

const WIRE_LEN = 2;
const MAX_TAG = 256;
let slotCount = 0;

/** Assigns slots to the fields a writer needs; `K` is checked against the generated message type. */
function layout<M, K extends keyof M & string>(
  spec: Readonly<Record<K, FieldSpec>>,
): Layout & { slot: Readonly<Record<K, number>> } {
  const first = slotCount;
  const codes = new Int32Array(MAX_TAG);
  const nested: (Layout | undefined)[] = new Array(MAX_TAG).fill(undefined);
  const slots: [K, number][] = [];
  for (const name of Object.keys(spec) as K[]) {
    const [field, kind, sub] = spec[name] as readonly [number, number, Layout?];
    const s = slotCount++;
    const tag = (field << 3) | (kind === VARINT ? 0 : WIRE_LEN);
    codes[tag] = (s << 3) | kind;
    nested[tag] = sub;
    slots.push([name, s]);
  }
  // Made in one go: added one by one, the larger layouts (EVENT, MODULE) became dictionary-mode objects, and
  // every `EVENT.slot.x` in the writers a generic property lookup instead of a constant.
  const slot = Object.fromEntries(slots) as Record<K, number>;
  return { first, end: slotCount, codes, nested, slot };
}

// Only the fields the documents use are listed (and every nested message, which the decoder would check);
// the scanner skips the others exactly as the generated decoder does.

export const STRING = layout<CbStringMsg, "guid" | "utf8string">({ guid: [1, VARINT], utf8string: [2, LEN] });

export const HEADER = layout<
  CbHeaderMsg,
  | "version"
  | "timestamp"
  | "process_guid"
  | "filepath_string_guid"
  | "process_create_time"
  | "process_pid"
  | "process_md5"
  | "process_path"
  | "fork_pid"
  | "process_sha256"
>({
  version: [1, VARINT],
  timestamp: [4, VARINT],
  process_guid: [5, VARINT],
  filepath_string_guid: [6, VARINT],
  process_create_time: [9, VARINT],
  process_pid: [10, VARINT],
  process_md5: [11, LEN],
  process_path: [12, LEN],
  fork_pid: [13, VARINT],
  process_sha256: [14, LEN],
});

/** CbEmetMitigationAction inside CbProcessMsg.actions: only checked, never written. */
const EMET_ACTION = layout<Record<string, never>, never>({});

export const PROCESS = layout<
  CbProcessMsg,
  | "created"
  | "parent_pid"
  | "parent_create_time"
  | "parent_guid"
  | "md5hash"
  | "commandline"
  | "parent_md5"
  | "parent_path"
  | "expect_followon_w_md5"
  | "uid"
  | "username"
  | "actions"
  | "bFilteringKnownDlls"
  | "sha256hash"
  | "parent_sha256"
>({
  created: [2, VARINT],
  parent_pid: [3, VARINT],
  parent_create_time: [4, VARINT],
  parent_guid: [5, VARINT],
  md5hash: [6, LEN],
  commandline: [9, LEN],
  parent_md5: [10, LEN],
  parent_path: [11, LEN],
  expect_followon_w_md5: [13, VARINT],
  uid: [14, LEN],
  username: [15, LEN],
  actions: [16, CHECK, EMET_ACTION],
  bFilteringKnownDlls: [18, VARINT],
  sha256hash: [19, LEN],
  parent_sha256: [20, LEN],
});

export const SUPPRESSED = layout<CbSuppressedInfo, "bIsSuppressed">({ bIsSuppressed: [1, VARINT] });

export const CHILDPROC = layout<
  CbChildProcessMsg,
  | "created"
  | "parent_guid"
  | "md5hash"
  | "child_guid"
  | "path"
  | "pid"
  | "create_time"
  | "tamper"
  | "suppressed"
  | "commandline"
  | "username"
  | "childProcType"
  | "tamper_sent"
  | "sha256hash"
>({
  created: [1, VARINT],
  parent_guid: [2, VARINT],
  md5hash: [3, LEN],
  child_guid: [4, VARINT],
  path: [5, LEN],
  pid: [6, VARINT],
  create_time: [7, VARINT],
  tamper: [8, VARINT],
  suppressed: [9, MSG, SUPPRESSED],
  commandline: [10, LEN],
  username: [11, LEN],
  childProcType: [12, VARINT],
  tamper_sent: [13, VARINT],
  sha256hash: [14, LEN],
});

export const MODLOAD = layout<CbModuleLoadMsg, "md5hash" | "sha256hash">({
  md5hash: [3, LEN],
  sha256hash: [8, LEN],
});

export const FILEMOD = layout<
  CbFileModMsg,
  "action" | "md5hash" | "type" | "tamper" | "tamper_sent" | "sha256hash"
>({
  action: [2, VARINT],
  md5hash: [4, LEN],
  type: [5, VARINT],
  tamper: [6, VARINT],
  tamper_sent: [7, VARINT],
  sha256hash: [8, LEN],
});

export const REGMOD = layout<CbRegModMsg, "action" | "utf8_regpath" | "tamper" | "tamper_sent">({
  action: [2, VARINT],
  utf8_regpath: [4, LEN],
  tamper: [5, VARINT],
  tamper_sent: [6, VARINT],
});

export const NETCONN = layout<
  CbNetConnMsg,
  | "ipv4Address"
  | "port"
  | "protocol"
  | "utf8_netpath"
  | "outbound"
  | "remoteIpAddress"
  | "remotePort"
  | "localIpAddress"
  | "localPort"
>({
  ipv4Address: [2, VARINT],
  port: [5, VARINT],
  protocol: [6, VARINT],
  utf8_netpath: [7, LEN],
  outbound: [8, VARINT],
  remoteIpAddress: [13, VARINT],
  remotePort: [14, VARINT],
  localIpAddress: [15, VARINT],
  localPort: [16, VARINT],
});

function ipAddr() {
  return layout<CbIpAddr, "bIsIpv6" | "ipv4Address" | "ipv6Low" | "ipv6High" | "ipv6Scope">({
    bIsIpv6: [1, VARINT],
    ipv4Address: [2, VARINT],
    ipv6Low: [3, VARINT],
    ipv6High: [4, VARINT],
    ipv6Scope: [5, LEN],
  });
}
export type IpAddrLayout = ReturnType<typeof ipAddr>;
export const PROXY_IP = ipAddr();
export const REMOTE_IP = ipAddr();
export const LOCAL_IP = ipAddr();

export const NETCONN2 = layout<
  CbNetConnMsgv2,
  | "protocol"
  | "utf8_netpath"
  | "outbound"
  | "proxyConnection"
  | "proxyIpAddress"
  | "proxyPort"
  | "proxyNetPath"
  | "remoteIpAddress"
  | "remotePort"
  | "localIpAddress"
  | "localPort"
  | "ja3"
  | "ja3s"
>({
  protocol: [1, VARINT],
  utf8_netpath: [2, LEN],
  outbound: [3, VARINT],
  proxyConnection: [4, VARINT],
  proxyIpAddress: [5, MSG, PROXY_IP],
  proxyPort: [6, VARINT],
  proxyNetPath: [7, LEN],
  remoteIpAddress: [8, MSG, REMOTE_IP],
  remotePort: [9, VARINT],
  localIpAddress: [10, MSG, LOCAL_IP],
  localPort: [11, VARINT],
  ja3: [12, LEN],
  ja3s: [13, LEN],
});

export const OPEN = layout<
  CbCrossProcessOpenMsg,
  | "type"
  | "targetPid"
  | "targetProcCreateTime"
  | "requestedAccess"
  | "targetProcPath"
  | "targetProcMd5"
  | "targetProcSha256"
>({
  type: [1, VARINT],
  targetPid: [2, VARINT],
  targetProcCreateTime: [3, VARINT],
  requestedAccess: [4, VARINT],
  targetProcPath: [5, LEN],
  targetProcMd5: [6, LEN],
  targetProcSha256: [7, LEN],
});

export const THREAD = layout<
  CbCreateRemoteThreadMsg,
  "remoteProcPid" | "remoteProcCreateTime" | "remoteProcPath" | "remoteProcMd5" | "remoteProcSha256"
>({
  remoteProcPid: [1, VARINT],
  remoteProcCreateTime: [2, VARINT],
  remoteProcPath: [3, LEN],
  remoteProcMd5: [4, LEN],
  remoteProcSha256: [5, LEN],
});

export const CROSSPROC = layout<CbCrossProcessMsg, "open" | "remotethread" | "isTarget">({
  open: [1, MSG, OPEN],
  remotethread: [2, MSG, THREAD],
  isTarget: [4, VARINT],
});

export const BLOCKED = layout<
  CbProcessBlockedMsg,
  | "blockedType"
  | "blockedEvent"
  | "blockedmd5Hash"
  | "blockedPath"
  | "blockResult"
  | "blockError"
  | "blockedPid"
  | "blockedProcCreateTime"
  | "blockedCmdline"
  | "blockedUid"
  | "blockedUsername"
>({
  blockedType: [1, VARINT],
  blockedEvent: [2, VARINT],
  blockedmd5Hash: [3, LEN],
  blockedPath: [4, LEN],
  blockResult: [5, VARINT],
  blockError: [6, VARINT],
  blockedPid: [7, VARINT],
  blockedProcCreateTime: [8, VARINT],
  blockedCmdline: [9, LEN],
  blockedUid: [10, LEN],
  blockedUsername: [11, LEN],
});

export const MODULE = layout<CbModuleInfoMsg, keyof CbModuleInfoMsg>({
  md5: [1, LEN],
  CopiedModuleLength: [2, VARINT],
  OriginalModuleLength: [3, VARINT],
  utf8_FileDescription: [4, LEN],
  utf8_CompanyName: [5, LEN],
  utf8_ProductName: [6, LEN],
  utf8_FileVersion: [7, LEN],
  utf8_Comments: [8, LEN],
  utf8_LegalCopyright: [9, LEN],
  utf8_LegalTrademark: [10, LEN],
  utf8_InternalName: [11, LEN],
  utf8_OriginalFileName: [12, LEN],
  utf8_ProductDescription: [13, LEN],
  utf8_ProductVersion: [14, LEN],
  utf8_PrivateBuild: [15, LEN],
  utf8_SpecialBuild: [16, LEN],
  utf8_DigSig_Publisher: [17, LEN],
  utf8_DigSig_ProgramName: [18, LEN],
  utf8_DigSig_IssuerName: [19, LEN],
  utf8_DigSig_SubjectName: [20, LEN],
  utf8_DigSig_Result: [21, LEN],
  utf8_DigSig_ResultCode: [22, LEN],
  utf8_DigSig_SignTime: [23, LEN],
  Icon: [24, LEN],
  ImageFileHeader: [25, LEN],
  utf8_OnDiskFilename: [26, LEN],
  sha256: [27, LEN],
});

export const ENDPOINT = layout<CbEndpointEnvironmentMsg, "SensorId" | "SensorHostName">({
  SensorId: [1, VARINT],
  SensorHostName: [2, LEN],
});
const SERVER_ENV = layout<Record<string, never>, never>({});
export const ENV = layout<CbEnvironmentMsg, "endpoint" | "server">({
  endpoint: [1, MSG, ENDPOINT],
  server: [2, MSG, SERVER_ENV],
});

export const TAMPER = layout<CbTamperAlertMsg, "type">({ type: [1, VARINT] });
export const MITIGATION = layout<CbEmetMitigationAction, "mitigationType">({
  mitigationType: [1, VARINT],
});
export const EMET = layout<
  CbEmetMitigationMsg,
  "emetId" | "emetTimstamp" | "action" | "actionText" | "blocked"
>({
  emetId: [1, VARINT],
  emetTimstamp: [2, VARINT],
  action: [3, MSG, MITIGATION],
  actionText: [4, LEN],
  blocked: [5, VARINT],
});

export const SCRIPT = layout<CbScriptExecute, "script" | "sha256">({ script: [1, LEN], sha256: [2, LEN] });

/** Payloads in the forwarder's precedence order (JSON-OUTPUT.md §2.1); the deferred ones are never output. */
export const EVENT = layout<
  CbEventMsg,
  | "header"
  | "strings"
  | "process"
  | "modload"
  | "filemod"
  | "network"
  | "regmod"
  | "stats"
  | "module"
  | "vtwrite"
  | "vtload"
  | "childproc"
  | "env"
  | "crossproc"
  | "tamperAlert"
  | "blocked"
  | "emet"
  | "netconnBlocked"
  | "processMeta"
  | "networkv2"
  | "netconnBlockedv2"
  | "internalUse"
  | "scriptexe"
  | "fbscriptexe"
>({
  header: [1, MSG, HEADER],
  strings: [2, STRINGS, STRING],
  process: [3, MSG, PROCESS],
  modload: [4, MSG, MODLOAD],
  filemod: [5, MSG, FILEMOD],
  network: [6, MSG, NETCONN],
  regmod: [7, MSG, REGMOD],
  stats: [8, DEFER],
  module: [9, MSG, MODULE],
  vtwrite: [10, DEFER],
  vtload: [11, DEFER],
  childproc: [12, MSG, CHILDPROC],
  env: [13, MSG, ENV],
  crossproc: [14, MSG, CROSSPROC],
  tamperAlert: [15, MSG, TAMPER],
  blocked: [16, MSG, BLOCKED],
  emet: [17, MSG, EMET],
  netconnBlocked: [18, DEFER],
  processMeta: [19, DEFER],
  networkv2: [20, MSG, NETCONN2],
  netconnBlockedv2: [21, DEFER],
  internalUse: [22, DEFER],
  scriptexe: [23, MSG, SCRIPT],
  fbscriptexe: [24, DEFER],
});

/** Number of slots of all layouts. */
export const SLOTS = slotCount;

/**
 * Field values of one record. `lo`/`hi`: a varint's low and high 32 bits, or the start and end of a
 * length-delimited value in `src`; `has`: present (proto2 presence).
 */
export class Fields {
  readonly has = new Uint8Array(SLOTS);
  readonly lo = new Int32Array(SLOTS);
  readonly hi = new Int32Array(SLOTS);
  src: Buffer = Buffer.alloc(0);
  /** The strings table: guid (present, low, high) and text range (present, start, end) per entry. */
  strings = 0;
  strGuidHas = new Uint8Array(16);
  strGuidLo = new Int32Array(16);
  strGuidHi = new Int32Array(16);
  strTextHas = new Uint8Array(16);
  strTextStart = new Int32Array(16);
  strTextEnd = new Int32Array(16);

  /** Clears a layout's slots (a nested message that appears again replaces the earlier one, as decoded). */
  clear(l: Layout): void {
    const has = this.has;
    for (let s = l.first; s < l.end; s++) has[s] = 0;
  }

  /** Appends the entry just parsed into the STRING slots to the strings table. */
  pushString(): void {
    const n = this.strings;
    if (n === this.strGuidLo.length) this.growStrings();
    const g = STRING.slot.guid;
    const t = STRING.slot.utf8string;
    this.strGuidHas[n] = this.has[g];
    this.strGuidLo[n] = this.lo[g];
    this.strGuidHi[n] = this.hi[g];
    this.strTextHas[n] = this.has[t];
    this.strTextStart[n] = this.lo[t];
    this.strTextEnd[n] = this.hi[t];
    this.strings = n + 1;
  }

  private growStrings(): void {
    const size = this.strGuidLo.length * 2;
    const grow = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.strGuidHas = grow(this.strGuidHas, (n) => new Uint8Array(n));
    this.strGuidLo = grow(this.strGuidLo, (n) => new Int32Array(n));
    this.strGuidHi = grow(this.strGuidHi, (n) => new Int32Array(n));
    this.strTextHas = grow(this.strTextHas, (n) => new Uint8Array(n));
    this.strTextStart = grow(this.strTextStart, (n) => new Int32Array(n));
    this.strTextEnd = grow(this.strTextEnd, (n) => new Int32Array(n));
  }
}
