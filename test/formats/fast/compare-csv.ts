// Compares the direct CSV/table writer with the reference path byte for byte: decodeRecord → forwarderDocument →
// csvLine/tableLine → UTF-8, as the pipeline encodes the reference lines. Both entry points: raw records
// (FastForwarderCsv.writeRecord) and decoded events (EventFormatter.event). Records the reference decodes as
// damage, or fails to render, must be deferred (and their events left to the reference path).
import assert from "node:assert/strict";
import { decodeRecord, type RecordContext, type SensorEvent } from "../../../src/decode/event.js";
import { FastForwarderCsv } from "../../../src/formats/fast/forwarder-csv.js";
import { JsonBytes } from "../../../src/formats/fast/json-bytes.js";
import { DEFERRED, SKIPPED, WRITTEN } from "../../../src/formats/fast/record-writer.js";
import { KINDS } from "../../../src/formats/fast/selection.js";
import { EventFormatter, type FormatOutcome, type FormatterOptions } from "../../../src/formats/formatter.js";
import { forwarderDocument } from "../../../src/formats/forwarder.js";
import { formatOptions } from "../../../src/formats/options.js";
import { csvLine, tableLine } from "../../../src/formats/table.js";

/** Bytes around a record that would end in a wrong value if read: 0xff starts an endless varint. */
const FILLER = Buffer.alloc(16, 0xff);

export interface CsvSettings {
  format?: "csv" | "table";
  timeFloat?: boolean;
  legacyMd5Column?: boolean;
  serverUrl?: string;
  rawEvents?: ReadonlySet<string>;
}

export function csvOptions(settings: CsvSettings = {}): FormatterOptions {
  const base = formatOptions({
    serverName: "cbserver",
    serverUrl: settings.serverUrl,
    timeFloat: settings.timeFloat,
  });
  return {
    ...base,
    format: settings.format ?? "csv",
    legacyMd5Column: settings.legacyMd5Column,
    rawEvents: settings.rawEvents,
  };
}

/** The CSV/table settings the comparisons run with. */
export const CSV_SETTINGS: [string, CsvSettings][] = [
  ["csv, integer time", {}],
  ["csv, float time, legacy md5 column", { timeFloat: true, legacyMd5Column: true }],
  ["table, integer time", { format: "table" }],
  ["table, float time, legacy md5 column", { format: "table", timeFloat: true, legacyMd5Column: true }],
];

/** The reference path's outcome for a decoded event. */
export function referenceOutcome(event: SensorEvent, opts: FormatterOptions): FormatOutcome {
  let doc: ReturnType<typeof forwarderDocument>;
  try {
    doc = forwarderDocument(event, opts);
    if (doc === undefined) return { status: "skipped" };
    const table = { legacyMd5Column: opts.legacyMd5Column };
    return {
      status: "lines",
      lines: [opts.format === "table" ? tableLine(doc, table) : csvLine(doc, table)],
    };
  } catch (err) {
    return { status: "failed", reason: err instanceof Error ? err.message : String(err) };
  }
}

export class CsvComparer {
  /** deferred: records the writer left to the reference path though the reference writes or skips them. */
  readonly counts = { written: 0, skipped: 0, deferred: 0, damaged: 0, failed: 0 };
  readonly mismatches: string[] = [];
  private readonly fast: FastForwarderCsv;
  private readonly formatter: EventFormatter;
  private readonly out = new JsonBytes(1024);

  constructor(readonly opts: FormatterOptions) {
    const writer = new EventFormatter(opts).recordWriter;
    assert.ok(writer instanceof FastForwarderCsv, "the direct CSV writer covers these settings");
    this.fast = writer;
    this.formatter = new EventFormatter(opts);
  }

  /** Checks one record; `name` identifies it in mismatch reports. */
  check(payload: Buffer, context: RecordContext, name: string): void {
    const decoded = decodeRecord(payload, context);
    const start = this.out.pos;
    // Inside a larger buffer, as records stand in a run of the input: the writer must keep to its range.
    const framed = Buffer.concat([FILLER.subarray(0, 7), payload, FILLER.subarray(0, 5)]);
    const status = this.fast.writeRecord(framed, 7, 7 + payload.length, context, this.out);
    if (!decoded.ok) {
      this.counts.damaged++;
      if (status !== DEFERRED) this.report(name, "damage", `status ${status}`);
      return;
    }
    const event = decoded.event;
    const outcome = referenceOutcome(event, this.opts);
    if (outcome.status === "failed") {
      this.counts.failed++;
      if (status !== DEFERRED) this.report(name, `<failed: ${outcome.reason}>`, this.written(start, status));
    } else if (status === DEFERRED) this.counts.deferred++;
    else if (status === SKIPPED) {
      this.counts.skipped++;
      if (outcome.status !== "skipped") this.report(name, outcome.lines.join("\n"), "<skipped>");
    } else {
      assert.equal(status, WRITTEN);
      this.counts.written++;
      const got = this.out.buf.subarray(start, this.out.pos);
      const expected =
        outcome.status === "lines" ? Buffer.from(`${outcome.lines.join("\n")}\n`, "utf8") : undefined;
      if (expected === undefined || !got.equals(expected))
        this.report(name, expected?.toString("utf8") ?? "<skipped>", got.toString("utf8"));
    }
    if (status !== DEFERRED && KINDS[this.fast.kindIndex] !== event.kind)
      this.report(name, event.kind, `kind ${KINDS[this.fast.kindIndex]}`);
    this.out.pos = 0;
    // The decoded event through EventFormatter.event (the direct writer's eventLine, else the reference).
    const viaEvent = this.formatter.event(event);
    if (JSON.stringify(viaEvent) !== JSON.stringify(outcome))
      this.report(`${name} (decoded event)`, JSON.stringify(outcome), JSON.stringify(viaEvent));
  }

  /** Asserts no mismatch, and how many records the writer may defer beyond the damaged and failed ones. */
  assertSame(maxDeferred = 0): void {
    assert.equal(
      this.mismatches.length,
      0,
      `${this.mismatches.length} mismatches:\n${this.mismatches.slice(0, 5).join("\n")}`,
    );
    assert.ok(this.counts.deferred <= maxDeferred, `deferred ${this.counts.deferred} > ${maxDeferred}`);
  }

  private written(start: number, status: number): string {
    return status === WRITTEN ? this.out.buf.toString("utf8", start, this.out.pos) : `status ${status}`;
  }

  private report(name: string, want: string, got: string): void {
    if (this.mismatches.length < 20)
      this.mismatches.push(`${name}\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
    else this.mismatches.push(name);
  }
}
