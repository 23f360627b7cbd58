// Compares the fast forwarder paths with the reference path, byte for byte: for JSON (forwarderDocument +
// documentJson) the fused record writer (FastForwarderJson.writeRecord) and the decoded-event writer
// (EventFormatter.event); for LEEF (forwarderDocument + leefLine, then the pipeline's LineBuffer restoring invalid
// bytes) the fused record writer (FastForwarderLeef). And that every record the reference decodes as damage is
// deferred by the fused writer.
import assert from "node:assert/strict";
import { decodeRecord, type RecordContext } from "../../../src/decode/event.js";
import { DEFERRED, SKIPPED, WRITTEN } from "../../../src/formats/fast/forwarder-json.js";
import { JsonBytes } from "../../../src/formats/fast/json-bytes.js";
import type { RecordWriter } from "../../../src/formats/fast/record-writer.js";
import { KINDS } from "../../../src/formats/fast/selection.js";
import { EventFormatter, type FormatterOptions } from "../../../src/formats/formatter.js";
import { forwarderDocument } from "../../../src/formats/forwarder.js";
import { documentJson } from "../../../src/formats/json-text.js";
import { leefLine } from "../../../src/formats/leef.js";
import { formatOptions } from "../../../src/formats/options.js";
import { LineBuffer } from "../../../src/pipeline/line-buffer.js";

/** Bytes around a record that would end in a wrong value if read: 0xff starts an endless varint. */
const FILLER = Buffer.alloc(16, 0xff);

export interface Settings {
  serverUrl?: string;
  timeFloat?: boolean;
  serverName?: string;
  rawEvents?: ReadonlySet<string>;
}

/** The formats with a fast path: every comparison runs for both. */
export const FORMATS = ["json", "leef"] as const;
export type FastFormat = (typeof FORMATS)[number];

export function options(settings: Settings = {}, format: FastFormat = "json"): FormatterOptions {
  const base = formatOptions({
    serverName: settings.serverName ?? "cbserver",
    serverUrl: settings.serverUrl,
    timeFloat: settings.timeFloat,
  });
  return { ...base, format, rawEvents: settings.rawEvents };
}

/** The reference bytes of a LEEF line as the pipeline writes them (invalid bytes restored), with its "\n". */
export function referenceLeef(line: string): Buffer {
  const lines = new LineBuffer(256, true);
  lines.add(line);
  return lines.take();
}

export class PathComparer {
  readonly counts = { written: 0, skipped: 0, deferred: 0, damaged: 0 };
  readonly mismatches: string[] = [];
  private readonly fast: RecordWriter;
  private readonly formatter: EventFormatter;
  private readonly leef: boolean;
  private readonly out = new JsonBytes(1024);

  constructor(readonly opts: FormatterOptions) {
    this.formatter = new EventFormatter(opts);
    this.leef = opts.format === "leef";
    const fast = this.formatter.recordWriter;
    assert.ok(fast !== undefined, "the fast path covers these settings");
    this.fast = fast;
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
    const doc = forwarderDocument(event, this.opts);
    const want =
      doc === undefined ? undefined : this.leef ? leefLine(doc, "forwarder") : documentJson(doc, true);
    if (status === DEFERRED) this.counts.deferred++;
    else if (status === SKIPPED) {
      this.counts.skipped++;
      if (want !== undefined) this.report(name, want, "<skipped>");
      if (KINDS[this.fast.kindIndex] !== event.kind)
        this.report(name, event.kind, `kind ${KINDS[this.fast.kindIndex]}`);
    } else {
      assert.equal(status, WRITTEN);
      this.counts.written++;
      const got = this.out.buf.subarray(start, this.out.pos);
      const expected =
        want === undefined ? undefined : this.leef ? referenceLeef(want) : Buffer.from(`${want}\n`, "utf8");
      // LEEF lines may hold raw invalid bytes: shown as latin1, one character per byte.
      const encoding = this.leef ? "latin1" : "utf8";
      if (expected === undefined || !got.equals(expected))
        this.report(name, expected?.toString(encoding), got.toString(encoding));
      if (KINDS[this.fast.kindIndex] !== event.kind)
        this.report(name, event.kind, `kind ${KINDS[this.fast.kindIndex]}`);
    }
    this.out.pos = 0;
    // LEEF has no decoded-event writer: EventFormatter.event is the reference path there.
    if (this.leef) return;
    const outcome = this.formatter.event(event);
    const line = outcome.status === "lines" ? outcome.lines.join("\n") : `<${outcome.status}>`;
    if (line !== (want ?? "<skipped>")) this.report(`${name} (decoded event)`, want, line);
  }

  /** Asserts no mismatch, and how many records the fused writer may defer. */
  assertSame(maxDeferred = 0): void {
    assert.equal(
      this.mismatches.length,
      0,
      `${this.mismatches.length} mismatches:\n${this.mismatches.slice(0, 5).join("\n")}`,
    );
    assert.ok(this.counts.deferred <= maxDeferred, `deferred ${this.counts.deferred} > ${maxDeferred}`);
  }

  private report(name: string, want: string | undefined, got: string): void {
    if (this.mismatches.length < 20) this.mismatches.push(`${name}\n  want ${want}\n  got  ${got}`);
    else this.mismatches.push(name);
  }
}
