// An archive file as runs of whole records, for the export (pipeline/export.ts): the file is read in large
// buffers and only the length prefixes are looked at here (no object per record); each run's buffer then goes,
// without a copy, to whoever decodes and formats it (the main thread, or a worker thread sharing its memory).
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Damage } from "../decode/damage.js";
import { FrameScanner } from "../decode/framing.js";

export interface RawRun {
  /** Complete records back to back; the run owns its buffer (which may be shared with another thread). */
  records: Buffer;
  /** Input offset and index of the first record. */
  offset: number;
  index: number;
  /** Framing damage found while cutting this run (and, for the last run, at the end of the file). */
  damages: Damage[];
  /** Offset just past the last complete record. */
  consumed: number;
}

export interface RunOptions {
  /** Largest run (a record larger than this makes a run of its own). */
  runBytes: number;
  maxRecordBytes?: number | undefined;
  /** Memory for a run of at least `size` bytes (e.g. recycled); default: a new buffer. */
  alloc?: ((size: number) => Buffer) | undefined;
}

const MIN_BUFFER = 4096;

/**
 * Runs of records of a complete file, in order; damage that stops the framing ends the runs. The file is read
 * with blocking calls: the caller (the export loop) has nothing else to do meanwhile, and a read from the page
 * cache costs less than the round trip of an asynchronous one.
 */
export function* readRecordRuns(path: string, options: RunOptions): Generator<RawRun> {
  const alloc = options.alloc ?? ((size: number) => Buffer.allocUnsafeSlow(size));
  const scanner = new FrameScanner({ file: path, maxRecordBytes: options.maxRecordBytes });
  const fd = openSync(path, "r");
  try {
    // Buffers sized to what is left of the file, so a small file costs a small buffer.
    let left = fstatSync(fd).size;
    const size = (tail: number, need: number) =>
      Math.max(need, MIN_BUFFER, Math.min(options.runBytes, tail + left));
    let buf = alloc(size(0, 0));
    let filled = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, filled, buf.length - filled, null);
      filled += bytesRead;
      left = Math.max(0, left - bytesRead);
      const eof = bytesRead === 0;
      // Cut a run once the buffer is full or the file has ended.
      if (!eof && filled < buf.length) continue;
      const damages: Damage[] = [];
      const offset = scanner.offset;
      const index = scanner.index;
      const end = scanner.scan(buf, filled, damages);
      const tail = buf.subarray(end, filled);
      // Taken now: once the run is yielded its memory may be moved away, emptying every view of it.
      const kept = tail.length;
      if (eof) scanner.end(tail, damages);
      const next = eof || scanner.stopped ? buf : alloc(size(kept, FrameScanner.need(tail)));
      if (next !== buf) tail.copy(next);
      if (end > 0 || damages.length > 0)
        yield { records: buf.subarray(0, end), offset, index, damages, consumed: scanner.offset };
      if (eof || scanner.stopped) return;
      buf = next;
      filled = kept;
    }
  } finally {
    closeSync(fd);
  }
}
