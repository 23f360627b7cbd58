// Collects output lines into large buffers and hands each full buffer to every sink in one write (one write
// per ~1 MiB, not per event). Lines are encoded straight into the buffer: no joining, no per-line Buffer.
import { encodeText, hasLoneSurrogate } from "../decode/text.js";
import type { Sink } from "../sinks/sink.js";

const DEFAULT_BATCH_BYTES = 1 << 20;
const NEWLINE = 0x0a;

export interface LineWriterOptions {
  /** Bytes per write to the sinks (default 1 MiB). */
  batchBytes?: number;
  /**
   * Lines may hold escaped invalid bytes (lone surrogates, see decode/text.ts) that must go out as the original
   * raw bytes: forwarder-profile LEEF passes them through. Off for JSON, which escapes them itself.
   */
  restoreInvalidBytes?: boolean;
}

export class LineWriter {
  private buf: Buffer;
  private used = 0;
  private readonly batchBytes: number;
  private readonly restoreInvalidBytes: boolean;
  /** Lines handed to the sinks so far (including the ones still buffered). */
  lines = 0;

  constructor(
    private readonly sinks: readonly Sink[],
    options: LineWriterOptions = {},
  ) {
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.restoreInvalidBytes = options.restoreInvalidBytes ?? false;
    this.buf = Buffer.allocUnsafe(this.batchBytes);
  }

  /**
   * Adds one line (without its terminator). Returns a promise only when a full buffer is being written out:
   * the caller awaits it (back-pressure) without paying for a promise per line.
   */
  add(line: string): Promise<void> | undefined {
    this.lines++;
    if (this.restoreInvalidBytes && hasLoneSurrogate(line)) return this.addBytes(encodeText(line));
    // UTF-8 takes at most 3 bytes per UTF-16 unit; +1 for the newline.
    const worst = line.length * 3 + 1;
    let pending: Promise<void> | undefined;
    if (this.used + worst > this.buf.length) {
      pending = this.writeOut();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    this.used += this.buf.write(line, this.used, "utf8");
    this.buf[this.used++] = NEWLINE;
    return pending;
  }

  /** Writes out what is buffered and waits until every sink holds it durably. */
  async flush(): Promise<void> {
    await this.writeOut();
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  private addBytes(bytes: Buffer): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    if (this.used + bytes.length + 1 > this.buf.length) {
      pending = this.writeOut();
      if (bytes.length + 1 > this.buf.length) this.buf = Buffer.allocUnsafe(bytes.length + 1);
    }
    this.used += bytes.copy(this.buf, this.used);
    this.buf[this.used++] = NEWLINE;
    return pending;
  }

  /** Hands the filled part of the buffer to the sinks and starts a fresh buffer (the old one is theirs now). */
  private writeOut(): Promise<void> {
    if (this.used === 0) return Promise.resolve();
    const data = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.batchBytes);
    this.used = 0;
    return Promise.all(this.sinks.map((s) => s.write(data))).then(() => undefined);
  }
}
