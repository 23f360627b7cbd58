// JSON text written straight into a byte buffer, with Go's escaping (JSON-OUTPUT.md §1), and LeefBytes, the
// same for LEEF (LEEF.md §2–3): the fast forwarder writers' output. Nothing here allocates per value. Callers reserve room for a whole document first, so the
// primitives write without bounds checks of their own; they may also write up to 3 bytes past `pos` (whole
// 32-bit words, measured 2.6× faster than byte loops), which the next write overwrites.

import { encodeText, hasLoneSurrogate } from "../../decode/text.js";
import { zeroRun } from "../../decode/values.js";
import { goFloatV } from "../leef.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TWO_32 = 4294967296;
/** Room kept past every reservation for the word writes. */
const SLACK = 8;

/**
 * Constant output bytes (keys, fixed values), kept as little-endian 32-bit words for fast copying, with their
 * LEEF twin (encoding.ts): JsonBytes writes a fragment's own bytes, LeefBytes those of its twin.
 */
export class Fragment {
  readonly length: number;
  readonly words: Int32Array;
  readonly bytes: Buffer;
  /** The LEEF rendering (this fragment itself when it has none of its own). */
  readonly leef: Fragment;
  /** The larger of both renderings' lengths (for reserving room). */
  readonly room: number;

  constructor(bytes: Buffer, leef?: Buffer) {
    this.bytes = bytes;
    this.length = bytes.length;
    const padded = new Uint8Array((bytes.length + 3) & ~3);
    padded.set(bytes);
    this.words = new Int32Array(padded.buffer);
    this.leef = leef === undefined ? this : new Fragment(leef);
    this.room = Math.max(this.length, this.leef.length);
  }

  static of(text: string): Fragment {
    return new Fragment(Buffer.from(text, "utf8"));
  }
}

/** 1 for the ASCII bytes copied as they are; the others are escaped or start a multi-byte sequence. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = 1;
for (const c of [QUOTE, BACKSLASH, 0x3c, 0x3e, 0x26]) PLAIN[c] = 0;

/** Output bytes of a plain byte (1) or a backslash (2, written doubled); 0 for every other byte. */
const STEP = new Uint8Array(256);
for (let c = 0; c < 256; c++) STEP[c] = PLAIN[c];
STEP[BACKSLASH] = 2;

/** Escapes of the ASCII bytes that are not plain, as bytes. */
const ASCII_ESCAPES: Uint8Array[] = [];
for (let c = 0; c < 0x80; c++) {
  if (PLAIN[c] === 1) continue;
  const text =
    c === QUOTE
      ? '\\"'
      : c === BACKSLASH
        ? "\\\\"
        : c === 10
          ? "\\n"
          : c === 13
            ? "\\r"
            : c === 9
              ? "\\t"
              : `\\u00${c.toString(16).padStart(2, "0")}`;
  ASCII_ESCAPES[c] = Buffer.from(text, "latin1");
}
const REPLACEMENT = Buffer.from("\\ufffd", "latin1");
const LINE_SEPARATOR = Buffer.from("\\u2028", "latin1");
const PARAGRAPH_SEPARATOR = Buffer.from("\\u2029", "latin1");

/** Two characters per entry, as a little-endian 16-bit value: hex digits of a byte, decimal digits of 0–99. */
function pairs(count: number, text: (i: number) => string): Uint16Array {
  const table = new Uint16Array(count);
  for (let i = 0; i < count; i++) table[i] = text(i).charCodeAt(0) | (text(i).charCodeAt(1) << 8);
  return table;
}

/**
 * LEEF escaping (LEEF.md §3): LEEF_STEP[c] is 1 for a byte that goes out as it is (every byte but five: invalid
 * UTF-8 included, the forwarder passes raw bytes through), 2 for the backslash (written twice, as in JSON), 0 for
 * LF, CR, TAB and `=`, written as a backslash and LEEF_LETTER[c].
 */
