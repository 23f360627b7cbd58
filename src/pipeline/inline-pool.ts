// The in-process counterpart of FormatPool (parallel.ts): the same RecordRunFormatter on the main thread, for
// one-thread exports and for inputs too small to be worth starting workers for. Same code, same bytes; memory is
// recycled the same way (runs' buffers once formatted, outputs once written).
import type { FormatterOptions } from "../formats/formatter.js";
import type { RunPool } from "./export.js";
import { type FormattedRun, type RecordRun, RecordRunFormatter } from "./record-batch-formatter.js";

/** Size of the buffers runs are read into (pipeline/export.ts cuts runs of at most 512 KiB). */
const RECORDS_BYTES = 512 * 1024;
/** Input buffers larger than this (grown for one very large record) are not kept. */
const MAX_SPARE_RECORD_BYTES = 1 << 20;

export class InlinePool implements RunPool {
  private readonly formatter: RecordRunFormatter;
  private readonly spareRecords: Buffer[] = [];

  constructor(options: FormatterOptions) {
    this.formatter = new RecordRunFormatter(options);
  }

  readonly alloc = (size: number): Buffer => {
    const spare = this.spareRecords.pop();
    if (spare !== undefined) {
      if (spare.length >= size) return spare;
      this.spareRecords.push(spare);
    }
    return Buffer.allocUnsafeSlow(Math.max(size, RECORDS_BYTES));
  };

  format(runs: readonly RecordRun[]): Promise<FormattedRun> {
    try {
      const result = this.formatter.format(runs);
      for (const run of runs) {
        const memory = whole(run.records);
        if (memory.length >= RECORDS_BYTES && memory.length <= MAX_SPARE_RECORD_BYTES)
          this.spareRecords.push(memory);
      }
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  recycleOutput(output: Buffer): void {
    this.formatter.reuse(whole(output));
  }
}

/** The whole buffer a view is part of (allocUnsafeSlow buffers own their ArrayBuffer). */
function whole(view: Buffer): Buffer {
  return Buffer.from(view.buffer, 0, view.buffer.byteLength);
}
