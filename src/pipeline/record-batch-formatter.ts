// Formats a run of complete framed records into encoded output lines, with the counts the run summary needs.
// The same code runs in-process and in worker threads (pipeline/parallel.ts), so both give identical bytes.
import type { Damage } from "../decode/damage.js";
import { decodeRecord, type RecordContext, type SensorEvent } from "../decode/event.js";
import { type Frame, Framer } from "../decode/framing.js";
import { DEFERRED, type FastForwarderJson, WRITTEN } from "../formats/fast/forwarder-json.js";
import { JsonBytes } from "../formats/fast/json-bytes.js";
import { EventFormatter, type FormatOutcome, type FormatterOptions } from "../formats/formatter.js";
import { decodeFrames } from "../sources/archive.js";
import { LineBuffer } from "./line-buffer.js";

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

export class RecordRunFormatter {
  private readonly formatter: EventFormatter;
  private readonly restoreInvalidBytes: boolean;
  /** Output of the fast path, reused: take() hands each run's bytes over. */
  private readonly output = new JsonBytes(1 << 20);

  constructor(options: FormatterOptions) {
    this.formatter = new EventFormatter(options);
    this.restoreInvalidBytes = options.format === "leef" && options.profile === "forwarder";
  }

  format(run: RecordRun): FormattedRun {
    const framer = new Framer({ file: run.context.file, startOffset: run.offset, startIndex: run.index });
    const frames: Frame[] = [];
    framer.push(run.records, frames, []);
    const fast = this.formatter.fast;
    if (fast !== undefined) return this.formatRecords(run, frames, fast);
    const batch = decodeFrames(frames, [], run.context, framer);
    const lines = new LineBuffer(Math.max(4096, run.records.length * 2), this.restoreInvalidBytes);
    const tally = new Tally();
    for (const event of batch.events)
      tally.add(event, this.formatter.event(event), (line) => lines.add(line));
    return tally.result(lines.take(), frames.length, batch.damages);
  }

  /**
   * Forwarder JSON straight from the records, without decoded events (formats/fast/). The few records the fast
   * writer defers (damaged, unexported payloads) are decoded and formatted as above, in place.
   */
  private formatRecords(run: RecordRun, frames: Frame[], fast: FastForwarderJson): FormattedRun {
    const out = this.output;
    const tally = new Tally();
    const damages: Damage[] = [];
    for (const frame of frames) {
      const status = fast.writeRecord(frame.payload, run.context, out);
      if (status !== DEFERRED) {
        tally.count(status === WRITTEN ? tally.exported : tally.skipped, fast.kind);
        if (status === WRITTEN) tally.lines++;
        continue;
      }
      const decoded = decodeRecord(frame.payload, run.context, frame.offset);
      if (decoded.ok) tally.add(decoded.event, this.formatter.event(decoded.event), (line) => out.line(line));
      else {
        decoded.damage.index = frame.index;
        damages.push(decoded.damage);
      }
    }
    return tally.result(out.take(), frames.length, damages);
  }
}

/** Lines and per-kind counts of one run. */
class Tally {
  readonly exported = new Map<string, number>();
  readonly skipped = new Map<string, number>();
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
