// What every fast forwarder document shares: the base keys (JSON-OUTPUT.md §2.3), process GUIDs (§2.4), times
// (§2.5), addresses (§2.6–2.7) and the strings-table lookup (§2.9), written from a Fields store, as JSON or LEEF
// (encoding.ts: the output object, JsonBytes or LeefBytes, picks the rendering). Every key is written with a
// leading separator (comma / TAB); the caller turns the document's first one into "{" (JSON) or the header's
// last "|" (LEEF).
import { decodeText } from "../../decode/text.js";
import { filetimeToUnix } from "../../decode/values.js";
import { EMPTY, key, keyLiteral, keyText, keyValue, textBytes, textValue, twin } from "./encoding.js";
import { type Fields, HEADER, type IpAddrLayout } from "./fields.js";
import { filetimeFloatSeconds, filetimeSeconds } from "./filetime.js";
import type { Fragment, JsonBytes } from "./json-bytes.js";

/** A boolean key: both values' fragments ready (`,"name":true` / `,"name":false`). */
export class BoolKey {
  private readonly yes: Fragment;
  private readonly no: Fragment;

  constructor(name: string) {
    this.yes = keyLiteral(name, "true");
    this.no = keyLiteral(name, "false");
  }

  write(w: JsonBytes, value: boolean): void {
    w.raw(value ? this.yes : this.no);
  }
}

/**
 * A key whose value names an enum value: `names[value]`, else `unknown (<value>)` (or `""` when `unknownEmpty`),
 * with ready `,"key":"name"` fragments.
 */
export class EnumKey {
  /** The fragment of each value up to the largest named one (an array: a Map lookup showed in profiles). */
  private readonly known: (Fragment | null)[];
  private readonly prefix: Fragment;
  private readonly close: Fragment;
  /** The fragment of the other values, when they are written as `""`. */
  private readonly other: Fragment | null;

  constructor(name: string, names: Readonly<Record<number, string>>, unknownEmpty = false) {
    this.prefix = keyText(name, "unknown (");
    this.close = UNKNOWN_CLOSE;
    this.other = unknownEmpty ? keyValue(name, "") : null;
    const values = Object.keys(names).map(Number);
    this.known = Array.from({ length: Math.max(...values) + 1 }, () => this.other);
    for (const value of values) this.known[value] = keyValue(name, names[value] as string);
  }

  write(w: JsonBytes, value: number): void {
    const fragment = value >>> 0 < this.known.length ? this.known[value] : this.other;
    if (fragment !== null && fragment !== undefined) {
      w.raw(fragment);
      return;
    }
    w.raw(this.prefix);
    w.num(value);
    w.raw(this.close);
  }
}

/** The end of an `unknown (<n>)` value after its number: `)"` / `)`. */
export const UNKNOWN_CLOSE = twin(')"', ")");

const K = {
  computerName: key("computer_name"),
  forkPid: key("fork_pid"),
  md5: key("md5"),
  pid: key("pid"),
  processGuid: keyText("process_guid", ""),
  processPath: key("process_path"),
  sensorId: key("sensor_id"),
  sha256: key("sha256"),
  timestamp: key("timestamp"),
  path: key("path"),
  linkEnd: twin('/0"', "/0"),
  linkClose: twin('/1"', "/1"),
};

/** Settings the writer needs, from the forwarder options. */
export interface DocSettings {
  serverName: string;
  serverUrl?: string | undefined;
  timeFloat: boolean;
}

/**
 * Writes one document at a time: the caller sets the sensor identity, then a per-kind writer calls in. The
 * same calls write JSON or LEEF: `w` is a JsonBytes or a LeefBytes, which renders the fragments (their twins)
 * and values (quote() included) in its encoding; only what LEEF alone has (the netconn additions, byte lists,
 * JSON objects inside a line) looks at `leef`.
 */
export class DocWriter {
  /** Where the current document goes. */
  w: JsonBytes;
  readonly f: Fields;
  /** Whether `w` is a LeefBytes. */
  readonly leef: boolean;
  readonly url: boolean;
  readonly timeFloat: boolean;
  private readonly cbServer: Fragment;
  /** `"<url>#analyze/` and friends, after their key. */
  private readonly linkProcess: Fragment;
  private readonly linkSensor: Fragment;
  readonly linkBytes: number;
  sensorId = 0;
  sensorKnown = false;
  /** The host name: a range of `f.src` (from `env`) or pre-quoted bytes (from the record's context). */
  private hostStart = -1;
  private hostEnd = -1;
  private hostQuoted: Fragment = EMPTY;
  private hostText: string | undefined;

  constructor(f: Fields, w: JsonBytes, settings: DocSettings, leef: boolean) {
    this.f = f;
    this.w = w;
    this.leef = leef;
    this.url = settings.serverUrl !== undefined;
    this.timeFloat = settings.timeFloat;
    this.cbServer = keyValue("cb_server", settings.serverName);
    this.linkProcess = this.linkPrefix("link_process", "#analyze/", settings.serverUrl);
    this.linkSensor = this.linkPrefix("link_sensor", "#/host/", settings.serverUrl);
    this.linkBytes = this.linkProcess.room + this.cbServer.room;
  }

