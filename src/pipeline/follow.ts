// The long-running follow loop: new archive records → outputs → checkpoint, then deletion of fully exported
// files (--remove, retention). The checkpoint is saved only after every output has durably accepted the records.
import { stat, truncate, unlink } from "node:fs/promises";
import type { EventFormatter } from "../formats/formatter.js";
import { fileContext } from "../sources/archive.js";
import { ArchiveFollower, type FollowIdle, type FollowOptions } from "../sources/follow.js";
import type { CheckpointStore, FileCheckpoint, FollowState } from "./checkpoint.js";
import { emitEvent, JOBS_IN_FLIGHT_PER_THREAD, type RunPool } from "./export.js";
import type { LineWriter } from "./line-writer.js";
import type { FormattedRun } from "./record-batch-formatter.js";
import type { BatchStage } from "./stage.js";
import type { RunSummary } from "./summary.js";
import { copyOf } from "./transfer.js";

/** An output whose length is recorded with the checkpoint (files; stdout cannot be cut back, so it is not). */
export interface CheckpointedOutput {
  /** Absolute path, the key in the state. */
  readonly path: string;
  /** Identity and length of the file as written so far. */
  stat(): Promise<{ ino: number; size: number }>;
  /** Rotates now if rotation is due; true when a new file was started. */
  rotateIfDue?(): Promise<boolean>;
}

export interface DeletionPolicy {
  /** Delete each file once it is completely exported. */
  remove: boolean;
  /** Also delete files that had damaged records (their good records were exported). */
  removeDamaged: boolean;
  /** Delete exported files whose last change is older than this. */
  retainMs?: number | undefined;
  /** Delete the oldest exported files while the archive is larger than this. */
  maxArchiveBytes?: number | undefined;
}

export interface FollowRun {
  roots: readonly string[];
  store: CheckpointStore;
  state: FollowState;
  formatter: EventFormatter;
  writer: LineWriter;
  outputs: readonly CheckpointedOutput[];
  summary: RunSummary;
  follow: FollowOptions;
  deletion: DeletionPolicy;
  /** Checkpoint at least every this many input bytes (default 4 MiB). */
  checkpointBytes?: number;
  /** Called after each scan that found nothing more to read. */
  onIdle?: (idle: FollowIdle) => void;
  /** Enrichment and routed back-pressure around each batch (`cbexport run`). */
  stage?: BatchStage | undefined;
  /**
   * Formats new records straight from their bytes (the direct writers) instead of decoding each into an event
   * for `formatter`: for a formatter of one format with the same options, and without a stage. On worker
   * threads (FormatPool) a backlog is caught up on every core.
   */
  records?: RunPool | undefined;
  log: (line: string) => void;
}

/**
 * Restores the outputs to the checkpoint before anything is written: bytes past the recorded length were
 * written after the last checkpoint and will be written again, so they are cut.
 */
export async function restoreOutputs(
  state: FollowState,
  outputs: readonly CheckpointedOutput[],
  log: (line: string) => void,
): Promise<void> {
  for (const output of outputs) {
    const recorded = state.outputs[output.path];
    if (recorded === undefined) continue;
    const current = await output.stat();
    if (current.ino !== recorded.ino) {
      log(
        `cbexport: ${output.path} is not the file of the last checkpoint (rotated or replaced outside cbexport); appending`,
      );
    } else if (current.size > recorded.length) {
      await truncate(output.path, recorded.length);
      log(
        `cbexport: cut ${current.size - recorded.length} byte(s) written after the last checkpoint from ${output.path}`,
      );
    } else if (current.size < recorded.length) {
      log(
        `cbexport: ${output.path} is shorter than at the last checkpoint (truncated outside cbexport); appending`,
      );
    }
  }
}

