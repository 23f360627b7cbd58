// JSON bus notifications (watchlist, feed, alert, binaryinfo, binarystore, ...) → documents, normalised exactly as
// cb-event-forwarder does (JSON-OUTPUT.md §5). Render each with documentJson(doc, true).
import { hexDigit, JsonParseError, parseJson, setMember } from "../decode/json-parse.js";
import { decodeText } from "../decode/text.js";
import { type Doc, isDoc, RawNumber, sortedKeys, type Value } from "./document.js";
import type { FormatOptions } from "./options.js";

/** A well-formed JSON body the forwarder cannot convert (not an object, `docs` not an array of objects). */
export class NotificationError extends Error {
  override name = "NotificationError";
}

const MD5_KEYS = ["md5", "parent_md5", "process_md5"] as const;
const IP_KEYS = ["comms_ip", "interface_ip"] as const;
const MD5_LENGTH = 32;
const GUID_LENGTH = 36;

/**
 * Parses one notification body and returns its output documents (§5 steps 1–6): usually one, one per entry of
 * `docs` when present (none for an empty `docs`). Throws JsonParseError or NotificationError.
 */
export function normalizeNotification(
  body: Buffer | string,
  routingKey: string,
  options: FormatOptions,
): Doc[] {
  const msg = parseJson(body);
  if (!isDoc(msg)) throw new NotificationError("notification body is not a JSON object");
  msg.type = notificationType(routingKey);
  fixupDocument(msg, routingKey, options.serverUrl);
  const outputs = Object.hasOwn(msg, "docs") ? explodeDocs(msg, routingKey, options.serverUrl) : [msg];
  for (const out of outputs) finish(out, options);
  return outputs;
}

/** `feed.<digits>.<rest>` → `feed.<rest>`; every other key as is (§5 step 1). */
export function notificationType(routingKey: string): string {
  const prefix = "feed.";
  if (!routingKey.startsWith(prefix)) return routingKey;
  let i = prefix.length;
  while (isDigit(routingKey.charCodeAt(i))) i++;
  if (i === prefix.length || routingKey.charCodeAt(i) !== 0x2e) return routingKey;
  const rest = routingKey.slice(i + 1);
  // The forwarder's pattern `^feed\.(\d+)\.(.*)$` does not match across a newline.
  return rest.includes("\n") ? routingKey : prefix + rest;
}

/** Step 2 fix-ups, then step 3 deep links; applied to the top level and to every entry of `docs`. */
function fixupDocument(doc: Doc, routingKey: string, serverUrl: string | undefined): void {
  fixupKeys(doc);
  setProcessIds(doc, routingKey);
  if (serverUrl !== undefined) addLinks(doc, serverUrl);
}

function fixupKeys(doc: Doc): void {
  if (Object.hasOwn(doc, "highlights")) delete doc.highlights;
  if (Object.hasOwn(doc, "event_timestamp")) {
    doc.timestamp = doc.event_timestamp;
    delete doc.event_timestamp;
  }
  if (Object.hasOwn(doc, "hostname")) doc.computer_name = doc.hostname;
  for (const key of MD5_KEYS) {
    const value = doc[key];
    if (isMd5Text(value)) doc[key] = goToUpper(value);
  }
  if (Object.hasOwn(doc, "ioc_type")) fixupIocType(doc);
  for (const key of IP_KEYS) {
    const ip = int32Value(doc[key]);
    if (ip !== undefined) doc[key] = ipv4BigEndian(ip);
  }
}

function fixupIocType(doc: Doc): void {
  const iocType = doc.ioc_type;
  if (isDoc(iocType)) {
    const md5 = iocType.md5;
    if (Object.hasOwn(iocType, "md5") && typeof md5 === "string") iocType.md5 = goToUpper(md5);
    return;
  }
  if (iocType !== "query" || typeof doc.ioc_value !== "string") return;
  const query = parseIocQuery(doc.ioc_value);
  if (query === undefined) return;
  doc.ioc_query_index = query.index;
  doc.ioc_query_string = query.search;
}

/**
 * `ioc_value` of a query IOC: a JSON object of strings (null counts as "", as Go's map[string]string) with
 * `index_type` and `search_query`; the first `q` parameter of the latter. Any failure → undefined.
 */
