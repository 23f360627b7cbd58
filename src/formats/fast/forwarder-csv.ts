// The fast path for `--format csv` and `--format table` with the `forwarder` profile: the five columns of
// formats/table.ts (time, host, type, md5, detail) written straight from a raw record's fields, byte-identical to
// forwarderDocument + csvLine/tableLine encoded as UTF-8 (the reference path, which the tests compare it with).
// Only the fields the columns show are read; no document, no strings, no bigints. Two entry points, as the JSON
// writer: a raw record (decoding fused with writing) and a decoded event (its fields filled back into the store).
import type { EventKind, RecordContext, SensorEvent } from "../../decode/event.js";
import { hasLoneSurrogate } from "../../decode/text.js";
import { ipv6Text } from "../../decode/values.js";
import type { FormatterOptions } from "../formatter.js";
import { EventFieldFiller } from "./event-fields.js";
import {
  BLOCKED,
  CHILDPROC,
  CROSSPROC,
  ENDPOINT,
  ENV,
  EVENT,
  Fields,
  HEADER,
  type IpAddrLayout,
  MODLOAD,
  MODULE,
  NETCONN,
  NETCONN2,
  OPEN,
  PROCESS,
  REGMOD,
  REMOTE_IP,
  THREAD,
} from "./fields.js";
import { filetimeFloatSeconds, filetimeSeconds } from "./filetime.js";
import { scanKind } from "./forwarder-writer.js";
import { Fragment, JsonBytes, sequenceLength } from "./json-bytes.js";
import { DEFERRED, type RecordWriter, SKIPPED, WRITTEN } from "./record-writer.js";
import { KINDS, kindIndex, selectedKinds } from "./selection.js";

/** The times Python can format (formats/table.ts): 0001-01-01 00:00:00 .. 9999-12-31 23:59:59. */
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;
const TIME_LENGTH = 19;
const SPACE = 0x20;
const NEWLINE = 0x0a;

/** The `event_type` column of each kind (forwarder profile). */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  procstart: "proc",
  procend: "proc",
  modload: "modload",
  filemod: "filemod",
  regmod: "regmod",
  netconn: "netconn",
  netconnv2: "netconn",
  childproc: "childproc",
  crossprocopen: "cross_process",
  remotethread: "cross_process",
  emet: "emet_mitigation",
  filelessscript: "FilelessScriptload",
  tamper: "tamper",
  processblock: "blocked_process",
  module: "binary_info",
};

const HEX = Buffer.from("0123456789ABCDEF", "latin1");
const HEX_LOWER = Buffer.from("0123456789abcdef", "latin1");
const REPLACEMENT = [0xef, 0xbf, 0xbd];

const TRUE = Fragment.of("True");
const FALSE = Fragment.of("False");
const VIA_TCP = Fragment.of(") via tcp ");
const VIA_UDP = Fragment.of(") via udp ");
const OUTBOUND = Fragment.of("outbound");
const INBOUND = Fragment.of("inbound");

export class FastForwarderCsv implements RecordWriter {
  kindIndex = -1;
  private readonly f = new Fields();
  private readonly filler: EventFieldFiller;
  private readonly eventOut = new JsonBytes(1 << 12);
  /** 1 at the index of each exported kind. */
  private readonly selected: Uint8Array;
  private readonly table: boolean;
  private readonly legacyMd5: boolean;
  private readonly timeFloat: boolean;
  /** Column separator, and `<sep><type><sep>` by kind index (padded for tables). */
  private readonly sep: Fragment;
  private readonly typeColumns: Fragment[] = [];
  /** The time column of the last second written, and the date part of the last day. */
  private readonly time = Buffer.alloc(TIME_LENGTH);
  private timeSecond = Number.NaN;
  private timeDay = Number.NaN;
  /** The host name from the record's context, encoded once per distinct name, with its code points. */
  private contextHost: string | undefined;
  private contextHostBytes: Buffer = Buffer.alloc(0);
  private contextHostChars = 0;
  /** The context's host name holds a lone surrogate (written as U+FFFD). */
  private contextHostLone = false;
  /** An invalid UTF-8 byte of the current line was written as U+FFFD. */
  private replaced = false;

