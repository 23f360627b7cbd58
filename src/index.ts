// The cbexport library: read archives and streams as typed events, decode single records, format events.
import type { Damage } from "./decode/damage.js";
import type { RecordContext, SensorEvent } from "./decode/event.js";
import { EventFormatter, type FormatterOptions } from "./formats/formatter.js";
import { formatOptions } from "./formats/options.js";
import { type ArchiveFile, listArchiveFiles, type RecordBatch, readArchiveFile } from "./sources/archive.js";
import { readRecordStream } from "./sources/stream.js";

export type { Damage, DamageKind } from "./decode/damage.js";
export { describeDamage } from "./decode/damage.js";
export type {
  DecodeResult,
  EventKind,
  PayloadByKind,
  RecordContext,
  SensorEvent,
  SensorIdSource,
} from "./decode/event.js";
export { decodeRecord, toSensorEvent } from "./decode/event.js";
export { type Frame, Framer, frameBuffer } from "./decode/framing.js";
export {
  filetimeToUnix,
  filetimeToUnixFloat,
  hexUpper,
  ipAddrText,
  ipv4FromLittleEndian,
  processGuid,
  swapPort,
} from "./decode/values.js";
export { ProtobufError } from "./decode/wire.js";
export { type Doc, FloatValue, RawNumber, type Value } from "./formats/document.js";
export {
  EventFormatter,
  type FormatOutcome,
  type FormatterOptions,
  type OutputFormat,
} from "./formats/formatter.js";
export { forwarderDocument, RAW_EVENT_NAMES } from "./formats/forwarder.js";
export { documentJson, goQuote } from "./formats/json-text.js";
export { leefLine } from "./formats/leef.js";
export { normalizeNotification } from "./formats/notification.js";
export { type FormatOptions, formatOptions, type Profile } from "./formats/options.js";
export type * from "./schema/generated.js";
export { decodeEventMessage } from "./schema/generated.js";
export { type ArchiveFile, listArchiveFiles, type RecordBatch, readArchiveFile } from "./sources/archive.js";
export { decodeBusMessage } from "./sources/bus-message.js";

/** One item of `readEvents`: a typed event, or the damage report of a record that could not be decoded. */
export type RecordItem = { event: SensorEvent; damage?: undefined } | { event?: undefined; damage: Damage };

export interface ReadEventsOptions {
  /** Sensor id for records without `env` when the folder name gives none. */
  sensorId?: number;
  maxRecordBytes?: number;
}

/**
 * Reads archived sensor event logs as typed events, in order. `source` is a file or folder path (folders are
 * searched recursively, the sensor id of each file comes from its folder name) or a byte stream.
 */
export async function* readEvents(
  source: string | AsyncIterable<Uint8Array>,
  options: ReadEventsOptions = {},
): AsyncGenerator<RecordItem> {
  if (typeof source !== "string") {
    const context: RecordContext =
      options.sensorId === undefined ? {} : { sensorId: options.sensorId, sensorIdSource: "option" };
    yield* items(readRecordStream(source, context, options.maxRecordBytes));
    return;
  }
  const files: ArchiveFile[] = await listArchiveFiles([source]);
  for (const file of files) yield* items(readArchiveFile(file, options));
}

async function* items(batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordItem> {
  for await (const batch of batches) {
    // Damage and events of one batch come back in input order.
    let d = 0;
    for (const event of batch.events) {
      while (d < batch.damages.length && batch.damages[d].offset < (event.offset ?? 0))
        yield { damage: batch.damages[d++] };
      yield { event };
    }
    while (d < batch.damages.length) yield { damage: batch.damages[d++] };
  }
}

/** Formats one event as output lines (usually one; none when the profile does not export it). */
export function formatEvent(event: SensorEvent, options: Partial<FormatterOptions> = {}): string[] {
  const settings = { ...options, ...formatOptions(options), format: options.format ?? "json" };
  const outcome = new EventFormatter(settings).event(event);
  if (outcome.status === "failed") throw new Error(outcome.reason);
  return outcome.status === "lines" ? outcome.lines : [];
}
