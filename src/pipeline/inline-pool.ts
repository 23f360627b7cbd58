// The in-process counterpart of FormatPool (parallel.ts): the same RecordRunFormatter on the main thread, for
// one-thread exports, inputs too small to be worth starting workers for, and follow. Same code, same bytes;
// memory is recycled the same way (runs' buffers once formatted, outputs once written).
import type { FormatterOptions } from "../formats/formatter.js";
import type { RunPool } from "./export.js";
import { type FormattedRun, type RecordRun, RecordRunFormatter } from "./record-batch-formatter.js";
import { RecordBuffers } from "./record-buffers.js";

export class InlinePool implements RunPool {
  readonly threads = 1;
  private readonly formatter: RecordRunFormatter;
  private readonly records = new RecordBuffers(Buffer.allocUnsafeSlow);

  constructor(options: FormatterOptions) {
    this.formatter = new RecordRunFormatter(options);
  }

  readonly alloc = this.records.alloc;

  format(runs: readonly RecordRun[]): Promise<FormattedRun> {
    try {
      const result = this.formatter.format(runs);
      for (const run of runs) this.records.giveBack(whole(run.records));
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