function parseIocQuery(text: string): { index: string; search: string } | undefined {
  let value: Value;
  try {
    value = parseJson(text);
  } catch (err) {
    if (err instanceof JsonParseError) return undefined;
    throw err;
  }
  if (!isDoc(value)) return undefined;
  for (const key of Object.keys(value)) {
    if (typeof value[key] !== "string" && value[key] !== null) return undefined;
  }
  if (!Object.hasOwn(value, "index_type") || !Object.hasOwn(value, "search_query")) return undefined;
  const search = firstQueryParam(value.search_query ?? "", "q");
  if (search === undefined) return undefined;
  const index = value.index_type;
  return { index: typeof index === "string" ? index : "", search };
}

/**
 * First value of a parameter in a URL query (Go's url.ParseQuery, 1.17+ rules): `&`-separated pairs, `+` is a
 * space, `%XX` escapes; a `;` or a bad escape anywhere makes the whole query fail (undefined).
 */
export function firstQueryParam(query: Value, name: string): string | undefined {
  if (typeof query !== "string") return undefined;
  const bytes = Buffer.from(query, "utf8");
  let found: string | undefined;
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x26, start); // &
    if (end < 0) end = bytes.length;
    const pair = parsePair(bytes, start, end);
    if (pair === undefined) return undefined;
    if (pair !== null && found === undefined && pair.key.toString("utf8") === name) {
      found = decodeText(pair.value, 0, pair.value.length);
    }
    start = end + 1;
  }
  return found;
}

/** One `key=value` pair: null when empty, undefined on a `;` or a bad escape. */
function parsePair(
  bytes: Buffer,
  start: number,
  end: number,
): { key: Buffer; value: Buffer } | null | undefined {
  if (start === end) return null;
  let eq = end;
  for (let i = start; i < end; i++) {
    if (bytes[i] === 0x3b) return undefined; // ;
    if (bytes[i] === 0x3d && eq === end) eq = i; // =
  }
  const key = unescapeQuery(bytes, start, eq);
  const value = eq < end ? unescapeQuery(bytes, eq + 1, end) : Buffer.alloc(0);
  return key === undefined || value === undefined ? undefined : { key, value };
}

function unescapeQuery(bytes: Buffer, start: number, end: number): Buffer | undefined {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b === 0x25) {
      const hi = i + 2 < end ? hexDigit(bytes[i + 1]) : -1;
      const lo = i + 2 < end ? hexDigit(bytes[i + 2]) : -1;
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else {
      out[n++] = b === 0x2b ? 0x20 : b;
    }
  }
  return out.subarray(0, n);
}

/** process_guid/segment_id from unique_id (not for alerts, whose unique_id is the alert's own id) or process_id. */
function setProcessIds(doc: Doc, routingKey: string): void {
  let hasGuid = false;
  const uniqueId = doc.unique_id;
  if (!routingKey.startsWith("alert.") && typeof uniqueId === "string") {
    const id = parseFullId(uniqueId);
    if (id.valid) {
      doc.process_guid = id.guid;
      doc.segment_id = id.segment;
      hasGuid = true;
    }
  }
  const processId = doc.process_id;
  if (!hasGuid && typeof processId === "string") {
    const id = parseFullId(processId);
    doc.process_guid = id.guid;
    doc.segment_id = id.segment;
  }
  const parentId = doc.parent_unique_id;
  if (typeof parentId === "string") {
    const id = parseFullId(parentId);
    doc.parent_guid = id.guid;
    doc.parent_segment_id = id.segment;
  }
}

export interface FullId {
  /** First 36 bytes (the whole value when shorter). */
  guid: string;
  /** Segment number as decimal text. */
  segment: string;
  valid: boolean;
}

/**
 * `<guid>`, `<guid>-<8 hex>` or `<guid>-<12 hex>` (EDR 6+), lengths in bytes as the forwarder counts them.
 * A bad 8-hex suffix still gives a valid id with segment 1; a bad 12-hex suffix gives an invalid id with
 * segment 0 (what Go's ParseUint returns on a syntax error).
 */
export function parseFullId(text: string): FullId {
  const length = Buffer.byteLength(text, "utf8");
  if (length < GUID_LENGTH) return { guid: text, segment: "1", valid: false };
  const ascii = length === text.length;
  const guid = ascii ? text.slice(0, GUID_LENGTH) : decodeText(Buffer.from(text, "utf8"), 0, GUID_LENGTH);
  if (length === GUID_LENGTH) return { guid, segment: "1", valid: true };
  if (length !== 45 && length !== 49) return { guid, segment: "1", valid: false };
  // Non-ASCII bytes are never hex digits, so a latin1 view of the suffix fails exactly when Go's does.
  const suffix = ascii
    ? text.slice(GUID_LENGTH + 1)
    : Buffer.from(text, "utf8").toString("latin1", GUID_LENGTH + 1);
  const segment = hexText(suffix);
  if (length === 45) return { guid, segment: segment ?? "1", valid: true };
  return segment === undefined ? { guid, segment: "0", valid: false } : { guid, segment, valid: true };
}

