// JSON text as Python's `json.dumps(doc, sort_keys=True)` writes it (JSON-OUTPUT.md §7.3): the original
// eventExporter.py's JSON, with keys sorted so the output is deterministic.
import { type Doc, FloatValue, isDoc, RawNumber, type Value } from "./document.js";

const HEX = "0123456789abcdef";
/** Python's two-character escapes; every other character outside space..tilde becomes `\uXXXX`. */
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  34: '\\"',
  92: "\\\\",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  8: "\\b",
  12: "\\f",
};

/** Text that Python could not encode: the original failed on strings that were not valid UTF-8. */
export class InvalidTextError extends Error {
  override readonly name = "InvalidTextError";
}

/** `json.dumps(doc, sort_keys=True)`: separators ", " and ": ", ASCII-only output. */
export function pythonJson(doc: Doc): string {
  return pyValue(doc);
}

function pyValue(value: Value): string {
  switch (typeof value) {
    case "string":
      return pyQuote(value);
    case "bigint":
      return value.toString();
    case "number":
      return Number.isInteger(value) ? integerText(value) : pyFloat(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (value === null) return "null";
  if (value instanceof FloatValue) return pyFloat(value.value);
  if (value instanceof RawNumber) return value.text;
  if (Buffer.isBuffer(value)) throw new TypeError("Object of type bytes is not JSON serializable");
  if (Array.isArray(value)) return `[${value.map(pyValue).join(", ")}]`;
  if (!isDoc(value)) throw new TypeError("unsupported value");
  return pyObject(value);
}

function pyObject(doc: Doc): string {
  const keys = Object.keys(doc).sort(compareCodePoints);
  const parts: string[] = [];
  for (const key of keys) parts.push(`${pyQuote(key)}: ${pyValue(doc[key])}`);
  return `{${parts.join(", ")}}`;
}

/** Python sorts str keys by code point; JavaScript's default sort compares UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(i) ?? 0;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

function integerText(value: number): string {
  // A plain number stands for a Python int: -0 is 0, and all digits are written (String() switches to 1e+21 form).
  if (Object.is(value, -0)) return "0";
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** Python's float repr: shortest round-trip digits; exponent form below 1e-4 and from 1e16; integral as `N.0`. */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (Object.is(value, -0)) return "-0.0";
  const [mantissa, expText] = value.toExponential().split("e");
  const exp = Number(expText);
  const negative = mantissa.startsWith("-");
  const digits = (negative ? mantissa.slice(1) : mantissa).replace(".", "");
  const sign = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${frac}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const fracPart = digits.slice(exp + 1);
  return `${sign}${intPart}.${fracPart === "" ? "0" : fracPart}`;
}

/** A JSON string literal with Python's ensure_ascii escaping; lone surrogates (invalid UTF-8 bytes) throw. */
export function pyQuote(text: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    out += text.slice(from, i);
    from = i + 1;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) throw invalidText(c, i);
      out += unicodeEscape(c) + unicodeEscape(next);
      i++;
      from = i + 1;
      continue;
    }
    out += SHORT_ESCAPES[c] ?? unicodeEscape(c);
  }
  return `${out}${text.slice(from)}"`;
}

function unicodeEscape(c: number): string {
  return `\\u${HEX[(c >> 12) & 15]}${HEX[(c >> 8) & 15]}${HEX[(c >> 4) & 15]}${HEX[c & 15]}`;
}

function invalidText(c: number, index: number): InvalidTextError {
  // U+DC80..U+DCFF stand for invalid UTF-8 bytes (src/decode/text.ts); other lone surrogates cannot be UTF-8 either.
  const what =
    c >= 0xdc80 && c <= 0xdcff
      ? `invalid UTF-8 byte 0x${(c - 0xdc00).toString(16)}`
      : `lone surrogate U+${c.toString(16)}`;
  return new InvalidTextError(`text is not valid UTF-8 (${what} at index ${index})`);
}
