// The one-off export: archive files → typed events → formatted lines → sinks, then a summary.
import type { SensorEvent } from "../decode/event.js";
import type { EventFormatter } from "../formats/formatter.js";
import { type ArchiveFile, fileContext, type ReadOptions, readArchiveFile } from "../sources/archive.js";
import { readRecordRuns } from "../sources/record-runs.js";
import type { LineWriter } from "./line-writer.js";
import type { FormattedRun, RecordRun } from "./record-batch-formatter.js";
import type { BatchStage } from "./stage.js";
import type { RunSummary } from "./summary.js";
import { copyOf } from "./transfer.js";

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
  options: ReadOptions & {
    afterFile?: (file: ArchiveFile, damaged: boolean) => Promise<void>;
    stage?: BatchStage | undefined;
    /** Stops between batches (the batch in hand is written); `afterFile` does not run for the file cut short. */
    signal?: AbortSignal | undefined;
  } = {},
): Promise<void> {
  for (const file of files) {
    if (options.signal?.aborted) break;
    summary.files++;
    const troubleBefore = summary.damaged + summary.totalFailed();
    let consumed = 0;
    for await (const batch of readArchiveFile(file, options)) {
      summary.bytes += batch.consumed - consumed;
      summary.records += batch.records;
      for (const damage of batch.damages) summary.damage(damage);
      const before = options.stage?.before?.(batch.events);
      if (before !== undefined) await before;
      for (const event of batch.events) {
        const p = emitEvent(event, formatter, writer, summary);
        if (p !== undefined) await p;
      }
      const after = options.stage?.after?.();
      if (after !== undefined) await after;
      consumed = batch.consumed;
      if (options.signal?.aborted) break;
    }
    if (options.signal?.aborted) break;
    if (options.afterFile !== undefined) {
      await writer.flush();
      await options.afterFile(file, summary.damaged + summary.totalFailed() > troubleBefore);
    }
  }
  await writer.flush();
}

/** How many jobs may be formatting or waiting for their turn to be written (bounds memory). */
export const JOBS_IN_FLIGHT_PER_THREAD = 4;
const RUN_BYTES = 512 * 1024;
/** Input per job: small files share one, so messages and writes stay few and large. */
const JOB_BYTES = 1024 * 1024;

/** Formats jobs of record runs: on worker threads (FormatPool, parallel.ts) or in-process (InlinePool). */
export interface RunPool {
  /** Jobs it formats at once (its worker threads; 1 in-process). */
  readonly threads: number;
  /** Memory to read a run of at least `size` bytes into (recycled). */
  readonly alloc: (size: number) => Buffer;
  /** The runs' output, in order; their memory belongs to the pool from now on. */
  format(runs: readonly RecordRun[]): Promise<FormattedRun>;
  /** Gives back an output's memory once every sink is done with it. */
  recycleOutput(output: Buffer): void;
  /** Stops its threads, if it has any. */
  close?(): Promise<void>;
}

/**
 * exportFiles without an event object per record: files are cut into runs of whole records, formatted in jobs
 * by the pool (direct writers where they cover the format, else decode and the formatter), and the jobs'
 * output written in input order, so the output is byte-identical to exportFiles.
 */
export async function exportFileRuns(
  files: readonly ArchiveFile[],
  pool: RunPool,
  writer: LineWriter,
  summary: RunSummary,
  options: ReadOptions & {
    afterFile?: (file: ArchiveFile, damaged: boolean) => Promise<void>;
    /** Stops between runs (what was read is written); `afterFile` does not run for the file cut short. */
    signal?: AbortSignal | undefined;
  } = {},
): Promise<void> {
  // Each job's output is written once it and every job before it are formatted, in a chain of its own, so that
  // reading and handing out jobs go on while a write is in progress (the main thread used to wait through
  // every write: 0.4-0.7 s per 540 MB here, while the workers ran out of jobs).
  const inFlight: Promise<void>[] = [];
  let lastWrite: Promise<void> = Promise.resolve();
  const write = async (run: FormattedRun) => {
    summary.records += run.records;
    summary.addFormatted(run);
    // The output's memory goes back to the workers once written; sinks that keep what they are given (a stream's
    // buffer, a network output's queue) get a copy, so memory stays bounded whatever the sinks.
    const p = writer.addEncoded(writer.releasesData ? run.output : copyOf(run.output), run.lines);
    if (p !== undefined) await p;
    pool.recycleOutput(run.output);
  };
  let job: RecordRun[] = [];
  let jobBytes = 0;
  const send = async () => {
    const written = Promise.all([pool.format(job), lastWrite]).then(([run]) => write(run));
    // Awaited in order below; a failure of one still in flight must not go unhandled meanwhile.
    written.catch(() => {});
    lastWrite = written;
    inFlight.push(written);
    job = [];
    jobBytes = 0;
    // Jobs formatting or being written, with their memory: bounded.
    if (inFlight.length >= pool.threads * JOBS_IN_FLIGHT_PER_THREAD) await inFlight.shift();
  };
  const drain = async () => {
    if (job.length > 0) await send();
    while (inFlight.length > 0) await inFlight.shift();
  };
  const signal = options.signal;
  for (const file of files) {
    if (signal?.aborted) break;
    summary.files++;
    const troubleBefore = summary.damaged + summary.totalFailed();
    const context = fileContext(file, options);
    let consumed = 0;
    const runOptions = { runBytes: RUN_BYTES, maxRecordBytes: options.maxRecordBytes, alloc: pool.alloc };
    for (const raw of readRecordRuns(file.path, runOptions)) {
      if (signal?.aborted) break;
      summary.bytes += raw.consumed - consumed;
      consumed = raw.consumed;
      // Framing damage is reported here, decoding damage by the workers.
      for (const damage of raw.damages) summary.damage(damage);
      if (raw.records.length === 0) continue;
      job.push({ records: raw.records, offset: raw.offset, index: raw.index, context });
      jobBytes += raw.records.length;
      if (jobBytes >= JOB_BYTES) await send();
    }
    if (signal?.aborted) break;
    if (options.afterFile !== undefined) {
      await drain();
      await writer.flush();
      await options.afterFile(file, summary.damaged + summary.totalFailed() > troubleBefore);
    }
  }
  await drain();
  await writer.flush();
}
