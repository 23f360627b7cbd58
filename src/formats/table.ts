// The original eventExporter.py's table and CSV lines (JSON-OUTPUT.md §7.4), for documents of every profile:
// time | host | type | md5 | detail, times in UTC.
import { type Doc, FloatValue, RawNumber, type Value } from "./document.js";
import { pyFloat } from "./python-json.js";

export interface TableOptions {
  /**
   * Reproduce the original's md5 column: the lower-case hex of the md5 text's character codes (64 characters)
   * instead of the 32-character upper-case MD5.
   */
  legacyMd5Column?: boolean | undefined;
}

/** A document that cannot be shown as a line (no usable `timestamp`); the caller counts it as failed. */
export class TableFormatError extends Error {
  override readonly name = "TableFormatError";
}

interface Columns {
  time: string;
  host: string;
  type: string;
  md5: string;
  detail: string;
}

/** `%-19s | %-20s | %10s | %33s | %s`: widths are minimums, longer values overflow. */
export function tableLine(doc: Doc, options: TableOptions = {}): string {
  const c = columns(doc, options);
  return `${padEnd(c.time, 19)} | ${padEnd(c.host, 20)} | ${padStart(c.type, 10)} | ${padStart(c.md5, 33)} | ${c.detail}`;
}

/** The five values joined by ` ; `, without quoting or escaping (as the original). */
export function csvLine(doc: Doc, options: TableOptions = {}): string {
  const c = columns(doc, options);
  return `${c.time} ; ${c.host} ; ${c.type} ; ${c.md5} ; ${c.detail}`;
}

function columns(doc: Doc, options: TableOptions): Columns {
  const time = formatTime(doc.timestamp);
  const type = typeColumn(doc);
  return {
    time,
    host: text(doc.computer_name),
    type,
    md5: md5Column(doc.md5, options.legacyMd5Column === true),
    detail: detailColumn(doc, type),
  };
}

/** Forwarder documents carry the short name in `event_type` (their `type` is the routing key). */
function typeColumn(doc: Doc): string {
  return typeof doc.event_type === "string" ? doc.event_type : text(doc.type);
}

function md5Column(md5: Value | undefined, legacy: boolean): string {
  if (typeof md5 !== "string") return "";
  // The original hex-encoded the already-hex text again (`md5.encode('hex')`).
  return legacy ? Buffer.from(md5, "utf8").toString("hex") : md5.toUpperCase();
}

function detailColumn(doc: Doc, type: string): string {
  switch (type) {
    case "filemod":
    case "proc":
    case "regmod":
    case "modload":
    case "blocked_process":
      return text(doc.path);
    case "netconn":
      return netconnDetail(doc);
    case "childproc":
      return text(doc.created);
    case "cross_process":
      return text(doc.target_path);
    default:
      return "";
  }
}

/** `<ip>:<port> (<domain>) via <tcp|udp> <direction>`; v2 forwarder documents only have remote_ip/remote_port. */
function netconnDetail(doc: Doc): string {
  const ip = text(doc.ipv4 ?? doc.remote_ip ?? "<no IP>");
  const port = text(doc.port ?? doc.remote_port);
  const domain = text(doc.domain ?? "<no domain>");
  // `Protocol`: the forwarder-3.8 spelling in v2 documents.
  const protocol = doc.protocol ?? doc.Protocol;
  const proto = protocol === 6 || protocol === 6n ? "tcp" : "udp";
  const direction = text(doc.direction ?? "<unknown direction>");
  return `${ip}:${port} (${domain}) via ${proto} ${direction}`;
}

/** A value as Python's `%s` prints it; absent → "". */
function text(value: Value | undefined): string {
  switch (typeof value) {
    case "undefined":
      return "";
    case "string":
      return value;
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "True" : "False";
  }
  if (value === null) return "None";
  if (value instanceof FloatValue) return pyFloat(value.value);
  if (value instanceof RawNumber) return value.text;
  return "";
}

const MAX_SECONDS = 253402300799; // 9999-12-31 23:59:59, the last time Python can format
const MIN_SECONDS = -62135596800; // 0001-01-01 00:00:00

/** Unix seconds → `YYYY-MM-DD HH:MM:SS` in UTC; fractions are dropped (floor), like time.localtime. */
export function formatTime(value: Value | undefined): string {
  const seconds = timeSeconds(value);
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new TableFormatError(`timestamp ${seconds} is outside the years 1..9999`);
  }
  const d = new Date(seconds * 1000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  );
}

function timeSeconds(value: Value | undefined): number {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "bigint") n = Number(value);
  else if (value instanceof FloatValue) n = value.value;
  else if (value instanceof RawNumber) n = Number(value.text);
  else throw new TableFormatError("document has no numeric timestamp");
  if (!Number.isFinite(n)) throw new TableFormatError(`timestamp ${String(value)} is not a finite number`);
  return Math.floor(n);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Python pads by characters (code points), not UTF-16 units. */
function padEnd(s: string, width: number): string {
  const n = codePoints(s);
  return n >= width ? s : s + " ".repeat(width - n);
}

function padStart(s: string, width: number): string {
  const n = codePoints(s);
  return n >= width ? s : " ".repeat(width - n) + s;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
