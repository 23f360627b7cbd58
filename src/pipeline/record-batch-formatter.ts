// Formats a run of complete framed records into encoded output lines, with the counts the run summary needs.
// The same code runs in-process and in worker threads (pipeline/parallel.ts), so both give identical bytes.
import type { Damage } from "../decode/damage.js";
import type { RecordContext } from "../decode/event.js";
import { type Frame, Framer } from "../decode/framing.js";
import { EventFormatter, type FormatterOptions } from "../formats/formatter.js";
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

  constructor(options: FormatterOptions) {
    this.formatter = new EventFormatter(options);
    this.restoreInvalidBytes = options.format === "leef" && options.profile === "forwarder";
  }

  format(run: RecordRun): FormattedRun {
    const framer = new Framer({ file: run.context.file, startOffset: run.offset, startIndex: run.index });
    const frames: Frame[] = [];
    framer.push(run.records, frames, []);
    const batch = decodeFrames(frames, [], run.context, framer);
    const lines = new LineBuffer(Math.max(4096, run.records.length * 2), this.restoreInvalidBytes);
    const exported = new Map<string, number>();
    const skipped = new Map<string, number>();
    const failures: FormattedRun["failures"] = [];
    let count = 0;
    for (const event of batch.events) {
      const outcome = this.formatter.event(event);
      if (outcome.status === "lines") {
        exported.set(event.kind, (exported.get(event.kind) ?? 0) + 1);
        for (const line of outcome.lines) lines.add(line);
        count += outcome.lines.length;
      } else if (outcome.status === "skipped") {
        skipped.set(event.kind, (skipped.get(event.kind) ?? 0) + 1);
      } else {
        failures.push({
          kind: event.kind,
          reason: outcome.reason,
          where: `${event.file ?? "<input>"} at byte ${event.offset ?? 0}`,
        });
      }
    }
    return {
      output: lines.take(),
      lines: count,
      records: frames.length,
      exported: [...exported],
      skipped: [...skipped],
      failures,
      damages: batch.damages,
    };
  }
}
