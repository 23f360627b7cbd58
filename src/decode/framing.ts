// Length-prefixed record framing (ARCHIVE.md §3): a 4-byte little-endian length, then that many payload bytes.
// One framer serves archive files, bus bundles and zip members. It is fed chunks and keeps only the unfinished
// tail, so memory depends on the largest record, not on the size of the input.
import type { Damage } from "./damage.js";

/** One framed record: its payload and the byte offset of its length prefix in the input. */
export interface Frame {
  offset: number;
  /** Position of the record in the input, counting from 0 (damaged records included). */
  index: number;
  payload: Buffer;
}

/** Complete records back to back as they stand in the input (pipeline/record-batch-formatter.ts RecordRun). */
export interface FramedRun {
  records: Buffer;
  /** Input offset and index of the first record. */
  offset: number;
  index: number;
  /** Records in the run, zero-length ones (damage) not counted. */
  count: number;
}

export interface FramerOptions {
  /** Lengths above this are taken as corruption (ARCHIVE.md §5.4 D4 guard). Default 64 MiB. */
  maxRecordBytes?: number | undefined;
  /** Named in damage reports. */
  file?: string | undefined;
  /** Input offset of the first byte pushed (when resuming a file part-way). */
  startOffset?: number | undefined;
  /** Index of the first record pushed (when framing a slice of a larger input). */
  startIndex?: number | undefined;
}

export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Incremental framer: push() chunks in order, then end(). Frames and damage come back as they are found. */
export class Framer {
  private pending: Buffer = Buffer.alloc(0);
  /** Input offset of pending[0]. */
  private base = 0;
  private stopped = false;
  private count = 0;
  private readonly maxRecordBytes: number;
  private readonly file: string | undefined;

  constructor(options: FramerOptions = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.file = options.file;
    this.base = options.startOffset ?? 0;
    this.count = options.startIndex ?? 0;
  }

  /** True once damage made the rest of the input unreadable (nothing more will be framed). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Offset just past the last complete record (where a reader resumes). */
  get consumed(): number {
    return this.base;
  }

  push(chunk: Buffer, frames: Frame[], damages: Damage[]): void {
    this.frame(chunk, damages, frames);
  }

  /**
   * Frames a chunk as push() does, but hands back its complete records as one run of bytes (length prefixes
   * included, zero-length records too: their damage is reported here) instead of an object per record.
   */
  pushRun(chunk: Buffer, damages: Damage[]): FramedRun | undefined {
    const offset = this.base;
    const index = this.count;
    const framed = this.frame(chunk, damages, undefined);
    if (framed === undefined || this.count === index) return undefined;
    return { records: framed.buf.subarray(0, framed.end), offset, index, count: framed.records };
  }

  /** The framing loop of push() and pushRun(): `frames` gets a frame per record when given. */
  private frame(
    chunk: Buffer,
    damages: Damage[],
    frames: Frame[] | undefined,
  ): { buf: Buffer; end: number; records: number } | undefined {
    if (this.stopped || chunk.length === 0) return undefined;
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    let records = 0;
    while (buf.length - pos >= 4) {
      const len = buf.readUInt32LE(pos);
      const offset = this.base + pos;
      if (len >= 0x80000000) {
        this.stop(damages, "negative-length", offset, len, buf.length - pos - 4);
        return { buf, end: pos, records };
      }
      if (len > this.maxRecordBytes) {
        this.stop(damages, "length-beyond-file", offset, len, buf.length - pos - 4);
        return { buf, end: pos, records };
      }
      if (buf.length - pos - 4 < len) break;
      if (len === 0) {
        const damage = this.damage("zero-length", offset, 0, 0, "zero-length record (no CbEventMsg header)");
        damage.index = this.count;
        damages.push(damage);
      } else {
        records++;
        frames?.push({ offset, index: this.count, payload: buf.subarray(pos + 4, pos + 4 + len) });
      }
      this.count++;
      pos += 4 + len;
    }
    this.base += pos;
    // A copy of the partial record: the chunk's memory may be read into again before the next push (a pool's).
    this.pending = pos === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return { buf, end: pos, records };
  }

  /** Call at the end of the input: reports a cut length prefix or a truncated last record. */
  end(damages: Damage[]): void {
    if (this.stopped) return;
    if (this.pending.length === 0) return;
    damages.push(tailDamage(this.file, this.base, this.pending));
    this.stopped = true;
    this.pending = Buffer.alloc(0);
  }

