// Formats runs of complete framed records into encoded output lines, with the counts the run summary needs.
// The same code runs in-process and in worker threads (pipeline/parallel.ts), so both give identical bytes.
import type { Damage } from "../decode/damage.js";
import { decodeRecord, type RecordContext, type SensorEvent } from "../decode/event.js";
import { type Frame, Framer } from "../decode/framing.js";
import { JsonBytes } from "../formats/fast/json-bytes.js";
import { DEFERRED, type RecordWriter, WRITTEN } from "../formats/fast/record-writer.js";
import { KINDS } from "../formats/fast/selection.js";
import { EventFormatter, type FormatOutcome, type FormatterOptions } from "../formats/formatter.js";
import { decodeFrames } from "../sources/archive.js";

/** Records to format: complete records back to back, as they stand in the input at `offset`. */
export interface RecordRun {
  records: Buffer;
  /** Input offset and index of the first record. */
  offset: number;
  index: number;
  context: RecordContext;
}

export interface FormattedRun {
  /** Encoded lines, each ending in "\n". */
  output: Buffer;
  lines: number;
  records: number;
  exported: [string, number][];
  skipped: [string, number][];
  failures: { kind: string; reason: string; where: string }[];
  /** Records that did not decode (framing damage is reported by whoever framed the input). */
  damages: Damage[];
}

/** Room for the output of a job (about twice its 1 MiB of input in JSON or LEEF), so it rarely grows. */
const OUTPUT_BYTES = 4 << 20;

export class RecordRunFormatter {
  private readonly formatter: EventFormatter;
  private readonly restoreInvalidBytes: boolean;
  /** Output of the fast path, reused: take() hands each run's bytes over. */
  private readonly output = new JsonBytes(0);
  /** Memory of earlier outputs, given back once written (see reuse). */
  private readonly spares: Buffer[] = [];

  /** `alloc`: memory for outputs (a worker thread passes shared memory); default: ordinary buffers. */
  constructor(
    options: FormatterOptions,
    private readonly alloc: (size: number) => Buffer = Buffer.allocUnsafeSlow,
  ) {
    this.formatter = new EventFormatter(options);
    this.restoreInvalidBytes = options.format === "leef" && options.profile === "forwarder";
    this.output.take(alloc(OUTPUT_BYTES));
  }

  /** Gives back the memory of an earlier run's output, to be written over (it saves allocating and faulting in). */
  reuse(memory: Buffer): void {
    if (memory.length >= OUTPUT_BYTES) this.spares.push(memory);
  }

  /** Formats runs (of one file or of several) into one output, in order. */
  format(runs: readonly RecordRun[]): FormattedRun {
    const tally = new Tally();
    const damages: Damage[] = [];
    let records = 0;
    const writer = this.formatter.recordWriter;
    for (const run of runs) {
      records +=
        writer !== undefined
          ? this.writeRecords(run, writer, tally, damages)
          : this.formatEvents(run, tally, damages);
    }
    return tally.result(this.takeOutput(), records, damages);
  }

  /** What was written, handed over; writing goes on in memory given back (reuse) or new. */
  private takeOutput(): Buffer {
    // Every path writes into the same output memory (shared with the main thread on a worker: transfer.ts).
    return this.output.take(this.spares.pop() ?? this.alloc(OUTPUT_BYTES));
  }

  /** The reference path: records decoded into events, each formatted by EventFormatter. Returns the records. */
  private formatEvents(run: RecordRun, tally: Tally, damages: Damage[]): number {
    const framer = new Framer({ file: run.context.file, startOffset: run.offset, startIndex: run.index });
    const frames: Frame[] = [];
    framer.push(run.records, frames, []);
    const batch = decodeFrames(frames, [], run.context, framer);
    const out = this.output;
    const restore = this.restoreInvalidBytes;
    for (const event of batch.events)
      tally.add(event, this.formatter.event(event), (line) => out.line(line, restore));
    damages.push(...batch.damages);
    return frames.length;
  }

