// A minimal protobuf (proto2) encoder writing into one growable Buffer: just what synthetic archives need
// (varints, 64-bit values as bigint, length-delimited fields, nested messages, length-prefixed records).

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** Bytes a varint of this unsigned 32-bit value takes. */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written so far; a view that the next write or `reset` may overwrite. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Unsigned 32-bit varint (no tag). */
  private rawVarint32(n: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  /** Varint of the 64-bit value hi·2^32 + lo (both unsigned 32-bit numbers). */
  private rawVarint64(hi: number, lo: number): void {
    if (hi === 0) {
      this.rawVarint32(lo);
      return;
    }
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    // Low 28 bits first, then 4 low + 3 high bits, then the rest of the high word.
    for (let i = 0; i < 4; i++) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    const mixed = lo | ((hi & 0x7) << 4);
    hi >>>= 3;
    if (hi === 0) {
      buf[pos++] = mixed;
    } else {
      buf[pos++] = mixed | 0x80;
      while (hi >= 0x80) {
        buf[pos++] = (hi & 0x7f) | 0x80;
        hi >>>= 7;
      }
      buf[pos++] = hi;
    }
    this.pos = pos;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint32(((field << 3) | wireType) >>> 0);
  }

  /** uint32, enum or non-negative int32. */
  uint32(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.rawVarint32(value >>> 0);
  }

  /** int32: negatives are sign-extended to 10 bytes, as every protobuf runtime writes them. */
  int32(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    if (value >= 0) this.rawVarint32(value);
    else this.rawVarint64(0xffffffff, value >>> 0);
  }

  /** int64 or uint64 (two's complement of the low 64 bits). */
  int64(field: number, value: bigint): void {
    this.tag(field, WIRE_VARINT);
    const u = BigInt.asUintN(64, value);
    this.rawVarint64(Number(u >> 32n), Number(u & 0xffffffffn));
  }

  uint64(field: number, value: bigint): void {
    this.int64(field, value);
  }

  bool(field: number, value: boolean): void {
    this.tag(field, WIRE_VARINT);
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.rawVarint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** string, or a `bytes` field that carries UTF-8 text. */
  string(field: number, value: string): void {
    this.tag(field, WIRE_LEN);
    const size = Buffer.byteLength(value, "utf8");
    this.rawVarint32(size);
    this.ensure(size);
    this.pos += this.buf.write(value, this.pos, size, "utf8");
  }

  /** A nested message whose fields `body` writes. */
  message(field: number, body: () => void): void {
    this.tag(field, WIRE_LEN);
    // The length is unknown until the body is written: reserve one byte and move the body if it needs more.
    this.ensure(1);
    const mark = this.pos++;
    body();
    const size = this.pos - mark - 1;
    const sizeBytes = varintSize(size);
    if (sizeBytes > 1) {
      this.ensure(sizeBytes - 1);
      this.buf.copyWithin(mark + sizeBytes, mark + 1, this.pos);
      this.pos += sizeBytes - 1;
    }
    const end = this.pos;
    this.pos = mark;
    this.rawVarint32(size);
    this.pos = end;
  }

  /** One archive record (ARCHIVE.md §3): 4-byte little-endian length, then the message `body` writes. */
  record(body: () => void): void {
    this.ensure(4);
    const mark = this.pos;
    this.pos += 4;
    body();
    this.buf.writeUInt32LE(this.pos - mark - 4, mark);
  }
}
