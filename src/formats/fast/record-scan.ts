// Reads one serialized CbEventMsg straight into a Fields store: no objects, no bigints, no strings. It accepts
// exactly what the generated decoder accepts (same varint, length, wire-type and nesting rules, last value of a
// field wins, a repeated nested message replaces the earlier one); whatever it cannot vouch for is left to the
// reference path, which then reports the damage or writes the record itself.
import * as fields from "./fields.js";
import { EVENT, type Fields, HEADER, type Layout, STRING } from "./fields.js";

// The wire kinds as this module's own constants: V8 builds a module's `const`s into its machine code, where it
// loads an imported binding, and checks it, at every use (1 % of the instructions per record).
const VARINT = fields.VARINT;
const LEN = fields.LEN;
const MSG = fields.MSG;
const STRINGS = fields.STRINGS;
const CHECK = fields.CHECK;

/** Thrown for anything the scanner leaves to the reference path (malformed data, unexported payloads). */
const DEFERRED = new Error("deferred to the reference decoder");

// Reader state in module variables: the scanner runs one record at a time and this keeps the hot loop lean.
// `var`, not `let`: V8 checks a module-level `let` for its temporal dead zone at every use from a function
// (2.4 % of the instructions per record, counted with callgrind).
var buf: Buffer = Buffer.alloc(0);
var pos = 0;
/** End of the record in `buf`. */
var limit = 0;
var vlo = 0;
var vhi = 0;

/**
 * Fills `f` from the record `src[start..end)` (field ranges index `src`); false when the record must take the
 * reference path.
 */
export function scanRecord(src: Buffer, start: number, end: number, f: Fields): boolean {
  // References stored only when they change: a store costs a write barrier, and runs hold thousands of records.
  if (buf !== src) buf = src;
  pos = start;
  limit = end;
  if (f.src !== src) f.src = src;
  f.strings = 0;
  try {
    message(EVENT, end, f);
  } catch (err) {
    if (err === DEFERRED) return false;
    throw err;
  }
  const hs = EVENT.slot.header;
  return f.has[hs] === 1 && f.has[HEADER.slot.version] === 1;
}

function message(l: Layout, end: number, f: Fields): void {
  const has = f.has;
  const lo = f.lo;
  const hi = f.hi;
  const codes = l.codes;
  for (let s = l.first; s < l.end; s++) has[s] = 0;
  while (pos < end) {
    let tag = buf[pos];
    if (tag < 0x80) pos++;
    else {
      varint();
      tag = vlo >>> 0;
    }
    const code = tag < codes.length ? codes[tag] : 0;
    const kind = code & 7;
    const slot = code >>> 3;
    if (kind === VARINT) {
      // Single-byte values (flags, small enums and ids) in line, as WireReader.int32 does.
      const b = buf[pos];
      if (b < 0x80) {
        pos++;
        lo[slot] = b;
        hi[slot] = 0;
      } else {
        varint();
        lo[slot] = vlo;
        hi[slot] = vhi;
      }
      has[slot] = 1;
    } else if (kind === LEN) {
      // Lengths under 128 (most strings) in line.
      const n = buf[pos];
      let e: number;
      if (n < 0x80) {
        e = ++pos + n;
        if (e > limit) throw DEFERRED;
      } else e = lengthEnd();
      lo[slot] = pos;
      hi[slot] = e;
      has[slot] = 1;
      pos = e;
    } else if (kind === 0) skip(tag);
    else if (kind === MSG || kind === CHECK) {
      const e = lengthEnd();
      const start = pos;
      message(l.nested[tag] as Layout, e, f);
      if (pos !== e) throw DEFERRED;
      lo[slot] = start;
      hi[slot] = e;
      has[slot] = 1;
    } else if (kind === STRINGS) {
      const e = lengthEnd();
      message(STRING, e, f);
      if (pos !== e) throw DEFERRED;
      f.pushString();
    } else {
      // DEFER: a payload the fast path does not write.
      throw DEFERRED;
    }
  }
}

function readTag(): number {
  const b = buf[pos];
  if (b < 0x80) {
    pos++;
    return b;
  }
  varint();
  return vlo >>> 0;
}

/** A varint of up to 10 bytes into vlo/vhi (WireReader.varint). */
function varint(): void {
  if (pos + 10 <= limit) {
    unrolledVarint();
    return;
  }
  const len = limit;
  let p = pos;
  if (p >= len) throw DEFERRED;
  let b = buf[p++];
  if (b < 0x80) {
    vlo = b;
    vhi = 0;
    pos = p;
    return;
  }
  let lo = b & 0x7f;
  for (let shift = 7; shift < 28; shift += 7) {
    if (p >= len) throw DEFERRED;
    b = buf[p++];
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      vlo = lo;
      vhi = 0;
      pos = p;
      return;
    }
  }
  if (p >= len) throw DEFERRED;
  b = buf[p++];
  lo |= (b & 0x7f) << 28;
  let hi = (b & 0x7f) >> 4;
  if (b < 0x80) {
    vlo = lo;
    vhi = hi;
    pos = p;
    return;
  }
  for (let shift = 3; shift < 32; shift += 7) {
    if (p >= len) throw DEFERRED;
    b = buf[p++];
    hi |= (b & 0x7f) << shift;
    if (b < 0x80) {
      vlo = lo;
      vhi = hi;
      pos = p;
      return;
    }
  }
  throw DEFERRED;
}

/** varint() when 10 bytes are left: no bounds checks between bytes (FILETIMEs and ids take 9 or 10). */
function unrolledVarint(): void {
  const b = buf;
  let p = pos;
  let c = b[p++];
  let lo = c & 0x7f;
  let hi = 0;
  if (c >= 0x80) {
    c = b[p++];
    lo |= (c & 0x7f) << 7;
    if (c >= 0x80) {
      c = b[p++];
      lo |= (c & 0x7f) << 14;
      if (c >= 0x80) {
        c = b[p++];
        lo |= (c & 0x7f) << 21;
        if (c >= 0x80) {
          c = b[p++];
          lo |= (c & 0x7f) << 28;
          hi = (c & 0x7f) >> 4;
          if (c >= 0x80) {
            for (let shift = 3; ; shift += 7) {
              if (shift > 31) throw DEFERRED;
              c = b[p++];
              hi |= (c & 0x7f) << shift;
              if (c < 0x80) break;
            }
          }
        }
      }
    }
  }
  vlo = lo;
  vhi = hi;
  pos = p;
}

function lengthEnd(): number {
  varint();
  const end = pos + (vlo >>> 0);
  if (end > limit) throw DEFERRED;
  return end;
}

function skip(tag: number): void {
  switch (tag & 7) {
    case 0:
      varint();
      return;
    case 1:
      advance(8);
      return;
    case 2:
      pos = lengthEnd();
      return;
    case 3:
      skipGroup(tag >>> 3);
      return;
    case 5:
      advance(4);
      return;
    default:
      throw DEFERRED;
  }
}

function skipGroup(field: number): void {
  for (;;) {
    if (pos >= limit) throw DEFERRED;
    const tag = readTag();
    if ((tag & 7) === 4) {
      if (tag >>> 3 !== field) throw DEFERRED;
      return;
    }
    skip(tag);
  }
}

function advance(n: number): void {
  if (pos + n > limit) throw DEFERRED;
  pos += n;
}