const LEEF_STEP = new Uint8Array(256).fill(1);
const LEEF_LETTER = new Uint8Array(256);
LEEF_STEP[BACKSLASH] = 2;
for (const [c, letter] of [
  [0x0a, "n"],
  [0x0d, "r"],
  [0x09, "t"],
  [0x3d, "="],
] as const) {
  LEEF_STEP[c] = 0;
  LEEF_LETTER[c] = letter.charCodeAt(0);
}

const HEX_UPPER = pairs(256, (i) => i.toString(16).toUpperCase().padStart(2, "0"));
const HEX_LOWER = pairs(256, (i) => i.toString(16).padStart(2, "0"));
const DIGITS = pairs(100, (i) => String(i).padStart(2, "0"));
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
/** The eight 16-bit groups of the IPv6 address being written. */
const GROUPS = new Int32Array(8);

/** A growing output buffer: `buf[0..pos)` holds what was written. */
export class JsonBytes {
  buf: Buffer;
  protected view: DataView;
  pos = 0;

  constructor(bytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(bytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Makes room for `bytes` more (copying what was written into a larger buffer when needed). */
  reserve(bytes: number): void {
    if (this.pos + bytes + SLACK <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes + SLACK));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }

  /** Continues in the buffer of `other` (after what it holds): a writer of another encoding hands it back. */
  useBufferOf(other: JsonBytes): void {
    // Per record: storing the same references again would cost two write barriers each time.
    if (this.buf !== other.buf) {
      this.buf = other.buf;
      this.view = other.view;
    }
    this.pos = other.pos;
  }

  /**
   * Hands over what was written (the caller owns the returned bytes) and starts over in `next` (memory given
   * back for reuse), or else in a fresh buffer.
   */
  take(next?: Buffer): Buffer {
    const data = this.buf.subarray(0, this.pos);
    this.buf = next ?? Buffer.allocUnsafe(this.buf.length);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.pos = 0;
    return data;
  }

  /**
   * Appends a line of text (e.g. one the reference path formatted) and its "\n", encoded as LineBuffer does:
   * with `restoreInvalidBytes` (forwarder LEEF), escaped invalid bytes (lone surrogates, decode/text.ts) go out
   * as the raw bytes; otherwise as UTF-8 encodes them (U+FFFD). JSON lines never hold any.
   */
  line(text: string, restoreInvalidBytes = false): void {
    if (restoreInvalidBytes && hasLoneSurrogate(text)) {
      const bytes = encodeText(text);
      this.reserve(bytes.length + 1);
      this.bytes(bytes);
      this.buf[this.pos++] = 0x0a;
      return;
    }
    this.reserve(text.length * 3 + 1);
    this.pos += this.buf.write(text, this.pos, "utf8");
    this.buf[this.pos++] = 0x0a;
  }

  raw(f: Fragment): void {
    const v = this.view;
    const words = f.words;
    let p = this.pos;
    for (let i = 0; i < words.length; i++) {
      v.setInt32(p, words[i], true);
      p += 4;
    }
    this.pos += f.length;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A string value's quote: `"` (none in LEEF). */
  quote(): void {
    this.buf[this.pos++] = QUOTE;
  }

  /** Text of the UTF-8 bytes src[start..end) as a JSON string, escaped as Go does (one \ufffd per invalid byte). */
  text(src: Uint8Array, start: number, end: number): void {
    this.buf[this.pos++] = QUOTE;
    this.goTextBody(src, start, end);
    this.buf[this.pos++] = QUOTE;
  }

  /** The same as JSON in every encoding (a JSON object inside a LEEF line). */
  jsonText(src: Uint8Array, start: number, end: number): void {
    this.buf[this.pos++] = QUOTE;
    this.goTextBody(src, start, end);
    this.buf[this.pos++] = QUOTE;
  }

  /** The escaped text without quotes. */
  textBody(src: Uint8Array, start: number, end: number): void {
    this.goTextBody(src, start, end);
  }

  /** A float (time_float seconds): shortest decimal text. */
  float(value: number): void {
    this.ascii(String(value));
  }

  private goTextBody(src: Uint8Array, start: number, end: number): void {
    let i = start;
    for (;;) {
      // The plain run in a loop without calls: with the escape call inside it, V8 kept the index tagged and
      // reloaded and rechecked both buffers at every byte (~50 instructions a byte instead of ~12).
      const b = this.buf;
      let p = this.pos;
      let c = 0;
      for (; i < end; i++) {
        c = src[i];
        const step = STEP[c];
        if (step === 0) break;
        // Branch-free for plain bytes and backslashes (frequent in paths): the byte twice, advance 1 or 2.
        b[p] = c;
        b[p + 1] = c;
        p += step;
      }
      this.pos = p;
      if (i >= end) return;
      i = (this.escape(src, i, end, c) | 0) + 1;
    }
  }

  /** LEEF text of the bytes src[start..end) (LEEF.md §3): `\\`, LF, CR, TAB and `=` escaped, all else raw. */
  leefText(src: Uint8Array, start: number, end: number): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) {
      const c = src[i];
      const step = LEEF_STEP[c];
      // As in JSON: branch-free for plain bytes and backslashes (frequent in paths).
      if (step !== 0) {
        b[p] = c;
        b[p + 1] = c;
        p += step;
      } else {
        b[p] = BACKSLASH;
        b[p + 1] = LEEF_LETTER[c];
        p += 2;
      }
    }
    this.pos = p;
  }

