// Protobuf wire-format primitives for the generated decoder (src/schema/generated.ts).
// 64-bit integers decode to bigint (exact); int32/enum fields keep the raw value (enums are open, as in Go).
import { decodeText } from "./text.js";

/** The payload is not valid protobuf (bad varint, bad wire type, length past the end). */
export class ProtobufError extends Error {
  override name = "ProtobufError";
}

const TWO_32 = 4294967296;

export class WireReader {
  buf: Buffer;
  pos: number;
  private lo = 0;
  private hi = 0;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  reset(buf: Buffer): void {
    this.buf = buf;
    this.pos = 0;
  }

  /** Field tag: (field number << 3) | wire type. */
  tag(): number {
    const buf = this.buf;
    const b = buf[this.pos];
    if (b < 0x80) {
      this.pos++;
      return b;
    }
    this.varint();
    return this.lo >>> 0;
  }

  int32(): number {
    const b = this.buf[this.pos];
    if (b < 0x80) {
      this.pos++;
      return b;
    }
    this.varint();
    return this.lo | 0;
  }

  uint32(): number {
    const b = this.buf[this.pos];
    if (b < 0x80) {
      this.pos++;
      return b;
    }
    this.varint();
    return this.lo >>> 0;
  }

  bool(): boolean {
    this.varint();
    return (this.lo | this.hi) !== 0;
  }

  int64(): bigint {
    this.varint();
    const lo = this.lo >>> 0;
    const hi = this.hi >>> 0;
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    if (hi === 0xffffffff && lo >= 0x80000000) return BigInt(lo - TWO_32);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  uint64(): bigint {
    this.varint();
    const lo = this.lo >>> 0;
    const hi = this.hi >>> 0;
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Raw bytes, as a view into the record (no copy). */
  bytes(): Buffer {
    const end = this.lengthEnd();
    const view = this.buf.subarray(this.pos, end);
    this.pos = end;
    return view;
  }

  string(): string {
    const end = this.lengthEnd();
    const text = decodeText(this.buf, this.pos, end);
    this.pos = end;
    return text;
  }

  /** Reads a length prefix and returns where the length-delimited value ends. */
  lengthEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.buf.length) {
      throw new ProtobufError(`length ${len} at byte ${this.pos} runs past the end (${this.buf.length})`);
    }
    return end;
  }

  /** Checks that a nested message ended exactly where its length said. */
  endMessage(end: number): void {
    if (this.pos !== end) throw new ProtobufError(`nested message overran its length at byte ${end}`);
  }

  /** Skips a field of any wire type (unknown fields, or known fields with an unexpected wire type). */
  skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 3:
        this.skipGroup(tag >>> 3);
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new ProtobufError(`invalid wire type ${tag & 7} at byte ${this.pos}`);
    }
  }

  private skipGroup(field: number): void {
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufError(`unterminated group ${field}`);
      const tag = this.tag();
      if ((tag & 7) === 4) {
        if (tag >>> 3 !== field) throw new ProtobufError(`mismatched end of group ${field}`);
        return;
      }
      this.skip(tag);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length)
      throw new ProtobufError(`field runs past the end at byte ${this.pos}`);
    this.pos += n;
  }

  /** Reads a varint of up to 10 bytes into lo/hi (the low and high 32 bits). */
  private varint(): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= len) throw this.truncated();
      b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.setVarint(lo, 0, pos);
        return;
      }
    }
    if (pos >= len) throw this.truncated();
    b = buf[pos++];
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) {
      this.setVarint(lo, hi, pos);
      return;
    }
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= len) throw this.truncated();
      b = buf[pos++];
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.setVarint(lo, hi, pos);
        return;
      }
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  private setVarint(lo: number, hi: number, pos: number): void {
    this.lo = lo;
    this.hi = hi;
    this.pos = pos;
  }

  private truncated(): ProtobufError {
    return new ProtobufError(`varint cut off by the end of the data at byte ${this.pos}`);
  }
}