/** Runs until `signal` aborts; then finishes the batch in hand, flushes and checkpoints. */
export async function runFollow(run: FollowRun, signal: AbortSignal): Promise<void> {
  const { state, summary, writer } = run;
  const pool = run.records;
  const follower = new ArchiveFollower(run.roots, state, {
    ...run.follow,
    runs: pool !== undefined,
    alloc: pool?.alloc,
  });
  const checkpointBytes = run.checkpointBytes ?? 4 * 1024 * 1024;
  let pendingBytes = 0;
  let pending = false;
  let lastIdle: FollowIdle | undefined;

  // Runs formatting (on the pool) or waiting for their turn to be written, in input order. Each is written in a
  // chain of its own, so that reading goes on meanwhile. The follower records a file's offset as it reads, so a
  // checkpoint first waits for every run in flight: it never saves an offset whose records are not written.
  const inFlight: Promise<void>[] = [];
  let lastWrite: Promise<void> = Promise.resolve();
  const maxInFlight = (pool?.threads ?? 1) * JOBS_IN_FLIGHT_PER_THREAD;
  const write = async (formatted: FormattedRun, checkpoint: FileCheckpoint) => {
    summary.addFormatted(formatted);
    // Records that do not decode make the file damaged (--remove keeps it), as when the follower decodes them.
    if (formatted.damages.length > 0) checkpoint.damaged = true;
    const output = formatted.output;
    const p = writer.addEncoded(writer.releasesData ? output : copyOf(output), formatted.lines);
    if (p !== undefined) await p;
    pool?.recycleOutput(output);
  };
  const drain = async () => {
    while (inFlight.length > 0) await inFlight.shift();
  };

  const checkpoint = async () => {
    await drain();
    await writer.flush();
    await saveState(run);
    for (const output of run.outputs) {
      // Rotating right after a checkpoint keeps every rotated file free of data a crash could repeat.
      if (output.rotateIfDue !== undefined && (await output.rotateIfDue())) await saveState(run);
    }
    pending = false;
    pendingBytes = 0;
    await deleteExported(run, lastIdle);
  };

  // Record where every output starts before anything is written: a crash before the first real checkpoint
  // must cut what this run wrote, not keep it and write it again.
  await saveState(run);
  try {
    for await (const item of follower.run(signal)) {
      if (item.type === "idle") {
        lastIdle = item;
        if (pending) await checkpoint();
        else await deleteExported(run, item);
        run.onIdle?.(item);
        continue;
      }
      const { batch } = item;
      if (batch.records > 0 || batch.damages.length > 0) summary.records += batch.records;
      for (const damage of batch.damages) summary.damage(damage);
      if (batch.run !== undefined && pool !== undefined) {
        const { records, offset, index } = batch.run;
        const context = fileContext(item.file, run.follow);
        const formatted = pool.format([{ records, offset, index, context }]);
        const written = Promise.all([formatted, lastWrite]).then(([f]) => write(f, item.checkpoint));
        // Awaited in order (drain); a failure of one still in flight must not go unhandled meanwhile.
        written.catch(() => {});
        lastWrite = written;
        inFlight.push(written);
        if (inFlight.length >= maxInFlight) await inFlight.shift();
      } else {
        const before = run.stage?.before?.(batch.events);
        if (before !== undefined) await before;
        for (const event of batch.events) {
          const p = emitEvent(event, run.formatter, writer, summary);
          if (p !== undefined) await p;
        }
        const after = run.stage?.after?.();
        if (after !== undefined) await after;
      }
      pending = true;
      pendingBytes += item.bytes;
      if (item.checkpoint.done) summary.files++;
      if (pendingBytes >= checkpointBytes) await checkpoint();
    }
    await checkpoint();
  } finally {
    // After a failure: runs still in flight are not written, nor checkpointed (nothing of them is lost).
    await Promise.allSettled(inFlight);
  }
}

async function saveState(run: FollowRun): Promise<void> {
  for (const output of run.outputs) {
    const { ino, size } = await output.stat();
    run.state.outputs[output.path] = { ino, length: size };
  }
  await run.store.save(run.state);
}

/** Deletes completely exported files as the policy says; never a file whose records are not all written. */
async function deleteExported(run: FollowRun, idle: FollowIdle | undefined): Promise<void> {
  const { deletion, state } = run;
  if (!deletion.remove && deletion.retainMs === undefined && deletion.maxArchiveBytes === undefined) return;
  const candidates: { path: string; mtimeMs: number; size: number }[] = [];
  for (const [path, cp] of Object.entries(state.files)) {
    if (!cp.done || (cp.damaged && !deletion.removeDamaged)) continue;
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) delete state.files[path];
    else candidates.push({ path, mtimeMs: info.mtimeMs, size: info.size });
  }
  candidates.sort((a, b) => a.mtimeMs - b.mtimeMs);
  const retainCutoff = deletion.retainMs === undefined ? undefined : Date.now() - deletion.retainMs;
  let archiveBytes = idle?.bytes ?? 0;
  for (const file of candidates) {
    const due =
      deletion.remove ||
      (deletion.maxArchiveBytes !== undefined && archiveBytes > deletion.maxArchiveBytes) ||
      (retainCutoff !== undefined && file.mtimeMs < retainCutoff);
    if (!due) continue;
    await unlink(file.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    archiveBytes -= file.size;
    // The scan's total must shrink too: a later pass before the next scan (e.g. the final checkpoint) would
    // otherwise see the old size and delete more files than the limit asks for.
    if (idle !== undefined) idle.bytes = archiveBytes;
    delete state.files[file.path];
  }
}
