// Collects output lines and hands them to every sink in large writes (one write per ~1 MiB, not per event).
import type { Sink } from "../sinks/sink.js";
import { LineBuffer } from "./line-buffer.js";

const DEFAULT_BATCH_BYTES = 1 << 20;

export interface LineWriterOptions {
  /** Bytes per write to the sinks (default 1 MiB). */
  batchBytes?: number;
  /** Forwarder-profile LEEF: escaped invalid bytes go out raw (see LineBuffer). */
  restoreInvalidBytes?: boolean;
}

export class LineWriter {
  private readonly buffer: LineBuffer;
  private readonly batchBytes: number;
  /** Lines handed to the sinks so far (including the ones still buffered). */
  lines = 0;

  constructor(
    private readonly sinks: readonly Sink[],
    options: LineWriterOptions = {},
  ) {
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    // Room for one batch plus the line that fills it, so the buffer rarely has to grow.
    this.buffer = new LineBuffer(this.batchBytes + (this.batchBytes >> 2), options.restoreInvalidBytes);
  }

  /**
   * Adds one line (without its terminator). Returns a promise only when a full batch is being written out:
   * the caller awaits it (back-pressure) without paying for a promise per line.
   */
  add(line: string): Promise<void> | undefined {
    this.lines++;
    this.buffer.add(line);
    return this.buffer.size >= this.batchBytes ? this.writeOut() : undefined;
  }

  /**
   * Adds lines already encoded (each ending in "\n"), e.g. formatted by a worker thread. The caller gives up
   * `data`: a large block goes to the sinks as it is, after what is held, without being copied.
   */
  addEncoded(data: Buffer, lines: number): Promise<void> | undefined {
    this.lines += lines;
    if (data.length >= this.batchBytes >> 2) return this.writeBlock(data);
    this.buffer.addBytes(data);
    return this.buffer.size >= this.batchBytes ? this.writeOut() : undefined;
  }

  /** Whether every sink is done with a block of addEncoded once its promise resolves (its memory may be reused). */
  get releasesData(): boolean {
    return this.sinks.every((s) => s.releasesWrittenData === true);
  }

  /** Writes out what is buffered and waits until every sink holds it durably. */
  async flush(): Promise<void> {
    await this.writeOut();
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  private async writeBlock(data: Buffer): Promise<void> {
    await this.writeOut();
    await Promise.all(this.sinks.map((s) => s.write(data)));
  }

  private async writeOut(): Promise<void> {
    if (this.buffer.size === 0) return;
    const data = this.buffer.take();
    await Promise.all(this.sinks.map((s) => s.write(data)));
  }
}
