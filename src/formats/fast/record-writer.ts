// What the pipeline needs of a direct writer: lines straight from raw records, no decoded events in between.
import type { RecordContext } from "../../decode/event.js";
import type { JsonBytes } from "./json-bytes.js";

/** writeRecord results. */
export const WRITTEN = 1;
/** Not exported (kind not selected): counted as skipped, nothing written. */
export const SKIPPED = 0;
/** Not handled here: decode the record and format it with EventFormatter.event (the reference path). */
export const DEFERRED = -1;

/** Records above this size go to the reference path (writers reserve output room per record in advance). */
export const MAX_FAST_RECORD = 1 << 20;

export interface RecordWriter {
  /** Kind of the record last passed to writeRecord (when WRITTEN or SKIPPED), as its index in KINDS. */
  readonly kindIndex: number;
  /**
   * Appends the line of one raw record (a serialized CbEventMsg, `src[start..end)`) and "\n" to `out`. Returns
   * WRITTEN, SKIPPED, or DEFERRED: malformed records and whatever the writer does not cover are left to the
   * reference path, which then reports the damage or formats the record, so the output is the same.
   */
  writeRecord(src: Buffer, start: number, end: number, context: RecordContext, out: JsonBytes): number;
}
