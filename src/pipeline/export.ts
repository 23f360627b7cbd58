// The one-off export: archive files → typed events → formatted lines → sinks, then a summary.
import type { SensorEvent } from "../decode/event.js";
import type { EventFormatter } from "../formats/formatter.js";
import { type ArchiveFile, type ReadOptions, readArchiveFile } from "../sources/archive.js";
import type { LineWriter } from "./line-writer.js";
import type { RunSummary } from "./summary.js";

/** Formats one event into the writer and the summary. Returns a promise only when the writer is writing out. */
export function emitEvent(
  event: SensorEvent,
  formatter: EventFormatter,
  writer: LineWriter,
  summary: RunSummary,
): Promise<void> | undefined {
  const outcome = formatter.event(event);
  if (outcome.status === "skipped") {
    summary.count(summary.skipped, event.kind);
    return undefined;
  }
  if (outcome.status === "failed") {
    summary.fail(event.kind, outcome.reason, `${event.file ?? "<input>"} at byte ${event.offset ?? 0}`);
    return undefined;
  }
  summary.count(summary.exported, event.kind);
  let pending: Promise<void> | undefined;
  for (const line of outcome.lines) {
    summary.lines++;
    const p = writer.add(line);
    if (p !== undefined) pending = pending === undefined ? p : pending.then(() => p);
  }
  return pending;
}

/**
 * Exports every record of the files, in order. `afterFile` runs once a file's lines are durably written;
 * `damaged` says whether any of its records was damaged or could not be formatted.
 */
export async function exportFiles(
  files: readonly ArchiveFile[],
  formatter: EventFormatter,
  writer: LineWriter,
  summary: RunSummary,
  options: ReadOptions & { afterFile?: (file: ArchiveFile, damaged: boolean) => Promise<void> } = {},
): Promise<void> {
  for (const file of files) {
    summary.files++;
    const troubleBefore = summary.damaged + summary.totalFailed();
    let consumed = 0;
    for await (const batch of readArchiveFile(file, options)) {
      summary.bytes += batch.consumed - consumed;
      summary.records += batch.records;
      for (const damage of batch.damages) summary.damage(damage);
      for (const event of batch.events) {
        const p = emitEvent(event, formatter, writer, summary);
        if (p !== undefined) await p;
      }
      consumed = batch.consumed;
    }
    if (options.afterFile !== undefined) {
      await writer.flush();
      await options.afterFile(file, summary.damaged + summary.totalFailed() > troubleBefore);
    }
  }
  await writer.flush();
}
