// LEEF 1.0 lines exactly as cb-event-forwarder's LEEF encoder writes them (LEEF.md).
//
// The forwarder renders every value with Go's type switch: strings and json.Numbers escaped, maps as JSON,
// everything else with fmt's `%v`. The `forwarder-3.8` profile first round-trips raw events through generic
// JSON, so its numbers are float64s, its bytes base64 strings and its invalid UTF-8 replaced by U+FFFD.
import { parseJson } from "../decode/json-parse.js";
import { type Doc, FloatValue, isDoc, RawNumber, sortedKeys, type Value } from "./document.js";
import { documentJson } from "./json-text.js";
import type { Profile } from "./options.js";

/** An event the encoder cannot render (the forwarder drops it and counts an error). */
export class LeefError extends Error {
  override name = "LeefError";
}

const DEFAULT_VERSION = "5.1";
const UNKNOWN_TYPE = "unknown.event.type";
const NETCONN_TYPE = "ingress.event.netconn";
/** Byte-valued keys the 3.7 mapper stores as a nil `[]byte` when absent: Go prints those as `[]`. */
const NIL_BYTES_KEYS = new Set(["icon", "image_file_header"]);

// QRadar-normalised copies (LEEF.md §4): [source key, outbound key, inbound key].
const ADDITIONS: readonly (readonly [string, string, string])[] = [
  ["local_ip", "src", "dst"],
  ["remote_ip", "dst", "src"],
  ["local_port", "srcPort", "dstPort"],
  ["remote_port", "dstPort", "srcPort"],
  ["protocol", "proto", "proto"],
];

/** One LEEF line (without line end) for a document; throws LeefError for a `docs` list that is not one object. */
export function leefLine(doc: Doc, profile: Profile): string {
  const v38 = profile === "forwarder-3.8";
  const event = prepare(doc);
  const keys = sortedKeys(event);
  let body = "";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const text = v38 ? render38(event[key]) : render(key, event[key]);
    if (text === undefined) continue;
    body += body.length === 0 ? `${key}=${text}` : `\t${key}=${text}`;
  }
  return header(event, v38) + body;
}

function header(event: Doc, v38: boolean): string {
  const version = headerText(event.cb_version, v38) ?? DEFAULT_VERSION;
  let type = headerText(event.type, v38) ?? UNKNOWN_TYPE;
  // QRadar's CB decoder expects the old name in the header; the `type` attribute keeps the real one.
  if (type === "ingress.event.procstart") type = "ingress.event.process";
  return `LEEF:1.0|CB|CB|${version}|${type}|`;
}

/** Header fields come from string or verbatim-number values only (Go's string and json.Number cases). */
function headerText(value: Value | undefined, v38: boolean): string | undefined {
  if (typeof value === "string") return v38 ? validUtf16(value) : value;
  if (value instanceof RawNumber) return value.text;
  return undefined;
}

// ---- document preparation (LEEF.md §4, §5) ----

/** The document with `docs` flattened and the key additions made; the input itself is never modified. */
function prepare(doc: Doc): Doc {
  let event = doc.docs === undefined ? doc : flattenDocs(doc);
  const ioc = event.ioc_attr;
  if (ioc !== undefined) {
    const source = typeof ioc === "string" ? parseIocAttr(ioc) : isDoc(ioc) ? ioc : undefined;
    if (source !== undefined) {
      if (event === doc) event = { ...doc };
      addNormalisedKeys(event, source);
    }
  }
  if (event.type === NETCONN_TYPE) {
    if (event === doc) event = { ...doc };
    addNormalisedKeys(event, event);
  }
  return event;
}

function flattenDocs(doc: Doc): Doc {
  const docs = doc.docs;
  if (!Array.isArray(docs) || docs.length !== 1) {
    const size = Array.isArray(docs) ? `${docs.length} entries` : "not a list";
    throw new LeefError(`LEEF needs exactly one entry in docs[] (${size})`);
  }
  const inner = docs[0];
  if (!isDoc(inner)) throw new LeefError("LEEF needs docs[0] to be an object");
  const out: Doc = {};
  for (const key of Object.keys(doc)) out[key] = doc[key];
  // Document members overwrite the top level; `docs` is removed after the copy, as in the forwarder.
  for (const key of Object.keys(inner)) out[key] = inner[key];
  delete out.docs;
  return out;
}

function addNormalisedKeys(target: Doc, source: Doc): void {
  // Exactly lower-case "inbound" selects the inbound column; feed hits' "Inbound" does not.
  const inbound = source.direction === "inbound";
  for (const [from, outKey, inKey] of ADDITIONS) {
    const value = source[from];
    if (value !== undefined) target[inbound ? inKey : outKey] = value;
  }
}

/** `ioc_attr` given as JSON text (numbers kept verbatim, like Go's decoder.UseNumber); `null` adds nothing. */
function parseIocAttr(text: string): Doc | undefined {
  let value: Value;
  try {
    value = parseJson(text);
  } catch (err) {
    throw new LeefError(`could not parse ioc_attr as JSON: ${(err as Error).message}`);
  }
  if (value === null) return undefined;
  if (!isDoc(value)) throw new LeefError("ioc_attr text is not a JSON object");
  return value;
}

// ---- value rendering (LEEF.md §2) ----