  /** Whether the fast path covers these settings: csv or table, forwarder profile, no remove_from_output. */
  static supports(options: FormatterOptions): boolean {
    return (
      (options.format === "csv" || options.format === "table") &&
      options.profile === "forwarder" &&
      (options.removeFromOutput === undefined || options.removeFromOutput.length === 0)
    );
  }

  constructor(options: FormatterOptions) {
    if (!FastForwarderCsv.supports(options))
      throw new Error("the fast CSV path covers csv and table with the forwarder profile only");
    this.table = options.format === "table";
    this.legacyMd5 = options.legacyMd5Column === true;
    this.timeFloat = options.timeFloat;
    this.selected = selectedKinds(options.rawEvents);
    this.filler = new EventFieldFiller(this.f);
    const sep = this.table ? " | " : " ; ";
    this.sep = Fragment.of(sep);
    for (const [kind, name] of Object.entries(TYPE_NAMES)) {
      const shown = this.table ? name.padStart(10) : name;
      this.typeColumns[kindIndex(kind as EventKind)] = Fragment.of(`${sep}${shown}${sep}`);
    }
  }

  /** RecordWriter.writeRecord: the CSV (or table) line of the record. */
  writeRecord(src: Buffer, start: number, end: number, context: RecordContext, out: JsonBytes): number {
    const f = this.f;
    const index = scanKind(src, start, end, f);
    if (index < 0) return DEFERRED;
    this.kindIndex = index;
    if (this.selected[index] === 0) return SKIPPED;
    const fromEnv = f.has[EVENT.slot.env] === 1 && f.has[ENV.slot.endpoint] === 1;
    if (!fromEnv) this.hostFromContext(context.computerName ?? "");
    const mark = out.pos;
    try {
      return this.write(index, out, end - start, fromEnv) ? WRITTEN : DEFERRED;
    } catch {
      // Not expected (the tests compare every path with the reference); if it happens, the reference decides.
      out.pos = mark;
      return DEFERRED;
    }
  }

  /**
   * The line of a decoded event (no terminator); undefined when not exported, null when the reference path must
   * format it (it then reports what it cannot show).
   */
  eventLine(event: SensorEvent): string | undefined | null {
    const index = kindIndex(event.kind);
    if (index < 0 || this.selected[index] === 0) return undefined;
    const out = this.eventOut;
    try {
      if (!this.filler.fill(event)) return null;
      this.hostFromContext(event.computerName);
      out.pos = 0;
      if (!this.write(index, out, this.filler.size, false)) return null;
      // The reference line holds invalid bytes as lone surrogates, which the pipeline encodes as U+FFFD; other
      // users of the line may tell them apart: it makes those lines itself.
      if (this.replaced || this.contextHostLone) return null;
    } catch {
      return null;
    }
    return out.buf.toString("utf8", 0, out.pos - 1);
  }

  /**
   * Appends the line and "\n"; false (nothing written) for what the reference path decides: a time outside the
   * years 1..9999 (it fails the event) and module md5s that are not ASCII (Unicode upper-casing).
   * `fromEnv`: the host name is env's; else the one set by hostFromContext.
   */
  private write(index: number, out: JsonBytes, sourceBytes: number, fromEnv: boolean): boolean {
    const f = this.f;
    const kind = KINDS[index] as EventKind;
    const seconds = this.seconds();
    if (Number.isNaN(seconds)) return false;
    this.replaced = false;
    if (kind === "module" && !this.asciiText(MODULE.slot.md5)) return false;
    // Each source byte becomes at most 4 output bytes (hex of the hex in the legacy md5 column), plus padding.
    out.reserve(512 + 4 * sourceBytes + (fromEnv ? 0 : this.contextHostBytes.length));

    this.writeTime(out, seconds);
    out.raw(this.sep);
    let chars: number;
    if (fromEnv) {
      const s = ENDPOINT.slot.SensorHostName;
      chars = f.has[s] === 1 ? this.text(out, f.lo[s], f.hi[s]) : 0;
    } else {
      out.bytes(this.contextHostBytes);
      chars = this.contextHostChars;
    }
    if (this.table) spaces(out, 20 - chars);
    out.raw(this.typeColumns[index] as Fragment);
    this.md5(out, kind);
    out.raw(this.sep);
    this.detail(out, kind);
    out.byte(NEWLINE);
    return true;
  }

