// JSON text exactly as Go's encoding/json writes it (JSON-OUTPUT.md §1).
import { type Doc, FloatValue, isDoc, RawNumber, sortedKeys, type Value } from "./document.js";

// Characters Go escapes, plus every UTF-16 surrogate (lone ones stand for invalid UTF-8 bytes).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const HEX = "0123456789abcdef";

/** A JSON string literal with Go's escaping; each invalid byte (lone surrogate) becomes `\ufffd`. */
export function goQuote(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`;
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
  const keys = sortKeys ? sortedKeys(doc) : Object.keys(doc);
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (i > 0) out += ",";
    out += `${goQuote(key)}:${goJson(doc[key], sortKeys)}`;
  }
  return `${out}}`;
}

export { isDoc };