  /** `,"<name>":"<url><path>`: a link up to its variable part (the url escaped for the encoding). */
  linkPrefix(name: string, path: string, url: string | undefined): Fragment {
    return keyText(name, `${url ?? ""}${path}`);
  }

  /** The host name from `env` (a range of the source bytes). */
  hostFromRange(present: boolean, start: number, end: number): void {
    this.hostStart = present ? start : 0;
    this.hostEnd = present ? end : 0;
  }

  /** The host name from the record's context or decoded event (quoted once per distinct name). */
  hostFromText(text: string): void {
    this.hostStart = -1;
    if (text !== this.hostText) {
      this.hostText = text;
      this.hostQuoted = textValue(text);
    }
  }

  /** Bytes the identity adds to a document beyond the record's own (for reserving room). */
  get identityBytes(): number {
    return this.hostStart < 0 ? this.hostQuoted.room : 0;
  }

  // ---- field access --------------------------------------------------------------------------------------

  has(slot: number): boolean {
    return this.f.has[slot] === 1;
  }

  /** int32 / enum value (the decoder's `lo | 0`), or `absent` when the field is absent. */
  i32(slot: number, absent: number): number {
    return this.f.has[slot] === 1 ? this.f.lo[slot] : absent;
  }

  /** uint32 value, or `absent`. */
  u32(slot: number, absent: number): number {
    return this.f.has[slot] === 1 ? this.f.lo[slot] >>> 0 : absent;
  }

  /** bool value, or `absent`. */
  flag(slot: number, absent: boolean): boolean {
    const f = this.f;
    return f.has[slot] === 1 ? (f.lo[slot] | f.hi[slot]) !== 0 : absent;
  }

  // ---- values --------------------------------------------------------------------------------------------

  /** `"` in JSON, nothing in LEEF. */
  quote(): void {
    this.w.quote();
  }

  // Absent fields are written by the same call as present ones, as an empty range: a branch that first runs
  // after V8 optimised its function (an absent hash after thousands of present ones) throws that code away, and
  // with it every writer it was inlined into; each is then compiled again, once per worker.

  /** A text field as a string value; empty when absent (or when `slot` is negative: none). */
  text(slot: number): void {
    const f = this.f;
    const present = slot >= 0 && f.has[slot] === 1;
    this.w.text(f.src, present ? f.lo[slot] : 0, present ? f.hi[slot] : 0);
  }

  /** A text field as a JSON string (JSON inside a LEEF document too: objects render as JSON); `""` if absent. */
  jsonText(slot: number): void {
    const f = this.f;
    const present = f.has[slot] === 1;
    this.w.jsonText(f.src, present ? f.lo[slot] : 0, present ? f.hi[slot] : 0);
  }

  /** Text built on the side (rare values), as a string value. */
  textValue(text: string): void {
    const bytes = textBytes(text, this.leef);
    this.w.reserve(bytes.length);
    this.w.bytes(bytes);
  }

  /** Upper-case hex of a bytes field; empty when absent (or when `slot` is negative: none). */
  hex(slot: number): void {
    const f = this.f;
    const present = slot >= 0 && f.has[slot] === 1;
    this.w.hexUpper(f.src, present ? f.lo[slot] : 0, present ? f.hi[slot] : 0);
  }

  /** A text field decoded as the reference does it (invalid bytes escaped, decode/text.ts). */
  decoded(slot: number): string {
    const f = this.f;
    return f.has[slot] === 1 ? decodeText(f.src, f.lo[slot], f.hi[slot]) : "";
  }

  /** A 64-bit field in decimal (0 when absent). */
  int64(slot: number, signed: boolean): void {
    const f = this.f;
    const present = f.has[slot] === 1;
    this.w.int64(present ? f.lo[slot] : 0, present ? f.hi[slot] : 0, signed);
  }

  /** A FILETIME field as Unix seconds (§2.5), integer or float; 0 when absent or zero. */
  time(slot: number): void {
    const f = this.f;
    const lo = f.has[slot] === 1 ? f.lo[slot] : 0;
    const hi = f.has[slot] === 1 ? f.hi[slot] : 0;
    if (lo === 0 && hi === 0) {
      this.w.byte(0x30);
      return;
    }
    if (this.timeFloat) {
      this.w.float(filetimeFloatSeconds(lo, hi));
      return;
    }
    const seconds = filetimeSeconds(lo, hi);
    if (!Number.isNaN(seconds)) {
      this.w.num(seconds);
      return;
    }
    // Before 1970 the forwarder's unsigned arithmetic wraps around: rare, exact with BigInt.
    const ft = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    this.w.ascii(String(filetimeToUnix(ft)));
  }