  // ---- time ----------------------------------------------------------------------------------------------

  /** The header's FILETIME as whole Unix seconds (as the forwarder document holds it, floored); NaN outside 1..9999. */
  private seconds(): number {
    const f = this.f;
    const s = HEADER.slot.timestamp;
    const lo = f.has[s] === 1 ? f.lo[s] : 0;
    const hi = f.has[s] === 1 ? f.hi[s] : 0;
    if (lo === 0 && hi === 0) return 0;
    // Before 1970 filetimeSeconds is NaN: the forwarder's value wraps around to a time far past the year 9999.
    const seconds = this.timeFloat ? Math.floor(filetimeFloatSeconds(lo, hi)) : filetimeSeconds(lo, hi);
    return seconds < MIN_SECONDS || seconds > MAX_SECONDS ? Number.NaN : seconds;
  }

  /** `YYYY-MM-DD HH:MM:SS` in UTC: the date made once per day, the whole column once per second. */
  private writeTime(out: JsonBytes, seconds: number): void {
    const t = this.time;
    if (seconds !== this.timeSecond) {
      const day = Math.floor(seconds / 86400);
      if (day !== this.timeDay) {
        const d = new Date(day * 86400000);
        digits(t, 0, d.getUTCFullYear(), 4);
        t[4] = 0x2d;
        digits(t, 5, d.getUTCMonth() + 1, 2);
        t[7] = 0x2d;
        digits(t, 8, d.getUTCDate(), 2);
        t[10] = SPACE;
        t[13] = 0x3a;
        t[16] = 0x3a;
        this.timeDay = day;
      }
      const rest = seconds - day * 86400;
      const hours = (rest / 3600) | 0;
      const minutes = ((rest - hours * 3600) / 60) | 0;
      digits(t, 11, hours, 2);
      digits(t, 14, minutes, 2);
      digits(t, 17, rest - hours * 3600 - minutes * 60, 2);
      this.timeSecond = seconds;
    }
    const b = out.buf;
    const p = out.pos;
    for (let i = 0; i < TIME_LENGTH; i++) b[p + i] = t[i];
    out.pos = p + TIME_LENGTH;
  }

  // ---- host ----------------------------------------------------------------------------------------------

  private hostFromContext(text: string): void {
    if (text === this.contextHost) return;
    this.contextHost = text;
    // As the line is encoded (pipeline/line-buffer.ts): a lone surrogate becomes U+FFFD.
    this.contextHostBytes = Buffer.from(text, "utf8");
    this.contextHostLone = hasLoneSurrogate(text);
    // Python pads by code points (a lone surrogate counts as one).
    let chars = 0;
    for (const _ of text) chars++;
    this.contextHostChars = chars;
  }

  // ---- md5 -----------------------------------------------------------------------------------------------

  /** The md5 column: the document's `md5` upper-cased (or the legacy hex of its text), padded for tables. */
  private md5(out: JsonBytes, kind: EventKind): void {
    const f = this.f;
    let slot: number;
    switch (kind) {
      case "tamper":
        if (this.table) spaces(out, 33);
        return;
      case "module":
        this.moduleMd5(out);
        return;
      case "procstart": {
        const own = PROCESS.slot.md5hash;
        slot = f.has[own] === 1 ? own : HEADER.slot.process_md5;
        break;
      }
      case "modload":
        slot = MODLOAD.slot.md5hash;
        break;
      case "childproc":
        slot = CHILDPROC.slot.md5hash;
        break;
      case "processblock":
        slot = BLOCKED.slot.blockedmd5Hash;
        break;
      default:
        slot = HEADER.slot.process_md5;
    }
    const present = f.has[slot] === 1;
    const start = present ? f.lo[slot] : 0;
    const end = present ? f.hi[slot] : 0;
    const src = f.src;
    const b = out.buf;
    if (this.legacyMd5) {
      // Hex of the hex text's character codes: '0'-'9' → 30-39, 'A'-'F' → 41-46.
      if (this.table) spaces(out, 33 - 4 * (end - start));
      let p = out.pos;
      for (let i = start; i < end; i++) {
        const hiDigit = HEX[src[i] >>> 4];
        const loDigit = HEX[src[i] & 15];
        b[p++] = HEX_LOWER[hiDigit >>> 4];
        b[p++] = HEX_LOWER[hiDigit & 15];
        b[p++] = HEX_LOWER[loDigit >>> 4];
        b[p++] = HEX_LOWER[loDigit & 15];
      }
      out.pos = p;
      return;
    }
    if (this.table) spaces(out, 33 - 2 * (end - start));
    let p = out.pos;
    for (let i = start; i < end; i++) {
      b[p++] = HEX[src[i] >>> 4];
      b[p++] = HEX[src[i] & 15];
    }
    out.pos = p;
  }

