// JSON text exactly as Go's encoding/json writes it (JSON-OUTPUT.md §1).
import { type Doc, FloatValue, isDoc, RawNumber, sortedKeys, type Value } from "./document.js";

// JSON.stringify (native, fast) escapes `"`, `\` and control characters as Go does, except backspace and
// form feed (short escapes there). These characters need Go's own rules: <, >, &, U+2028/2029, \b, \f, and
// surrogates (lone ones stand for invalid UTF-8 bytes and become \ufffd).
// biome-ignore lint/suspicious/noControlCharactersInRegex: backspace and form feed are what must be found
const NEEDS_GO_ESCAPE = /[<>&\u2028\u2029\u0008\u000c\ud800-\udfff]/;
const HEX = "0123456789abcdef";

/** A JSON string literal with Go's escaping; each invalid byte (lone surrogate) becomes `\ufffd`. */
export function goQuote(text: string): string {
  return NEEDS_GO_ESCAPE.test(text) ? goQuoteSlow(text) : JSON.stringify(text);
}

function goQuoteSlow(text: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      esc = c === 10 ? "\\n" : c === 13 ? "\\r" : c === 9 ? "\\t" : `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = "\\\\";
    else if (c === 0x3c) esc = "\\u003c";
    else if (c === 0x3e) esc = "\\u003e";
    else if (c === 0x26) esc = "\\u0026";
    else if (c === 0x2028) esc = "\\u2028";
    else if (c === 0x2029) esc = "\\u2029";
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = "\\ufffd";
    }
    if (esc !== undefined) {
      out += text.slice(from, i) + esc;
      from = i + 1;
    }
  }
  return `${out}${text.slice(from)}"`;
}

/** Compact JSON of a value; nested documents sorted by key when `sortKeys` (Go maps), else in insertion order. */
export function goJson(value: Value, sortKeys: boolean): string {
  switch (typeof value) {
    case "string":
      return goQuote(value);
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (value === null) return "null";
  if (value instanceof FloatValue) return String(value.value);
  if (value instanceof RawNumber) return value.text;
  if (Buffer.isBuffer(value)) return `"${value.toString("base64")}"`;
  if (Array.isArray(value)) return `[${value.map((v) => goJson(v, sortKeys)).join(",")}]`;
  return documentJson(value, sortKeys);
}

export function documentJson(doc: Doc, sortKeys: boolean): string {
  if (sortKeys) {
    const fast = sortedByTypeOrder(doc);
    if (fast !== undefined) return fast;
  }
  const keys = sortKeys ? sortedKeys(doc) : Object.keys(doc);
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (i > 0) out += ",";
    out += `${quotedKey(key)}:${goJson(doc[key], sortKeys)}`;
  }
  return `${out}}`;
}

// Sorting every document's keys is the costliest part of writing it. Documents of one `type` share most keys,
// so each type keeps the sorted union of the keys seen so far and a document is written by walking it.
const ORDER_BY_TYPE = new Map<string, string[]>();
const MAX_ORDER_KEYS = 96;
const QUOTED_KEYS = new Map<string, string>();

function sortedByTypeOrder(doc: Doc): string | undefined {
  const type = doc.type;
  if (typeof type !== "string") return undefined;
  const keys = Object.keys(doc);
  let order = ORDER_BY_TYPE.get(type);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (order !== undefined) {
      let out = "{";
      let written = 0;
      for (let i = 0; i < order.length; i++) {
        const key = order[i];
        const value = doc[key];
        if (value === undefined) continue;
        if (written++ > 0) out += ",";
        out += `${quotedKey(key)}:${goJson(value, true)}`;
      }
      if (written === keys.length) return `${out}}`;
    }
    // A key this type has not shown before: widen its order (bounded, for notifications with open-ended keys).
    const union = new Set([...(order ?? []), ...keys]);
    if (union.size > MAX_ORDER_KEYS) return undefined;
    order = [...union].sort(compareKeys);
    ORDER_BY_TYPE.set(type, order);
  }
  return undefined;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function quotedKey(key: string): string {
  let quoted = QUOTED_KEYS.get(key);
  if (quoted === undefined) {
    quoted = goQuote(key);
    if (QUOTED_KEYS.size < 4096) QUOTED_KEYS.set(key, quoted);
  }
  return quoted;
}

export { isDoc };