  /** Writes the escape of the byte at src[i] or copies its valid multi-byte sequence; returns its last index. */
  private escape(src: Uint8Array, i: number, end: number, c: number): number {
    if (c < 0x80) {
      this.bytes(ASCII_ESCAPES[c]);
      return i;
    }
    const n = sequenceLength(src, i, end, c);
    if (n === 0) {
      this.bytes(REPLACEMENT);
      return i;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) are valid but escaped.
    if (c === 0xe2 && src[i + 1] === 0x80 && (src[i + 2] === 0xa8 || src[i + 2] === 0xa9)) {
      this.bytes(src[i + 2] === 0xa8 ? LINE_SEPARATOR : PARAGRAPH_SEPARATOR);
    } else {
      const b = this.buf;
      let p = this.pos;
      for (let k = 0; k < n; k++) b[p++] = src[i + k];
      this.pos = p;
    }
    return i + n - 1;
  }

  /** Bytes written as they are (rare values built on the side). */
  bytes(bytes: Uint8Array): void {
    const b = this.buf;
    let p = this.pos;
    for (let k = 0; k < bytes.length; k++) b[p++] = bytes[k];
    this.pos = p;
  }

  /** ASCII text (no byte needs escaping: digits, names, base64) written unquoted. */
  ascii(text: string): void {
    // Numbers' text is short: a loop costs less than the native call.
    if (text.length > 32) {
      this.pos += this.buf.write(text, this.pos, "latin1");
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  /** An integer in the safe range, in decimal. */
  num(value: number): void {
    if (value < 0) {
      this.buf[this.pos++] = 0x2d;
      value = -value;
    }
    if (value < 0x80000000) this.smallUint(value);
    else this.ascii(String(value));
  }

  /** A non-negative integer below 2^31: two digits per step, from a table. */
  protected smallUint(value: number): void {
    const digits =
      value < 100000
        ? value < 100
          ? value < 10
            ? 1
            : 2
          : value < 1000
            ? 3
            : value < 10000
              ? 4
              : 5
        : value < 10000000
          ? value < 1000000
            ? 6
            : 7
          : value < 100000000
            ? 8
            : value < 1000000000
              ? 9
              : 10;
    let p = this.pos + digits;
    this.pos = p;
    const v = this.view;
    while (value >= 100) {
      const q = (value / 100) | 0;
      p -= 2;
      v.setUint16(p, DIGITS[value - q * 100], true);
      value = q;
    }
    if (value >= 10) v.setUint16(p - 2, DIGITS[value], true);
    else this.buf[p - 1] = 0x30 + value;
  }

  /** A 64-bit integer given as its low and high 32 bits (two's complement when `signed`), exact. */
  int64(lo: number, hi: number, signed: boolean): void {
    let l = lo >>> 0;
    let h = hi >>> 0;
    if (signed && h >= 0x80000000) {
      this.buf[this.pos++] = 0x2d;
      l = (~l + 1) >>> 0;
      h = (~h + (l === 0 ? 1 : 0)) >>> 0;
    }
    if (h < 0x200000) {
      const v = h * TWO_32 + l;
      if (v < 0x80000000) this.smallUint(v);
      else this.ascii(String(v));
      return;
    }
    // Above 2^53: divide by 10^6 in two steps that stay exact in doubles, then write quotient and remainder.
    const rh = h % 1000000;
    const t = rh * TWO_32 + l;
    let ql = Math.floor(t / 1000000);
    let r = t - ql * 1000000;
    if (r < 0) {
      ql--;
      r += 1000000;
    } else if (r >= 1000000) {
      ql++;
      r -= 1000000;
    }
    this.ascii(String(((h - rh) / 1000000) * TWO_32 + ql));
    this.sixDigits(r);
  }

  private sixDigits(value: number): void {
    const v = this.view;
    const p = this.pos;
    const a = (value / 10000) | 0;
    const rest = value - a * 10000;
    const b = (rest / 100) | 0;
    v.setUint16(p, DIGITS[a], true);
    v.setUint16(p + 2, DIGITS[b], true);
    v.setUint16(p + 4, DIGITS[rest - b * 100], true);
    this.pos = p + 6;
  }

  /** Upper-case hex of src[start..end), quoted. */
  hexUpper(src: Uint8Array, start: number, end: number): void {
    const v = this.view;
    let p = this.pos;
    this.buf[p++] = QUOTE;
    for (let i = start; i < end; i++) {
      v.setUint16(p, HEX_UPPER[src[i]], true);
      p += 2;
    }
    this.buf[p++] = QUOTE;
    this.pos = p;
  }

  /** Upper-case hex of src[start..end), unquoted (LEEF). */
  hexUpperBare(src: Uint8Array, start: number, end: number): void {
    const v = this.view;
    let p = this.pos;
    for (let i = start; i < end; i++) {
      v.setUint16(p, HEX_UPPER[src[i]], true);
      p += 2;
    }
    this.pos = p;
  }

  /** Go's `%v` of a byte slice, `[100 134 21]` (LEEF's rendering of raw bytes): at most 4 bytes per byte + 2. */
  byteList(src: Uint8Array, start: number, end: number): void {
    this.buf[this.pos++] = 0x5b; // [
    for (let i = start; i < end; i++) {
      if (i > start) this.buf[this.pos++] = 0x20;
      this.smallUint(src[i]);
    }
    this.buf[this.pos++] = 0x5d; // ]
  }

  /** Lower-case hex of the low 16 bits (4 digits). */
  hex16(value: number): void {
    const v = this.view;
    v.setUint16(this.pos, HEX_LOWER[(value >>> 8) & 0xff], true);
    v.setUint16(this.pos + 2, HEX_LOWER[value & 0xff], true);
    this.pos += 4;
  }

  /** Process GUID text (JSON-OUTPUT.md §2.4), unquoted; create time as low and high 32 bits. */
  guid(sensorId: number, pid: number, ctLo: number, ctHi: number): void {
    this.hex16(sensorId >>> 16);
    this.hex16(sensorId);
    this.buf[this.pos++] = 0x2d;
    this.hex16(pid >>> 16);
    this.buf[this.pos++] = 0x2d;
    this.hex16(pid);
    this.buf[this.pos++] = 0x2d;
    this.hex16(ctHi >>> 16);
    this.buf[this.pos++] = 0x2d;
    this.hex16(ctHi);
    this.hex16(ctLo >>> 16);
    this.hex16(ctLo);
  }

  /**
   * IPv6 text of 16 bytes given as four little-endian 32-bit words (§2.7), unquoted, as decode/values.ts
   * ipv6Text writes it: IPv4-mapped addresses dotted, else hex groups with the first longest run of two or more
   * zero groups as "::".
   */
  ipv6(w0: number, w1: number, w2: number, w3: number): void {
    if (w0 === 0 && w1 === 0 && w2 >>> 16 === 0xffff && (w2 & 0xffff) === 0) {
      this.ipv4(w3);
      return;
    }
    const g = GROUPS;
    const words = [w0, w1, w2, w3];
    for (let i = 0; i < 4; i++) {
      const v = words[i];
      g[2 * i] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
      g[2 * i + 1] = (((v >>> 16) & 0xff) << 8) | (v >>> 24);
    }
    const [bestStart, bestLen] = zeroRun(g);
    for (let i = 0; i < 8; i++) {
      if (i === bestStart) {
        this.byte(0x3a);
        this.byte(0x3a);
        i += bestLen - 1;
        continue;
      }
      if (i > 0 && i !== bestStart + bestLen) this.byte(0x3a);
      this.hexGroup(g[i]);
    }
  }

  /** A 16-bit value in lower-case hex without leading zeros. */
  private hexGroup(value: number): void {
    const b = this.buf;
    let p = this.pos;
    if (value >= 0x1000) b[p++] = HEX_DIGITS[value >>> 12];
    if (value >= 0x100) b[p++] = HEX_DIGITS[(value >>> 8) & 0xf];
    if (value >= 0x10) b[p++] = HEX_DIGITS[(value >>> 4) & 0xf];
    b[p++] = HEX_DIGITS[value & 0xf];
    this.pos = p;
  }

  /** IPv4 stored little-endian in a uint32 (§2.6), dotted decimal, unquoted. */
  ipv4(value: number): void {
    this.smallUint(value & 0xff);
    this.byte(0x2e);
    this.smallUint((value >>> 8) & 0xff);
    this.byte(0x2e);
    this.smallUint((value >>> 16) & 0xff);
    this.byte(0x2e);
    this.smallUint(value >>> 24);
  }
}

/** Length of the well-formed UTF-8 sequence at src[i] (Unicode Table 3-7, as decode/text.ts), or 0. */
export function sequenceLength(src: Uint8Array, i: number, end: number, b0: number): number {
  if (b0 >= 0xc2 && b0 <= 0xdf) return i + 1 < end && (src[i + 1] & 0xc0) === 0x80 ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (i + 2 >= end) return 0;
    const b1 = src[i + 1];
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return b1 >= lo && b1 <= hi && (src[i + 2] & 0xc0) === 0x80 ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (i + 3 >= end) return 0;
    const b1 = src[i + 1];
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return b1 >= lo && b1 <= hi && (src[i + 2] & 0xc0) === 0x80 && (src[i + 3] & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

/**
 * The LEEF rendering of the same calls (LEEF.md §2–3): fragments' LEEF twins, unquoted values, LEEF escapes
 * with invalid UTF-8 bytes raw, Go's `%v` of floats. Writes into the buffer of the output it borrows
 * (useBufferOf) for one document.
 */
export class LeefBytes extends JsonBytes {
  override raw(f: Fragment): void {
    super.raw(f.leef);
  }

  override quote(): void {}

  override text(src: Uint8Array, start: number, end: number): void {
    this.leefText(src, start, end);
  }

  override textBody(src: Uint8Array, start: number, end: number): void {
    this.leefText(src, start, end);
  }

  override hexUpper(src: Uint8Array, start: number, end: number): void {
    this.hexUpperBare(src, start, end);
  }

  override float(value: number): void {
    this.ascii(goFloatV(value));
  }
}
