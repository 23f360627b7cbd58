// Compares the fast forwarder JSON paths with the reference path (forwarderDocument + documentJson), byte for
// byte: the fused record writer (FastForwarderJson.writeRecord), the decoded-event writer (EventFormatter.event),
// and that every record the reference decodes as damage is deferred by the fused writer.
import assert from "node:assert/strict";
import { decodeRecord, type RecordContext } from "../../../src/decode/event.js";
import {
  DEFERRED,
  type FastForwarderJson,
  SKIPPED,
  WRITTEN,
} from "../../../src/formats/fast/forwarder-json.js";
import { JsonBytes } from "../../../src/formats/fast/json-bytes.js";
import { EventFormatter, type FormatterOptions } from "../../../src/formats/formatter.js";
import { forwarderDocument } from "../../../src/formats/forwarder.js";
import { documentJson } from "../../../src/formats/json-text.js";
import { formatOptions } from "../../../src/formats/options.js";

/** Bytes around a record that would end in a wrong value if read: 0xff starts an endless varint. */
const FILLER = Buffer.alloc(16, 0xff);

export interface Settings {
  serverUrl?: string;
  timeFloat?: boolean;
  serverName?: string;
  rawEvents?: ReadonlySet<string>;
}

export function options(settings: Settings = {}): FormatterOptions {
  const base = formatOptions({
    serverName: settings.serverName ?? "cbserver",
    serverUrl: settings.serverUrl,
    timeFloat: settings.timeFloat,
  });
  return { ...base, format: "json", rawEvents: settings.rawEvents };
}

export class PathComparer {
  readonly counts = { written: 0, skipped: 0, deferred: 0, damaged: 0 };
  readonly mismatches: string[] = [];
  private readonly fast: FastForwarderJson;
  private readonly formatter: EventFormatter;
  private readonly out = new JsonBytes(1024);

  constructor(readonly opts: FormatterOptions) {
    this.formatter = new EventFormatter(opts);
    const fast = this.formatter.fast;
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
    const want = doc === undefined ? undefined : documentJson(doc, true);
    if (status === DEFERRED) this.counts.deferred++;
    else if (status === SKIPPED) {
      this.counts.skipped++;
      if (want !== undefined) this.report(name, want, "<skipped>");
      if (this.fast.kind !== event.kind) this.report(name, event.kind, `kind ${this.fast.kind}`);
    } else {
      assert.equal(status, WRITTEN);
      this.counts.written++;
      const got = this.out.buf.subarray(start, this.out.pos);
      const expected = want === undefined ? undefined : Buffer.from(`${want}\n`, "utf8");
      if (expected === undefined || !got.equals(expected)) this.report(name, want, got.toString("utf8"));
      if (this.fast.kind !== event.kind) this.report(name, event.kind, `kind ${this.fast.kind}`);
    }
    this.out.pos = 0;
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
