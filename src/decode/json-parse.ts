// JSON parser for bus notifications (JSON-OUTPUT.md §5): numbers keep their exact text (RawNumber), so
// `1447698003.24` and integers beyond 2^53 round-trip. Strings are decoded the way Go's encoding/json does:
// each invalid UTF-8 byte and each unpaired surrogate escape becomes a real U+FFFD.
import { isUtf8 } from "node:buffer";
import { type Doc, RawNumber, type Value } from "../formats/document.js";
import { decodeText, ESCAPED_BYTE_MAX, ESCAPED_BYTE_MIN } from "./text.js";

/** Malformed JSON; `position` is the byte offset (in the UTF-8 input) where parsing failed. */
export class JsonParseError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at byte ${position}`);
    this.name = "JsonParseError";
  }
}

/**
 * Nesting limit, so hostile input fails cleanly instead of overflowing the JS stack (which happens near 8000
 * levels). Go allows 10000; real notifications nest a few levels.
 */
export const MAX_DEPTH = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const REPLACEMENT = "\ufffd";

/** Parses one JSON value (a UTF-8 Buffer or a string); only whitespace may follow it. */
export function parseJson(input: Buffer | string): Value {
  const buf = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const parser = new Parser(buf);
  parser.skipSpace();
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.pos < buf.length) parser.fail("unexpected data after the JSON value");
  return value;
}

class Parser {
  pos = 0;

  constructor(private readonly buf: Buffer) {}

  fail(message: string, at = this.pos): never {
    throw new JsonParseError(message, at);
  }

  /** JSON whitespace only (space, tab, CR, LF), as Go accepts. */
  skipSpace(): void {
    const buf = this.buf;
    let i = this.pos;
    while (i < buf.length) {
      const b = buf[i];
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
      i++;
    }
    this.pos = i;
  }

  value(depth: number): Value {
    if (this.pos >= this.buf.length) this.fail("unexpected end of input");
    const b = this.buf[this.pos];
    switch (b) {
      case 0x7b: // {
        return this.object(depth + 1);
      case 0x5b: // [
        return this.array(depth + 1);
      case QUOTE:
        return this.string();
      case 0x74: // t
        return this.literal("true", true);
      case 0x66: // f
        return this.literal("false", false);
      case 0x6e: // n
        return this.literal("null", null);
    }
    if (b === 0x2d || (b >= 0x30 && b <= 0x39)) return this.number();
    return this.unexpected();
  }

  unexpected(): never {
    if (this.pos >= this.buf.length) this.fail("unexpected end of input");
    const b = this.buf[this.pos];
    const shown =
      b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, "0")}`;
    return this.fail(`unexpected character ${shown}`);
  }

  expect(byte: number): void {
    if (this.buf[this.pos] !== byte) this.unexpected();
    this.pos++;
  }

  object(depth: number): Doc {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    this.pos++;
    const doc: Doc = {};
    this.skipSpace();
    if (this.buf[this.pos] === 0x7d) {
      this.pos++;
      return doc;
    }
    for (;;) {
      if (this.buf[this.pos] !== QUOTE) this.unexpected();
      const key = this.string();
      this.skipSpace();
      this.expect(0x3a); // :
      this.skipSpace();
      setMember(doc, key, this.value(depth));
      this.skipSpace();
      const b = this.buf[this.pos];
      this.expect(b === 0x7d ? 0x7d : 0x2c);
      if (b === 0x7d) return doc;
      this.skipSpace();
    }
  }

  array(depth: number): Value[] {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    this.pos++;
    const items: Value[] = [];
    this.skipSpace();
    if (this.buf[this.pos] === 0x5d) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipSpace();
      const b = this.buf[this.pos];
      this.expect(b === 0x5d ? 0x5d : 0x2c);
      if (b === 0x5d) return items;
      this.skipSpace();
    }
  }

  literal<T extends Value>(word: string, result: T): T {
    for (let k = 0; k < word.length; k++) {
      if (this.buf[this.pos] !== word.charCodeAt(k)) this.unexpected();
      this.pos++;
    }
    return result;
  }

  /** -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, kept as text. */
  number(): RawNumber {
    const buf = this.buf;
    const start = this.pos;
    if (buf[this.pos] === 0x2d) this.pos++;
    if (buf[this.pos] === 0x30) this.pos++;
    else this.digits();
    if (buf[this.pos] === 0x2e) {
      this.pos++;
      this.digits();
    }
    if (buf[this.pos] === 0x65 || buf[this.pos] === 0x45) {
      this.pos++;
      if (buf[this.pos] === 0x2b || buf[this.pos] === 0x2d) this.pos++;
      this.digits();
    }
    return new RawNumber(buf.toString("latin1", start, this.pos));
  }

  /** One or more decimal digits. */
  digits(): void {
    const buf = this.buf;
    const start = this.pos;
    while (buf[this.pos] >= 0x30 && buf[this.pos] <= 0x39) this.pos++;
    if (this.pos === start) this.unexpected();
  }

  string(): string {
    const buf = this.buf;
    const start = ++this.pos;
    // Fast path: plain ASCII without escapes, the usual case for keys and values.
    for (let i = start; i < buf.length; i++) {
      const b = buf[i];
      if (b === QUOTE) {
        this.pos = i + 1;
        return buf.toString("latin1", start, i);
      }
      if (b === BACKSLASH || b >= 0x80) break;
      if (b < 0x20) this.fail("control character in string", i);
    }
    return this.slowString(start);
  }

  /** Strings with escapes or non-ASCII bytes. */
  slowString(start: number): string {
    const buf = this.buf;
    let out = "";
    let run = start;
    let i = start;
    for (;;) {
      if (i >= buf.length) this.fail("unterminated string", start - 1);
      const b = buf[i];
      if (b === QUOTE) break;
      if (b < 0x20) this.fail("control character in string", i);
      if (b !== BACKSLASH) {
        i++;
        continue;
      }
      out += utf8Run(buf, run, i);
      this.pos = i;
      out += this.escape();
      i = run = this.pos;
    }
    out += utf8Run(buf, run, i);
    this.pos = i + 1;
    return out;
  }

  /** One escape sequence at pos (the backslash); advances past it. */
  escape(): string {
    const buf = this.buf;
    const c = buf[this.pos + 1];
    if (c === undefined) this.fail("unterminated string");
    this.pos += 2;
    switch (c) {
      case QUOTE:
        return '"';
      case BACKSLASH:
        return "\\";
      case 0x2f:
        return "/";
      case 0x62:
        return "\b";
      case 0x66:
        return "\f";
      case 0x6e:
        return "\n";
      case 0x72:
        return "\r";
      case 0x74:
        return "\t";
      case 0x75:
        return this.unicodeEscape();
    }
    return this.fail("invalid escape in string", this.pos - 2);
  }

  /** \uXXXX (pos after the "u"); a surrogate pair spans two escapes, an unpaired surrogate becomes U+FFFD (Go). */
  unicodeEscape(): string {
    const unit = this.hex4(this.pos);
    this.pos += 4;
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    if (unit <= 0xdbff && this.buf[this.pos] === BACKSLASH && this.buf[this.pos + 1] === 0x75) {
      const low = this.hex4(this.pos + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        this.pos += 6;
        return String.fromCharCode(unit, low);
      }
    }
    return REPLACEMENT;
  }

  hex4(at: number): number {
    let value = 0;
    for (let k = 0; k < 4; k++) {
      const d = hexDigit(this.buf[at + k]);
      if (d < 0) this.fail("invalid \\u escape in string", at - 2);
      value = (value << 4) | d;
    }
    return value;
  }
}

/** Stores a member; "__proto__" becomes an own key instead of changing the prototype. Later duplicates win. */
export function setMember(doc: Doc, key: string, value: Value): void {
  if (key === "__proto__") {
    Object.defineProperty(doc, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    doc[key] = value;
  }
}

/** Value of a hex digit, -1 if not one. */
export function hexDigit(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Raw string bytes without escapes; each invalid UTF-8 byte becomes U+FFFD, as Go's decoder does. */
function utf8Run(buf: Buffer, start: number, end: number): string {
  if (start === end) return "";
  if (isUtf8(buf.subarray(start, end))) return buf.toString("utf8", start, end);
  return replaceEscapedBytes(decodeText(buf, start, end));
}

/** decodeText marks invalid bytes as lone U+DC80..U+DCFF; Go's JSON decoder turns each into U+FFFD. */
function replaceEscapedBytes(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < ESCAPED_BYTE_MIN || c > ESCAPED_BYTE_MAX) continue;
    const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
    if (prev >= 0xd800 && prev <= 0xdbff) continue; // low half of a valid pair
    out += text.slice(from, i) + REPLACEMENT;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