  private stop(damages: Damage[], kind: StopKind, offset: number, len: number, available: number): void {
    damages.push(stopDamage(this.file, kind, offset, len, available, this.maxRecordBytes));
    this.stopped = true;
    this.pending = Buffer.alloc(0);
  }

  private damage(
    kind: Damage["kind"],
    offset: number,
    expected: number,
    available: number,
    message: string,
  ): Damage {
    return { kind, file: this.file, offset, expected, available, message };
  }
}

type StopKind = "negative-length" | "length-beyond-file";

function stopDamage(
  file: string | undefined,
  kind: StopKind,
  offset: number,
  len: number,
  available: number,
  maxRecordBytes: number,
): Damage {
  const why =
    kind === "negative-length"
      ? `length prefix 0x${len.toString(16)} is negative as a signed 32-bit value`
      : `length ${len} is larger than the ${maxRecordBytes}-byte record limit`;
  return {
    kind,
    file,
    offset,
    expected: len,
    available,
    message: `${why}; the rest of the input is skipped`,
  };
}

/** Damage for the bytes left after the last complete record at the end of the input. */
function tailDamage(file: string | undefined, offset: number, tail: Buffer): Damage {
  const rest = tail.length;
  if (rest < 4) {
    const message = `${rest} byte(s) left where a 4-byte length was expected`;
    return { kind: "cut-length", file, offset, expected: 4, available: rest, message };
  }
  const len = tail.readUInt32LE(0);
  const message = `record of ${len} bytes is cut off: only ${rest - 4} byte(s) follow`;
  return { kind: "truncated-record", file, offset, expected: len, available: rest - 4, message };
}

/**
 * Framing without frames, for a caller that hands whole runs of records on (to worker threads): finds where
 * the complete records of a buffer end, reporting the same damage as Framer, with no object per record.
 */
export class FrameScanner {
  /** Input offset of the next buffer's first byte. */
  offset: number;
  /** Index of the next record. */
  index: number;
  /** Damage made the rest of the input unreadable. */
  stopped = false;
  private readonly maxRecordBytes: number;
  private readonly file: string | undefined;

  constructor(options: FramerOptions = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.file = options.file;
    this.offset = options.startOffset ?? 0;
    this.index = options.startIndex ?? 0;
  }

  /**
   * Scans `buf[0..length)` (starting at a record boundary) and returns how many of its bytes are complete
   * records; the caller keeps the rest for the next buffer (FrameScanner.need says how large it must be).
   */
  scan(buf: Buffer, length: number, damages: Damage[]): number {
    if (this.stopped) return 0;
    const max = this.maxRecordBytes;
    let pos = 0;
    let index = this.index;
    while (length - pos >= 4) {
      const len = buf.readUInt32LE(pos);
      if (len >= 0x80000000 || len > max) {
        const kind = len >= 0x80000000 ? "negative-length" : "length-beyond-file";
        damages.push(stopDamage(this.file, kind, this.offset + pos, len, length - pos - 4, max));
        this.stopped = true;
        break;
      }
      if (length - pos - 4 < len) break;
      if (len === 0) {
        const message = "zero-length record (no CbEventMsg header)";
        damages.push({
          kind: "zero-length",
          file: this.file,
          offset: this.offset + pos,
          index,
          expected: 0,
          available: 0,
          message,
        });
      }
      index++;
      pos += 4 + len;
    }
    this.index = index;
    this.offset += pos;
    return pos;
  }

  /** Bytes a buffer needs for the record that starts `tail` (at least 4 for its length). */
  static need(tail: Buffer): number {
    return tail.length < 4 ? 4 : 4 + tail.readUInt32LE(0);
  }

  /** At the end of the input: reports the bytes left after the last complete record, if any. */
  end(tail: Buffer, damages: Damage[]): void {
    if (this.stopped || tail.length === 0) return;
    damages.push(tailDamage(this.file, this.offset, tail));
    this.stopped = true;
  }
}

/** Frames a whole buffer (a bus bundle or a zip member). */
export function frameBuffer(
  buf: Buffer,
  options: FramerOptions = {},
): { frames: Frame[]; damages: Damage[] } {
  const framer = new Framer(options);
  const frames: Frame[] = [];
  const damages: Damage[] = [];
  framer.push(buf, frames, damages);
  framer.end(damages);
  return { frames, damages };
}
