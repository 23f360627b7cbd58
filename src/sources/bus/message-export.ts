// One bus delivery → output lines, through the same decoder and formatter as `convert`, and the list of
// problems that make the message a dead letter (damage, a failed notification, an event that cannot be
// formatted). Good events of a partly damaged message are still written.
import { describeDamage } from "../../decode/damage.js";
import type { EventFormatter } from "../../formats/formatter.js";
import { emitEvent } from "../../pipeline/export.js";
import type { LineWriter } from "../../pipeline/line-writer.js";
import type { RecordRunFormatter } from "../../pipeline/record-batch-formatter.js";
import type { BatchStage } from "../../pipeline/stage.js";
import type { RunSummary } from "../../pipeline/summary.js";
import { copyOf } from "../../pipeline/transfer.js";
import {
  type BusDecodeOptions,
  type BusDecodeResult,
  type BusRun,
  decodeBusMessage,
} from "../bus-message.js";
import { EVENTS_EXCHANGE, RAW_EXCHANGE, type Selection } from "./selection.js";

/** What the consumer knows of a delivery (a subset of amqplib's ConsumeMessage, easy to build in tests). */
export interface Delivery {
  body: Buffer;
  exchange: string;
  routingKey: string;
  contentType?: string | undefined;
  headers?: Record<string, unknown> | undefined;
}

export interface MessageOutcome {
  events: number;
  lines: number;
  /** Empty when the whole message was exported. */
  problems: string[];
}

export interface MessageExporterOptions {
  selection: Selection;
  decode?: BusDecodeOptions;
  /** --sensor-id: for records that carry no env and arrive without a sensorId header. */
  sensorId?: number | undefined;
  /** Enrichment and routed back-pressure around each message's events (`cbexport run`). */
  stage?: BatchStage | undefined;
  /**
   * Formats bundles' records straight from their bytes with a direct writer (formats/fast/), without an event
   * per record: for a formatter of one format with the same options, and without a stage.
   */
  records?: RecordRunFormatter | undefined;
}

export class MessageExporter {
  constructor(
    private readonly formatter: EventFormatter,
    private readonly writer: LineWriter,
    private readonly summary: RunSummary,
    private readonly options: MessageExporterOptions,
  ) {}

  async export(delivery: Delivery): Promise<MessageOutcome> {
    const outcome: MessageOutcome = { events: 0, lines: 0, problems: [] };
    const name = `${delivery.exchange}/${delivery.routingKey}`;
    const decoded = this.decode(delivery, name, outcome);
    if (decoded === undefined) return outcome;
    for (const damage of decoded.damages) {
      this.summary.damage(damage);
      outcome.problems.push(describeDamage(damage));
    }
    this.summary.records += decoded.events.length;
    const records = this.options.records;
    if (records !== undefined && decoded.runs.length > 0)
      await this.writeRuns(records, decoded.runs, outcome);
    const stage = this.options.stage;
    if (stage?.before !== undefined && this.options.selection.raw && decoded.events.length > 0) {
      const before = stage.before(decoded.events);
      if (before !== undefined) await before;
    }
    for (const event of decoded.events) {
      if (!this.options.selection.raw) {
        this.summary.count(this.summary.skipped, event.kind);
        continue;
      }
      const failedBefore = this.summary.totalFailed();
      const linesBefore = this.summary.lines;
      const pending = emitEvent(event, this.formatter, this.writer, this.summary);
      if (pending !== undefined) await pending;
      if (this.summary.totalFailed() > failedBefore) {
        outcome.problems.push(
          `cannot format the ${event.kind} event at byte ${event.offset ?? 0} of ${event.file}`,
        );
      }
      if (this.summary.lines > linesBefore) outcome.events++;
      outcome.lines += this.summary.lines - linesBefore;
    }
    if (decoded.notification !== undefined) await this.notification(decoded, name, outcome);
    const after = stage?.after?.();
    if (after !== undefined) await after;
    return outcome;
  }

  /** Bundles' records by the direct writer, in one output; records it cannot write are decoded and reported. */
  private async writeRuns(
    formatter: RecordRunFormatter,
    runs: readonly BusRun[],
    outcome: MessageOutcome,
  ): Promise<void> {
    const formatted = formatter.format(runs);
    // As when decoding every record: a record that does not decode is damage, not a record in.
    this.summary.records += formatted.records - formatted.damages.length;
    this.summary.addFormatted(formatted);
    for (const damage of formatted.damages) outcome.problems.push(describeDamage(damage));
    for (const f of formatted.failures)
      outcome.problems.push(`cannot format the ${f.kind} event at ${f.where}`);
    for (const [, n] of formatted.exported) outcome.events += n;
    outcome.lines += formatted.lines;
    const output = formatted.output;
    const pending = this.writer.addEncoded(
      this.writer.releasesData ? output : copyOf(output),
      formatted.lines,
    );
    if (pending !== undefined) await pending;
    formatter.reuse(Buffer.from(output.buffer, 0, output.buffer.byteLength));
  }

  /** Never throws for a bad message: a decoder bug on one odd body must not stop the stream (poison message). */
  private decode(delivery: Delivery, name: string, outcome: MessageOutcome): BusDecodeResult | undefined {
    const { selection, sensorId } = this.options;
    let headers = delivery.headers;
    if (sensorId !== undefined && headers?.sensorId === undefined) headers = { ...headers, sensorId };
    try {
      return decodeBusMessage(
        {
          body: delivery.body,
          routingKey: delivery.routingKey,
          contentType: delivery.contentType,
          // The decoder tells bundles from single events by the server's exchange names (BUS.md §6).
          exchange: canonicalExchange(delivery.exchange, selection),
          headers,
          name,
        },
        { ...this.options.decode, runs: this.options.records !== undefined && selection.raw },
      );
    } catch (err) {
      const reason = `decoder failed: ${(err as Error).message}`;
      this.summary.damage({ kind: "bad-message", file: name, offset: 0, message: reason });
      outcome.problems.push(reason);
      return undefined;
    }
  }

  private async notification(decoded: BusDecodeResult, name: string, outcome: MessageOutcome): Promise<void> {
    const note = decoded.notification;
    if (note === undefined) return;
    this.summary.records++;
    if (!this.options.selection.notifications) {
      this.summary.count(this.summary.skipped, "notification");
      return;
    }
    const result = this.formatter.notification(note.body, note.routingKey);
    if (result.status === "failed") {
      this.summary.fail("notification", result.reason, name);
      outcome.problems.push(`notification cannot be converted: ${result.reason}`);
      return;
    }
    if (result.status === "skipped") return;
    this.summary.count(this.summary.exported, "notification");
    outcome.events++;
    for (const line of result.lines) {
      this.summary.lines++;
      outcome.lines++;
      const pending = this.writer.add(line);
      if (pending !== undefined) await pending;
    }
  }
}

function canonicalExchange(exchange: string, selection: Selection): string {
  if (exchange === selection.rawExchange) return RAW_EXCHANGE;
  if (exchange === selection.eventsExchange) return EVENTS_EXCHANGE;
  return exchange;
}
