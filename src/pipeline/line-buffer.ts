// Output lines encoded as UTF-8 into one growing buffer, each followed by "\n".
import { encodeText, hasLoneSurrogate } from "../decode/text.js";

const NEWLINE = 0x0a;

export class LineBuffer {
  private buf: Buffer;
  private used = 0;

  /**
   * `restoreInvalidBytes`: lines may hold escaped invalid bytes (lone surrogates, see decode/text.ts) that go out
   * as the original raw bytes (forwarder-profile LEEF passes them through; JSON escapes them itself).
   */
  constructor(
    private readonly initialBytes: number,
    private readonly restoreInvalidBytes = false,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes held. */
  get size(): number {
    return this.used;
  }

  add(line: string): void {
    if (this.restoreInvalidBytes && hasLoneSurrogate(line)) {
      this.addBytes(encodeText(line));
      this.buf[this.used++] = NEWLINE;
      return;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit; +1 for the newline.
    this.reserve(line.length * 3 + 1);
    this.used += this.buf.write(line, this.used, "utf8");
    this.buf[this.used++] = NEWLINE;
  }

  /** Appends bytes as they are (already encoded lines, or one line's bytes before its newline). */
  addBytes(bytes: Buffer): void {
    this.reserve(bytes.length + 1);
    this.used += bytes.copy(this.buf, this.used);
  }

  /** Hands over what is held and starts empty (the returned buffer is the caller's). */
  take(): Buffer {
    const data = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.initialBytes);
    this.used = 0;
    return data;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }
}
