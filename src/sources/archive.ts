// Archive files on disk (ARCHIVE.md §2–§3): finding them, naming their sensor, and reading their records as
// batches of typed events with damage reports. Files are read in chunks; memory does not grow with file size.
import { closeSync, type Dirent, openSync, readSync } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Damage } from "../decode/damage.js";
import { decodeRecord, type RecordContext, type SensorEvent } from "../decode/event.js";
import { type Frame, type FramedRun, Framer } from "../decode/framing.js";

export interface ArchiveFile {
  path: string;
  /** Sensor id from the name of the folder that holds the file; undefined when it is not an int32. */
  sensorId: number | undefined;
}

/** Records of one chunk of a file: events and damage in input order, and how far the file was consumed. */
export interface RecordBatch {
  events: SensorEvent[];
  /** With the `runs` read option: the records, not decoded (`events` is then empty, `damages` framing only). */
  run?: FramedRun | undefined;
  damages: Damage[];
  /** Offset just past the last complete record seen so far. */
  consumed: number;
  /** Number of records framed in this batch (events + decode damage). */
  records: number;
  /** Damage ended the reading of the file: nothing after `consumed` will be read. */
  stopped: boolean;
}

export interface ReadOptions {
  /** Identity for records without `env` when the folder gives none (the --sensor-id option). */
  sensorId?: number | undefined;
  maxRecordBytes?: number | undefined;
  /** Bytes read per chunk (default 1 MiB). */
  chunkBytes?: number | undefined;
  /** Where to start reading (a checkpoint); default 0. */
  startOffset?: number | undefined;
  /**
   * The file is complete (default true): bytes after the last whole record are damage. False for a file that
   * may still be growing: they are left for a later read.
   */
  final?: boolean | undefined;
  /**
   * Yield each chunk's records undecoded, as one run of bytes (for a direct writer, formats/fast/): no event, not
   * even a frame object, per record.
   */
  runs?: boolean | undefined;
  /** With `runs`: memory for each read (a pool's, given back once the run is formatted); default: new memory. */
  alloc?: ((size: number) => Buffer) | undefined;
}

const INT32_TEXT = /^-?\d{1,10}$/;

/** Sensor id named by a folder, if the name is a base-10 int32 (ARCHIVE.md §2 rule 2). */
export function sensorIdFromFolder(folder: string): number | undefined {
  if (!INT32_TEXT.test(folder)) return undefined;
  const id = Number(folder);
  return id >= -2147483648 && id <= 2147483647 ? id : undefined;
}

/**
 * Every regular file under the given paths (a path may itself be a file), sorted by path bytes so output
 * is deterministic. Symlinks are not followed (no loops). Throws for a path that does not exist.
 */
export async function listArchiveFiles(paths: readonly string[]): Promise<ArchiveFile[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await lstat(path);
    if (info.isDirectory()) await walk(path, files);
    else if (info.isFile()) files.push(path);
    else throw new Error(`${path} is neither a file nor a folder`);
  }
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const unique = files.filter((path, i) => i === 0 || path !== files[i - 1]);
  return unique.map((path) => ({ path, sensorId: sensorIdFromFolder(basename(dirname(path))) }));
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    // A folder removed while walking is not an error: there is nothing left to read in it.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** The context that names the sensor of every record in a file (folder first, then the option). */
export function fileContext(file: ArchiveFile, options: ReadOptions): RecordContext {
  if (file.sensorId !== undefined)
    return { sensorId: file.sensorId, sensorIdSource: "folder", file: file.path };
  if (options.sensorId !== undefined)
    return { sensorId: options.sensorId, sensorIdSource: "option", file: file.path };
  return { file: file.path };
}

/** Reads one archive file as batches of decoded records (one batch per chunk read). */
export async function* readArchiveFile(
  file: ArchiveFile,
  options: ReadOptions = {},
): AsyncGenerator<RecordBatch> {
  const context = fileContext(file, options);
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  const start = options.startOffset ?? 0;
  const framer = new Framer({ file: file.path, maxRecordBytes: options.maxRecordBytes, startOffset: start });
  // Blocking calls, as the export's reader makes (sources/record-runs.ts): a file in the page cache is read in
  // well under a millisecond, where each call through the promise API waited 0.3-0.7 ms for the thread pool
  // (follow caught up a million events 10 % faster without them).
  const fd = openSync(file.path, "r");
  try {
    let position = start;
    let chunk: Buffer | undefined;
    for (;;) {
      // Frames and decoded binary fields are views into the buffer read into: a fresh one per read. Runs take
      // pool memory, which comes back once formatted; a buffer no run took is read into again (the framer keeps
      // no view of it), so that the pool's memory goes round instead of being dropped.
      chunk ??=
        options.runs === true && options.alloc !== undefined
          ? options.alloc(chunkBytes)
          : Buffer.allocUnsafe(chunkBytes);
      const bytesRead = readSync(fd, chunk, 0, chunkBytes, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const damages: Damage[] = [];
      if (options.runs === true) {
        const run = framer.pushRun(chunk.subarray(0, bytesRead), damages);
        if (run !== undefined && run.records.buffer === chunk.buffer) chunk = undefined;
        const records = run?.count ?? 0;
        yield { events: [], run, damages, consumed: framer.consumed, records, stopped: framer.isStopped };
      } else {
        const frames: Frame[] = [];
        framer.push(chunk.subarray(0, bytesRead), frames, damages);
        chunk = undefined;
        yield decodeFrames(frames, damages, context, framer);
      }
      if (framer.isStopped) return;
      // A short read is the end of the file (as it stands: a growing file is read on from here by the next scan).
      if (bytesRead < chunkBytes) break;
    }
    if (options.final === false) return;
    const damages: Damage[] = [];
    framer.end(damages);
    if (damages.length > 0)
      yield { events: [], damages, consumed: framer.consumed, records: 0, stopped: true };
  } finally {
    closeSync(fd);
  }
}

/** Decodes framed records; decode failures join the framing damage, ordered by offset. */
export function decodeFrames(
  frames: Frame[],
  damages: Damage[],
  context: RecordContext,
  framer: Framer,
): RecordBatch {
  const events: SensorEvent[] = [];
  for (const frame of frames) {
    const result = decodeRecord(frame.payload, context, frame.offset);
    if (result.ok) events.push(result.event);
    else {
      result.damage.index = frame.index;
      damages.push(result.damage);
    }
  }
  if (damages.length > 1) damages.sort((a, b) => a.offset - b.offset);
  return { events, damages, consumed: framer.consumed, records: frames.length, stopped: framer.isStopped };
}
