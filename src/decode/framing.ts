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
    if (this.stopped || chunk.length === 0) return;
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (buf.length - pos >= 4) {
      const len = buf.readUInt32LE(pos);
      const offset = this.base + pos;
      if (len >= 0x80000000) {
        this.stop(damages, "negative-length", offset, len, buf.length - pos - 4);
        return;
      }
      if (len > this.maxRecordBytes) {
        this.stop(damages, "length-beyond-file", offset, len, buf.length - pos - 4);
        return;
      }
      if (buf.length - pos - 4 < len) break;
      if (len === 0) {
        const damage = this.damage("zero-length", offset, 0, 0, "zero-length record (no CbEventMsg header)");
        damage.index = this.count;
        damages.push(damage);
      } else {
        frames.push({ offset, index: this.count, payload: buf.subarray(pos + 4, pos + 4 + len) });
      }
      this.count++;
      pos += 4 + len;
    }
    this.base += pos;
    this.pending = pos === buf.length ? Buffer.alloc(0) : buf.subarray(pos);
  }

  /** Call at the end of the input: reports a cut length prefix or a truncated last record. */
  end(damages: Damage[]): void {
    if (this.stopped) return;
    const rest = this.pending.length;
    if (rest === 0) return;
    const offset = this.base;
    if (rest < 4) {
      damages.push(
        this.damage("cut-length", offset, 4, rest, `${rest} byte(s) left where a 4-byte length was expected`),
      );
    } else {
      const len = this.pending.readUInt32LE(0);
      damages.push(
        this.damage(
          "truncated-record",
          offset,
          len,
          rest - 4,
          `record of ${len} bytes is cut off: only ${rest - 4} byte(s) follow`,
        ),
      );
    }
    this.stopped = true;
    this.pending = Buffer.alloc(0);
  }

  private stop(
    damages: Damage[],
    kind: Damage["kind"],
    offset: number,
    len: number,
    available: number,
  ): void {
    const why =
      kind === "negative-length"
        ? `length prefix 0x${len.toString(16)} is negative as a signed 32-bit value`
        : `length ${len} is larger than the ${this.maxRecordBytes}-byte record limit`;
    damages.push(this.damage(kind, offset, len, available, `${why}; the rest of the input is skipped`));
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