/** Decimal text of an unsigned hex number (at most 12 digits here, so exact in a double). */
function hexText(hex: string): string | undefined {
  let value = 0;
  for (let i = 0; i < hex.length; i++) {
    const d = hexDigit(hex.charCodeAt(i));
    if (d < 0) return undefined;
    value = value * 16 + d;
  }
  return String(value);
}

/** Step 3: links into the server's web UI. */
function addLinks(doc: Doc, url: string): void {
  const sensorId = int32Value(doc.sensor_id);
  if (sensorId !== undefined) doc.link_sensor = `${url}#/host/${sensorId}`;
  for (const key of MD5_KEYS) {
    const value = doc[key];
    if (isMd5Text(value)) doc[`link_${key}`] = `${url}#/binary/${value}`;
  }
  if (Object.hasOwn(doc, "process_guid")) {
    const segment = Object.hasOwn(doc, "segment_id") ? goText(doc.segment_id) : "0";
    doc.link_process = `${url}#analyze/${goText(doc.process_guid)}/${segment}`;
  }
  if (Object.hasOwn(doc, "parent_guid")) {
    const segment = Object.hasOwn(doc, "parent_segment_id") ? goText(doc.parent_segment_id) : "1";
    doc.link_parent = `${url}#analyze/${goText(doc.parent_guid)}/${segment}`;
  }
}

/** Step 5: one output per entry of `docs`, each a deep copy of the top level holding that one entry. */
function explodeDocs(msg: Doc, routingKey: string, serverUrl: string | undefined): Doc[] {
  const docs = msg.docs;
  delete msg.docs;
  if (!Array.isArray(docs)) throw new NotificationError('"docs" is not an array');
  return docs.map((doc) => {
    if (!isDoc(doc)) throw new NotificationError('"docs" holds a value that is not an object');
    fixupDocument(doc, routingKey, serverUrl);
    const out = cloneDoc(msg);
    out.docs = [doc];
    return out;
  });
}

/** Steps 4 and 6. */
function finish(out: Doc, options: FormatOptions): void {
  out.cb_server = options.serverName;
  if (options.profile !== "forwarder") return;
  for (const key of options.removeFromOutput ?? []) delete out[key];
}

function cloneDoc(doc: Doc): Doc {
  const out: Doc = {};
  for (const key of Object.keys(doc)) setMember(out, key, cloneValue(doc[key]));
  return out;
}

function cloneValue(value: Value): Value {
  if (Array.isArray(value)) return value.map(cloneValue);
  return isDoc(value) ? cloneDoc(value) : value;
}

/** A string of exactly 32 bytes (the forwarder's md5 test; no check for hex digits). */
function isMd5Text(value: Value | undefined): value is string {
  return typeof value === "string" && Buffer.byteLength(value, "utf8") === MD5_LENGTH;
}

/** An integer number that fits in signed 32 bits (Go's strconv.ParseInt(text, 10, 32)); else undefined. */
function int32Value(value: Value | undefined): number | undefined {
  if (!(value instanceof RawNumber)) return undefined;
  const text = value.text;
  const first = text.charCodeAt(0) === 0x2d ? 1 : 0;
  if (text.length === first) return undefined;
  for (let i = first; i < text.length; i++) {
    if (!isDigit(text.charCodeAt(i))) return undefined;
  }
  const n = Number(text);
  return n >= -0x80000000 && n <= 0x7fffffff ? n + 0 : undefined; // + 0 turns -0 into 0
}

/** Dotted IPv4 of the big-endian bytes (two's complement): 917477092 → 54.175.150.228. */
function ipv4BigEndian(value: number): string {
  const v = value >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Go's strings.ToUpper: simple per-character mapping, so "ß" stays "ß" where JavaScript would give "SS". */
function goToUpper(text: string): string {
  const upper = text.toUpperCase();
  if (upper.length === text.length) return upper;
  let out = "";
  for (const ch of text) {
    const u = ch.toUpperCase();
    out += u.length === ch.length ? u : ch;
  }
  return out;
}

/** A value as Go's `%v` prints it (only the shapes a parsed notification holds). */
function goText(value: Value): string {
  if (typeof value === "string") return value;
  if (value === null) return "<nil>";
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(goText).join(" ")}]`;
  if (isDoc(value))
    return `map[${sortedKeys(value)
      .map((k) => `${k}:${goText(value[k])}`)
      .join(" ")}]`;
  return String(value);
}
