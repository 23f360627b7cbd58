// Text from protobuf `bytes`/`string` fields, decoded the way cb-event-forwarder (Go) sees it.
//
// Go keeps invalid UTF-8 bytes as they are and its JSON encoder writes one `\ufffd` per invalid byte, while
// a real U+FFFD in valid input is written raw. To keep that distinction (and the raw bytes, which LEEF passes
// through), every byte that is not part of a valid UTF-8 sequence becomes the lone surrogate U+DC80 + byte
// ("surrogateescape"). Valid UTF-8 never decodes to a lone surrogate, so the mapping is reversible.
import { isUtf8 } from "node:buffer";

/** First and last code unit used for escaped invalid bytes (U+DC80..U+DCFF). */
export const ESCAPED_BYTE_MIN = 0xdc80;
export const ESCAPED_BYTE_MAX = 0xdcff;

/** Decodes UTF-8 bytes; each invalid byte becomes U+DC80 + byte (per byte, like Go, not per maximal subpart). */
export function decodeText(buf: Buffer, start: number, end: number): string {
  let i = start;
  while (i < end && buf[i] < 0x80) i++;
  if (i === end) return buf.toString("latin1", start, end);
  if (isUtf8(buf.subarray(start, end))) return buf.toString("utf8", start, end);
  return decodeInvalidUtf8(buf, start, end);
}

function decodeInvalidUtf8(buf: Buffer, start: number, end: number): string {
  let out = "";
  let i = start;
  while (i < end) {
    const b0 = buf[i];
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    const cp = validSequence(buf, i, end, b0);
    if (cp < 0) {
      out += String.fromCharCode(ESCAPED_BYTE_MIN + b0 - 0x80);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return out;
}

/** The code point of the well-formed sequence starting at i (Unicode Table 3-7), or -1. */
function validSequence(buf: Buffer, i: number, end: number, b0: number): number {
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && buf[i + k] >= lo && buf[i + k] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? ((b0 & 0x1f) << 6) | (buf[i + 1] & 0x3f) : -1;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2)) return -1;
    return ((b0 & 0x0f) << 12) | ((buf[i + 1] & 0x3f) << 6) | (buf[i + 2] & 0x3f);
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return -1;
    return (
      ((b0 & 0x07) << 18) | ((buf[i + 1] & 0x3f) << 12) | ((buf[i + 2] & 0x3f) << 6) | (buf[i + 3] & 0x3f)
    );
  }
  return -1;
}

/** True when the text holds an escaped invalid byte (or any other lone surrogate). */
export function hasLoneSurrogate(text: string): boolean {
  if (!/[\ud800-\udfff]/.test(text)) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}

/** Encodes text back to bytes; escaped invalid bytes are restored as the original raw bytes. */
export function encodeText(text: string): Buffer {
  if (!hasLoneSurrogate(text)) return Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= ESCAPED_BYTE_MIN && c <= ESCAPED_BYTE_MAX && !isPairedLow(text, i)) {
      parts.push(Buffer.from(text.slice(from, i), "utf8"), Buffer.of(c - ESCAPED_BYTE_MIN + 0x80));
      from = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(from), "utf8"));
  return Buffer.concat(parts);
}

function isPairedLow(text: string, i: number): boolean {
  if (i === 0) return false;
  const prev = text.charCodeAt(i - 1);
  return prev >= 0xd800 && prev <= 0xdbff;
}
