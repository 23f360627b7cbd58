// Following an archive that keeps growing: new sensor folders, new files, and files still being written.
// File-system notifications trigger a scan early; a periodic rescan catches whatever notifications missed.
import { type FSWatcher, watch } from "node:fs";
import { stat } from "node:fs/promises";
import type { FileCheckpoint, FollowState } from "../pipeline/checkpoint.js";
import { type ArchiveFile, listArchiveFiles, type RecordBatch, readArchiveFile } from "./archive.js";

export interface FollowOptions {
  /** A file whose size or time changed within this many ms is still being written. */
  settleMs: number;
  /** Full rescan interval in ms. */
  rescanMs: number;
  maxRecordBytes?: number | undefined;
  sensorId?: number | undefined;
  /** Kept up to date with the backlog when given (status reports); costs one more stat per file and scan. */
  progress?: FollowProgress | undefined;
  /** Batches hold the records undecoded (RecordBatch.run), for a direct writer. */
  runs?: boolean | undefined;
  /** With `runs`: memory to read into (a pool's, recycled once the run is formatted). */
  alloc?: ((size: number) => Buffer) | undefined;
}

/** What is not exported yet, live: measured at the start of each scan, reduced as records are read. */
export interface FollowProgress {
  /** Archive files with bytes not read yet, and those bytes. */
  backlogFiles: number;
  backlogBytes: number;
  /**
   * Modification time (ms since the epoch) of the oldest file holding unread bytes, as it was when those bytes
   * were first seen: the oldest unexported record is at least this old. Undefined when nothing waits.
   */
  oldestPendingMs: number | undefined;
  /** Files and bytes in the archive at the last scan. */
  files: number;
  bytes: number;
}

/** New records of one file, and where that leaves the file. */
export interface FollowChunk {
  type: "records";
  file: ArchiveFile;
  checkpoint: FileCheckpoint;
  batch: RecordBatch;
  /** Bytes of the file this chunk consumed. */
  bytes: number;
}

/** A scan found nothing more to read for now. `files` and `bytes`: what the archive holds in all. */
export interface FollowIdle {
  type: "idle";
  files: number;
  bytes: number;
  /** Archive files not yet completely exported, and their unexported bytes. */
  backlogFiles: number;
  backlogBytes: number;
}

export type FollowItem = FollowChunk | FollowIdle;

export class ArchiveFollower {
  private wake: (() => void) | undefined;
  private dirty = true;
  /** progress: when each file with unread bytes was first seen so (its mtime then). */
  private readonly pendingSince = new Map<string, number>();

  constructor(
    private readonly roots: readonly string[],
    private readonly state: FollowState,
    private readonly options: FollowOptions,
  ) {}