  /** A module's md5 is text already (ASCII, checked before): upper-cased. */
  private moduleMd5(out: JsonBytes): void {
    const f = this.f;
    const s = MODULE.slot.md5;
    const start = f.has[s] === 1 ? f.lo[s] : 0;
    const end = f.has[s] === 1 ? f.hi[s] : 0;
    const src = f.src;
    const b = out.buf;
    if (this.table) spaces(out, 33 - (this.legacyMd5 ? 2 : 1) * (end - start));
    let p = out.pos;
    for (let i = start; i < end; i++) {
      let c = src[i];
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (this.legacyMd5) {
        b[p++] = HEX_LOWER[c >>> 4];
        b[p++] = HEX_LOWER[c & 15];
      } else b[p++] = c;
    }
    out.pos = p;
  }

  private asciiText(slot: number): boolean {
    const f = this.f;
    if (f.has[slot] !== 1) return true;
    const src = f.src;
    for (let i = f.lo[slot]; i < f.hi[slot]; i++) if (src[i] >= 0x80) return false;
    return true;
  }

  // ---- detail --------------------------------------------------------------------------------------------

  private detail(out: JsonBytes, kind: EventKind): void {
    const f = this.f;
    switch (kind) {
      case "procstart":
      case "procend":
      case "modload":
      case "filemod":
        this.headerPath(out);
        return;
      case "regmod":
        this.slotText(out, REGMOD.slot.utf8_regpath);
        return;
      case "processblock":
        this.slotText(out, BLOCKED.slot.blockedPath);
        return;
      case "childproc": {
        const s = CHILDPROC.slot.created;
        out.raw(f.has[s] === 1 && (f.lo[s] | f.hi[s]) !== 0 ? TRUE : FALSE);
        return;
      }
      case "crossprocopen":
      case "remotethread":
        // Whichever sub-message is there; neither: "".
        if (f.has[CROSSPROC.slot.open] === 1) this.slotText(out, OPEN.slot.targetProcPath);
        else if (f.has[CROSSPROC.slot.remotethread] === 1) this.slotText(out, THREAD.slot.remoteProcPath);
        return;
      case "netconn": {
        const N = NETCONN.slot;
        out.ipv4(this.u32(N.ipv4Address));
        this.netconnTail(out, N.port, N.utf8_netpath, N.protocol, N.outbound);
        return;
      }
      case "netconnv2": {
        const N = NETCONN2.slot;
        this.ipAddr(out, REMOTE_IP, f.has[N.remoteIpAddress] === 1);
        this.netconnTail(out, N.remotePort, N.utf8_netpath, N.protocol, N.outbound);
        return;
      }
      default:
      // emet_mitigation, FilelessScriptload, tamper, binary_info: no detail.
    }
  }

  /** `:<port> (<domain>) via <tcp|udp> <direction>` after the address. */
  private netconnTail(
    out: JsonBytes,
    port: number,
    domain: number,
    protocol: number,
    outbound: number,
  ): void {
    const f = this.f;
    out.byte(0x3a); // :
    const p = this.u32(port);
    out.num(((p & 0xff) << 8) | ((p >>> 8) & 0xff));
    out.byte(SPACE);
    out.byte(0x28); // (
    if (f.has[domain] === 1) this.text(out, f.lo[domain], f.hi[domain]);
    out.raw((f.has[protocol] === 1 ? f.lo[protocol] : 6) === 6 ? VIA_TCP : VIA_UDP);
    out.raw(f.has[outbound] !== 1 || (f.lo[outbound] | f.hi[outbound]) !== 0 ? OUTBOUND : INBOUND);
  }