  /** Process GUID of sensor, pid and a 64-bit create-time field (0 when absent), unquoted. */
  guid(pid: number, ctSlot: number, sensorId = this.sensorId): void {
    const f = this.f;
    const present = f.has[ctSlot] === 1;
    this.w.guid(sensorId, pid, present ? f.lo[ctSlot] : 0, present ? f.hi[ctSlot] : 0);
  }

  quotedGuid(pid: number, ctSlot: number, sensorId = this.sensorId): void {
    this.quote();
    this.guid(pid, ctSlot, sensorId);
    this.quote();
  }

  /** `process_guid` of the acting process (§2.4), unquoted: new-style or the legacy id's decimal text. */
  actingGuid(): void {
    const H = HEADER.slot;
    if (this.sensorKnown && this.has(H.process_pid) && this.has(H.process_create_time)) {
      this.guid(this.f.lo[H.process_pid], H.process_create_time);
    } else this.int64(H.process_guid, true);
  }

  /** IPv4 of a uint32 field (0.0.0.0 when absent), quoted. */
  ipv4(slot: number): void {
    this.quote();
    this.w.ipv4(this.u32(slot, 0));
    this.quote();
  }

  /** A CbIpAddr (§2.7), quoted; `present`: the message itself is present. */
  ipAddr(a: IpAddrLayout, present: boolean): void {
    const w = this.w;
    const s = a.slot;
    this.quote();
    if (!present || !this.flag(s.bIsIpv6, false)) w.ipv4(present ? this.u32(s.ipv4Address, 0) : 0);
    else {
      const f = this.f;
      const high = this.has(s.ipv6High);
      const low = this.has(s.ipv6Low);
      w.ipv6(
        high ? f.lo[s.ipv6High] : 0,
        high ? f.hi[s.ipv6High] : 0,
        low ? f.lo[s.ipv6Low] : 0,
        low ? f.hi[s.ipv6Low] : 0,
      );
      if (this.has(s.ipv6Scope)) {
        w.byte(0x25); // %
        w.textBody(f.src, f.lo[s.ipv6Scope], f.hi[s.ipv6Scope]);
      }
    }
    this.quote();
  }

  /** Path of the header's filepath_string_guid in the strings table (§2.9), empty when none matches. */
  headerPath(): void {
    const f = this.f;
    const k = HEADER.slot.filepath_string_guid;
    const keyLo = f.has[k] === 1 ? f.lo[k] : 0;
    const keyHi = f.has[k] === 1 ? f.hi[k] : 0;
    this.w.raw(K.path);
    let start = 0;
    let end = 0;
    for (let i = 0; i < f.strings; i++) {
      const known = f.strGuidHas[i] === 1;
      if ((known ? f.strGuidLo[i] : 0) !== keyLo || (known ? f.strGuidHi[i] : 0) !== keyHi) continue;
      if (f.strTextHas[i] === 1) {
        start = f.strTextStart[i];
        end = f.strTextEnd[i];
      }
      break;
    }
    this.w.text(f.src, start, end);
  }

  // ---- base keys -----------------------------------------------------------------------------------------

  cbServerKey(): void {
    this.w.raw(this.cbServer);
  }

  computerNameKey(): void {
    this.w.raw(K.computerName);
    if (this.hostStart >= 0) this.w.text(this.f.src, this.hostStart, this.hostEnd);
    else this.w.raw(this.hostQuoted);
  }

  forkPidKey(): void {
    const s = HEADER.slot.fork_pid;
    if (!this.has(s)) return;
    this.w.raw(K.forkPid);
    this.w.num(this.f.lo[s]);
  }

  /** link_process and link_sensor (adjacent in every kind's key order), when a server URL is set. */
  linkKeys(): void {
    if (!this.url) return;
    const w = this.w;
    w.raw(this.linkProcess);
    this.actingGuid();
    w.raw(K.linkEnd);
    w.raw(this.linkSensor);
    w.num(this.sensorId);
    this.quote();
  }

  /** Ends a `link_*` key to another process (`<url>#analyze/<guid>/1`) after its guid. */
  linkClose(): void {
    this.w.raw(K.linkClose);
  }

  headerMd5Key(): void {
    this.w.raw(K.md5);
    this.hex(HEADER.slot.process_md5);
  }

  headerSha256Key(): void {
    this.w.raw(K.sha256);
    this.hex(HEADER.slot.process_sha256);
  }

  pidKey(): void {
    this.w.raw(K.pid);
    this.w.num(this.i32(HEADER.slot.process_pid, 0));
  }

  processGuidKey(): void {
    this.w.raw(K.processGuid);
    this.actingGuid();
    this.quote();
  }

  processPathKey(): void {
    const s = HEADER.slot.process_path;
    const f = this.f;
    if (f.has[s] !== 1 || f.lo[s] === f.hi[s]) return;
    this.w.raw(K.processPath);
    this.w.text(f.src, f.lo[s], f.hi[s]);
  }

  sensorIdKey(): void {
    this.w.raw(K.sensorId);
    this.w.num(this.sensorId);
  }

  timestampKey(): void {
    this.w.raw(K.timestamp);
    this.time(HEADER.slot.timestamp);
  }
}