  /** Scans and reads until `signal` aborts; stops between chunks, never inside one. */
  async *run(signal: AbortSignal): AsyncGenerator<FollowItem> {
    const watchers = this.watch();
    const onAbort = () => this.wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        this.dirty = false;
        let waitMs = this.options.rescanMs;
        const files = await listArchiveFiles(this.roots);
        const progress = this.options.progress;
        if (progress !== undefined) await this.measure(files, progress);
        let bytes = 0;
        let backlogFiles = 0;
        let backlogBytes = 0;
        const seen = new Set<string>();
        for (const file of files) {
          if (signal.aborted) return;
          seen.add(file.path);
          const info = await statOrUndefined(file.path);
          if (info === undefined) continue; // deleted before it was read: nothing to export
          bytes += info.size;
          const checkpoint = this.checkpointFor(file.path, info.dev, info.ino);
          if (checkpoint.stopped) continue;
          if (checkpoint.done) {
            if (info.size <= checkpoint.offset) continue;
            // Written to again after a pause longer than the settle time (or seen the instant it was created,
            // empty): its new records are read, not left behind for good.
            checkpoint.done = false;
          }
          const ageMs = Date.now() - info.mtimeMs;
          const settled = ageMs >= this.options.settleMs;
          if (info.size > checkpoint.offset) {
            for await (const batch of readArchiveFile(file, {
              startOffset: checkpoint.offset,
              final: settled,
              maxRecordBytes: this.options.maxRecordBytes,
              sensorId: this.options.sensorId,
              runs: this.options.runs,
              alloc: this.options.alloc,
            })) {
              if (progress !== undefined)
                progress.backlogBytes -= Math.max(0, batch.consumed - checkpoint.offset);
              const bytes = Math.max(0, batch.consumed - checkpoint.offset);
              checkpoint.offset = batch.consumed;
              checkpoint.stopped = batch.stopped;
              if (batch.damages.length > 0) checkpoint.damaged = true;
              yield { type: "records", file, checkpoint, batch, bytes };
            }
          }
          if (progress !== undefined && (checkpoint.stopped || checkpoint.offset >= info.size)) {
            if (this.pendingSince.delete(file.path)) this.settleProgress(progress);
          }
          if (settled && (checkpoint.stopped || checkpoint.offset >= info.size)) {
            checkpoint.done = true;
            yield { type: "records", file, checkpoint, batch: emptyBatch(checkpoint), bytes: 0 };
          } else {
            backlogFiles++;
            backlogBytes += Math.max(0, info.size - checkpoint.offset);
            waitMs = Math.min(waitMs, Math.max(50, this.options.settleMs - ageMs + 10));
          }
        }
        this.forgetMissing(seen);
        if (progress !== undefined) {
          Object.assign(progress, { files: files.length, bytes, backlogFiles, backlogBytes });
          this.settleProgress(progress);
        }
        yield { type: "idle", files: files.length, bytes, backlogFiles, backlogBytes };
        if (!this.dirty) await this.sleep(waitMs, signal);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      for (const w of watchers) w.close();
    }
  }

  /** The backlog before reading: every file's size against its checkpoint (not changed here). */
  private async measure(files: readonly ArchiveFile[], progress: FollowProgress): Promise<void> {
    let backlogFiles = 0;
    let backlogBytes = 0;
    const pending = new Set<string>();
    for (const file of files) {
      const info = await statOrUndefined(file.path);
      if (info === undefined) continue;
      const known = this.state.files[file.path];
      const same = known !== undefined && known.dev === info.dev && known.ino === info.ino;
      if (same && known.stopped) continue;
      const unread = info.size - (same ? known.offset : 0);
      if (unread <= 0) continue;
      backlogFiles++;
      backlogBytes += unread;
      pending.add(file.path);
      if (!this.pendingSince.has(file.path)) this.pendingSince.set(file.path, info.mtimeMs);
    }
    for (const path of this.pendingSince.keys()) if (!pending.has(path)) this.pendingSince.delete(path);
    progress.backlogFiles = backlogFiles;
    progress.backlogBytes = backlogBytes;
    this.settleProgress(progress);
  }

  private settleProgress(progress: FollowProgress): void {
    let oldest: number | undefined;
    for (const ms of this.pendingSince.values()) if (oldest === undefined || ms < oldest) oldest = ms;
    progress.oldestPendingMs = oldest;
    progress.backlogFiles = Math.min(progress.backlogFiles, this.pendingSince.size);
  }

  private checkpointFor(path: string, dev: number, ino: number): FileCheckpoint {
    const known = this.state.files[path];
    if (known !== undefined && known.dev === dev && known.ino === ino) return known;
    // New file, or another file now under a known name: read it from the start.
    const fresh: FileCheckpoint = { dev, ino, offset: 0, stopped: false, done: false, damaged: false };
    this.state.files[path] = fresh;
    return fresh;
  }

  /** Files that are gone (removed, or deleted before being read) leave the state. */
  private forgetMissing(seen: Set<string>): void {
    for (const path of Object.keys(this.state.files)) if (!seen.has(path)) delete this.state.files[path];
  }

  private watch(): FSWatcher[] {
    const watchers: FSWatcher[] = [];
    for (const root of this.roots) {
      try {
        const w = watch(root, { recursive: true }, () => {
          this.dirty = true;
          this.wake?.();
        });
        w.on("error", () => w.close()); // the periodic rescan still finds everything
        watchers.push(w);
      } catch {
        // Notifications are an optimisation only.
      }
    }
    return watchers;
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

function emptyBatch(checkpoint: FileCheckpoint): RecordBatch {
  return { events: [], damages: [], consumed: checkpoint.offset, records: 0, stopped: checkpoint.stopped };
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
