// Collects output lines and hands them to every sink in large writes (one write per ~1 MiB, not per event).
import { encodeText } from "../decode/text.js";
import type { Sink } from "../sinks/sink.js";

const DEFAULT_BATCH_CHARS = 1 << 20;

export class LineWriter {
  private parts: string[] = [];
  private chars = 0;
  /** Lines handed to the sinks so far (including the ones still buffered). */
  lines = 0;

  constructor(
    private readonly sinks: readonly Sink[],
    private readonly batchChars = DEFAULT_BATCH_CHARS,
  ) {}

  /**
   * Adds one line (without its terminator). Returns a promise only when the batch was full and is being
   * written out: the caller awaits it (back-pressure) without paying for a promise per line.
   */
  add(line: string): Promise<void> | undefined {
    this.parts.push(line);
    this.chars += line.length + 1;
    this.lines++;
    return this.chars >= this.batchChars ? this.writeOut() : undefined;
  }

  /** Writes out what is buffered and waits until every sink holds it durably. */
  async flush(): Promise<void> {
    await this.writeOut();
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  private async writeOut(): Promise<void> {
    if (this.parts.length === 0) return;
    this.parts.push("");
    // Escaped invalid bytes (LEEF passes them through) turn back into the original raw bytes here.
    const data = encodeText(this.parts.join("\n"));
    this.parts = [];
    this.chars = 0;
    await Promise.all(this.sinks.map((s) => s.write(data)));
  }
}