  /**
   * Lines straight from the records with a direct writer (formats/fast/), without decoded events or even a
   * frame object per record. The few records the writer defers (damaged, not covered) are decoded and formatted
   * as above, in place. Returns the number of records.
   */
  private writeRecords(run: RecordRun, writer: RecordWriter, tally: Tally, damages: Damage[]): number {
    const src = run.records;
    let index = run.index;
    let records = 0;
    // The run holds complete records only: whoever cut it framed it, and reported its framing damage.
    for (let pos = 0; pos + 4 <= src.length; index++) {
      const start = pos + 4;
      const end = start + src.readUInt32LE(pos);
      const offset = run.offset + pos;
      pos = end;
      if (end === start) continue; // a zero-length record: framing damage
      records++;
      this.writeRecord(src, start, end, offset, index, run.context, writer, tally, damages);
    }
    return records;
  }

  /** One record `src[start..end)` (at `offset` in its input) by the direct writer, else by the reference path. */
  private writeRecord(
    src: Buffer,
    start: number,
    end: number,
    offset: number,
    index: number,
    context: RecordContext,
    writer: RecordWriter,
    tally: Tally,
    damages: Damage[],
  ): void {
    const status = writer.writeRecord(src, start, end, context, this.output);
    if (status === WRITTEN) {
      tally.exportedByKind[writer.kindIndex]++;
      tally.lines++;
    } else if (status !== DEFERRED) tally.skippedByKind[writer.kindIndex]++;
    else this.formatDecoded(src.subarray(start, end), offset, index, context, tally, damages);
  }

  /** The reference path for one record: decoded, then formatted by EventFormatter, or reported as damage. */
  private formatDecoded(
    payload: Buffer,
    offset: number,
    index: number,
    context: RecordContext,
    tally: Tally,
    damages: Damage[],
  ): void {
    const decoded = decodeRecord(payload, context, offset);
    if (decoded.ok) {
      const out = this.output;
      const restore = this.restoreInvalidBytes;
      tally.add(decoded.event, this.formatter.event(decoded.event), (line) => out.line(line, restore));
    } else {
      decoded.damage.index = index;
      damages.push(decoded.damage);
    }
  }
}

/** Lines and per-kind counts of one run. */
class Tally {
  readonly exported = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  /** Counts of the direct writer's records, by kind index (formats/fast/selection.ts KINDS). */
  readonly exportedByKind = new Int32Array(KINDS.length);
  readonly skippedByKind = new Int32Array(KINDS.length);
  readonly failures: FormattedRun["failures"] = [];
  lines = 0;

  count(counts: Map<string, number>, kind: string): void {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }

  add(event: SensorEvent, outcome: FormatOutcome, addLine: (line: string) => void): void {
    if (outcome.status === "lines") {
      this.count(this.exported, event.kind);
      for (const line of outcome.lines) addLine(line);
      this.lines += outcome.lines.length;
    } else if (outcome.status === "skipped") this.count(this.skipped, event.kind);
    else {
      this.failures.push({
        kind: event.kind,
        reason: outcome.reason,
        where: `${event.file ?? "<input>"} at byte ${event.offset ?? 0}`,
      });
    }
  }

  result(output: Buffer, records: number, damages: Damage[]): FormattedRun {
    KINDS.forEach((kind, i) => {
      if (this.exportedByKind[i] > 0)
        this.exported.set(kind, (this.exported.get(kind) ?? 0) + this.exportedByKind[i]);
      if (this.skippedByKind[i] > 0)
        this.skipped.set(kind, (this.skipped.get(kind) ?? 0) + this.skippedByKind[i]);
    });
    return {
      output,
      lines: this.lines,
      records,
      exported: [...this.exported],
      skipped: [...this.skipped],
      failures: this.failures,
      damages,
    };
  }
}