/** `forwarder` profile; undefined = key skipped. */
function render(key: string, value: Value): string | undefined {
  switch (typeof value) {
    case "string":
      return escapeLeef(value);
    case "number":
      return Number.isInteger(value) ? String(value) : goFloatV(value);
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (value === null) return NIL_BYTES_KEYS.has(key) ? "[]" : undefined;
  if (value instanceof RawNumber) return escapeLeef(value.text);
  if (value instanceof FloatValue) return goFloatV(value.value);
  if (Buffer.isBuffer(value)) return byteList(value);
  if (Array.isArray(value)) return goList(value, false);
  return objectText(value);
}

/** `forwarder-3.8` profile: the values a JSON round trip leaves (float64 numbers, base64 bytes, no nil). */
function render38(value: Value): string | undefined {
  switch (typeof value) {
    case "string":
      return escapeLeef(validUtf16(value));
    case "number":
      return goFloatV(value);
    case "bigint":
      return goFloatV(Number(value));
    case "boolean":
      return value ? "true" : "false";
  }
  if (value === null) return undefined;
  if (value instanceof RawNumber) return escapeLeef(value.text);
  if (value instanceof FloatValue) return goFloatV(value.value);
  if (Buffer.isBuffer(value)) return escapeLeef(value.toString("base64"));
  if (Array.isArray(value)) return goList(value, true);
  return objectText(hasBigint(value) ? floatDoc(value) : value);
}

/** Maps as sorted compact JSON; an empty map renders as nothing. */
function objectText(doc: Doc): string {
  for (const _ in doc) return documentJson(doc, true);
  return "";
}

/** LEEF.md §3: `\`, LF, CR, TAB and `=` are backslash-escaped; nothing else. */
export function escapeLeef(text: string): string {
  let i = 0;
  for (; i < text.length; i++) if (isLeefSpecial(text.charCodeAt(i))) break;
  if (i === text.length) return text;
  let out = text.slice(0, i);
  let from = i;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isLeefSpecial(c)) continue;
    out += text.slice(from, i) + leefEscape(c);
    from = i + 1;
  }
  return out + text.slice(from);
}

function leefEscape(c: number): string {
  return c === 0x0a ? "\\n" : c === 0x0d ? "\\r" : c === 0x09 ? "\\t" : c === 0x3d ? "\\=" : "\\\\";
}

function isLeefSpecial(c: number): boolean {
  return c === 0x5c || c === 0x3d || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Lone surrogates (escaped invalid bytes, see decode/text.ts) replaced by U+FFFD, as a JSON round trip does. */
function validUtf16(text: string): string {
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) break;
  }
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) {
      out += text[i];
      continue;
    }
    const next = text.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += text[i] + text[i + 1];
      i++;
    } else out += "\ufffd";
  }
  return out;
}

/** Go `%v` of a byte slice: `[100 134 21]`. */
function byteList(bytes: Buffer): string {
  let out = "[";
  for (let i = 0; i < bytes.length; i++) out += i === 0 ? String(bytes[i]) : ` ${bytes[i]}`;
  return `${out}]`;
}

/** Go `%v` of a `[]interface{}`: elements space-separated, strings raw, maps as `map[k:v ...]`. */
function goList(list: Value[], v38: boolean): string {
  let out = "[";
  for (let i = 0; i < list.length; i++) out += (i === 0 ? "" : " ") + goV(list[i], v38);
  return `${out}]`;
}

function goV(value: Value, v38: boolean): string {
  switch (typeof value) {
    case "string":
      return v38 ? validUtf16(value) : value;
    case "number":
      return !v38 && Number.isInteger(value) ? String(value) : goFloatV(value);
    case "bigint":
      return v38 ? goFloatV(Number(value)) : String(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (value === null) return "<nil>";
  if (value instanceof RawNumber) return value.text;
  if (value instanceof FloatValue) return goFloatV(value.value);
  if (Buffer.isBuffer(value)) return v38 ? value.toString("base64") : byteList(value);
  if (Array.isArray(value)) return goList(value, v38);
  const keys = sortedKeys(value);
  let out = "map[";
  for (let i = 0; i < keys.length; i++) out += `${i === 0 ? "" : " "}${keys[i]}:${goV(value[keys[i]], v38)}`;
  return `${out}]`;
}

/**
 * Go's `%v` of a float64: shortest round-trip digits, exponent form (`1.447697423e+09`, two-digit exponent
 * at least) when the decimal exponent is < -4 or >= 6, else plain decimal.
 */
export function goFloatV(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e6) return String(x);
  if (a === 0) return Object.is(x, -0) ? "-0" : "0";
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
  const e = x.toExponential(); // shortest digits, e.g. "1.447697423e+9"
  const at = e.indexOf("e");
  const sign = e[at + 1];
  const digits = e.slice(at + 2);
  return `${e.slice(0, at)}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

// ---- forwarder-3.8 nested objects: numbers became float64 ----

function hasBigint(value: Value): boolean {
  if (typeof value === "bigint") return true;
  if (Array.isArray(value)) return value.some(hasBigint);
  if (!isDoc(value)) return false;
  for (const key in value) if (hasBigint(value[key])) return true;
  return false;
}

function floatDoc(doc: Doc): Doc {
  const out: Doc = {};
  for (const key of Object.keys(doc)) out[key] = floatValue(doc[key]);
  return out;
}

function floatValue(value: Value): Value {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(floatValue);
  return isDoc(value) ? floatDoc(value) : value;
}