  /** A CbIpAddr as ipAddrText writes it (JSON-OUTPUT.md §2.7); `present`: the message itself is present. */
  private ipAddr(out: JsonBytes, a: IpAddrLayout, present: boolean): void {
    const f = this.f;
    const s = a.slot;
    if (!present || f.has[s.bIsIpv6] !== 1 || (f.lo[s.bIsIpv6] | f.hi[s.bIsIpv6]) === 0) {
      out.ipv4(present ? this.u32(s.ipv4Address) : 0);
      return;
    }
    const bytes = Buffer.alloc(16);
    if (f.has[s.ipv6High] === 1) {
      bytes.writeInt32LE(f.lo[s.ipv6High], 0);
      bytes.writeInt32LE(f.hi[s.ipv6High], 4);
    }
    if (f.has[s.ipv6Low] === 1) {
      bytes.writeInt32LE(f.lo[s.ipv6Low], 8);
      bytes.writeInt32LE(f.hi[s.ipv6Low], 12);
    }
    out.ascii(ipv6Text(bytes));
    if (f.has[s.ipv6Scope] === 1) {
      out.byte(0x25); // %
      this.text(out, f.lo[s.ipv6Scope], f.hi[s.ipv6Scope]);
    }
  }

  /** The path of the header's filepath_string_guid in the strings table (JSON-OUTPUT.md §2.9); "" when none. */
  private headerPath(out: JsonBytes): void {
    const f = this.f;
    const k = HEADER.slot.filepath_string_guid;
    const keyLo = f.has[k] === 1 ? f.lo[k] : 0;
    const keyHi = f.has[k] === 1 ? f.hi[k] : 0;
    for (let i = 0; i < f.strings; i++) {
      const known = f.strGuidHas[i] === 1;
      if ((known ? f.strGuidLo[i] : 0) !== keyLo || (known ? f.strGuidHi[i] : 0) !== keyHi) continue;
      if (f.strTextHas[i] === 1) this.text(out, f.strTextStart[i], f.strTextEnd[i]);
      return;
    }
  }

  private slotText(out: JsonBytes, slot: number): void {
    const f = this.f;
    if (f.has[slot] === 1) this.text(out, f.lo[slot], f.hi[slot]);
  }

  private u32(slot: number): number {
    return this.f.has[slot] === 1 ? this.f.lo[slot] >>> 0 : 0;
  }

  /**
   * Text bytes src[start..end) as the reference line holds them once encoded: valid UTF-8 as it is, each
   * invalid byte (a lone surrogate after decoding, decode/text.ts) as U+FFFD. Returns its code points.
   */
  private text(out: JsonBytes, start: number, end: number): number {
    const src = this.f.src;
    const b = out.buf;
    let p = out.pos;
    let chars = 0;
    for (let i = start; i < end; i++) {
      const c = src[i];
      chars++;
      if (c < 0x80) {
        b[p++] = c;
        continue;
      }
      const n = sequenceLength(src, i, end, c);
      if (n === 0) {
        this.replaced = true;
        b[p++] = REPLACEMENT[0];
        b[p++] = REPLACEMENT[1];
        b[p++] = REPLACEMENT[2];
        continue;
      }
      for (let k = 0; k < n; k++) b[p++] = src[i + k];
      i += n - 1;
    }
    out.pos = p;
    return chars;
  }
}

/** `count` spaces (none when not positive): table padding. */
function spaces(out: JsonBytes, count: number): void {
  const b = out.buf;
  let p = out.pos;
  for (let i = 0; i < count; i++) b[p++] = SPACE;
  out.pos = p;
}

/** `value` in decimal, `width` digits with leading zeros, at t[at..]. */
function digits(t: Buffer, at: number, value: number, width: number): void {
  for (let i = at + width - 1; i >= at; i--) {
    t[i] = 0x30 + (value % 10);
    value = (value / 10) | 0;
  }
}
