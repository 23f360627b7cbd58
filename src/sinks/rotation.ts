// Rotation of an output file: when it is due, what the rotated file is called, and compressing it afterwards.
import { createReadStream, createWriteStream } from "node:fs";
import { type FileHandle, lstat, open, rename, unlink } from "node:fs/promises";
import { dirname, extname } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

export interface RotationOptions {
  /** Start a new file before a write would take the current one past this many bytes. */
  rotateBytes?: number | undefined;
  /** Start a new file at the first write once the current one has been open this long. */
  rotateSeconds?: number | undefined;
  /** Compress rotated files to `.gz` (after their rename, so a crash mid-way leaves them uncompressed). */
  gzip?: boolean | undefined;
}

export function rotates(options: RotationOptions): boolean {
  return options.rotateBytes !== undefined || options.rotateSeconds !== undefined;
}

/** Rejects values a caller could only pass by mistake (the CLI reports them as usage errors earlier). */
export function checkRotationOptions(options: RotationOptions): void {
  const { rotateBytes, rotateSeconds } = options;
  if (rotateBytes !== undefined && !(Number.isSafeInteger(rotateBytes) && rotateBytes > 0))
    throw new RangeError(`rotateBytes must be a positive integer (got ${rotateBytes})`);
  if (rotateSeconds !== undefined && !(Number.isFinite(rotateSeconds) && rotateSeconds > 0))
    throw new RangeError(`rotateSeconds must be a positive number (got ${rotateSeconds})`);
}

/** Whether the current file (`size` bytes, open for `ageMs`) is rotated before `incoming` more bytes. */
export function rotationDue(
  options: RotationOptions,
  size: number,
  incoming: number,
  ageMs: number,
): boolean {
  // An empty file is never rotated out: no empty rotated files, and a write larger than the limit still fits.
  if (size === 0) return false;
  if (options.rotateBytes !== undefined && size + incoming > options.rotateBytes) return true;
  return options.rotateSeconds !== undefined && ageMs >= options.rotateSeconds * 1000;
}

/** "2026-11-28T07-12-03.123Z": ISO 8601 in UTC without colons (not allowed in Windows names); sorts by time. */
export function timestampLabel(ms: number): string {
  return new Date(ms).toISOString().replaceAll(":", "-");
}

/**
 * A free name for the rotated file: events.json → events.<stamp>.json, or events.<stamp>_1.json, _2, ... when
 * that name (or its .gz) is taken, so nothing is ever overwritten.
 */
export async function rotatedPath(path: string, ms: number): Promise<string> {
  const ext = extname(path);
  const stem = path.slice(0, path.length - ext.length);
  const stamp = timestampLabel(ms);
  for (let n = 0; ; n++) {
    const candidate = `${stem}.${stamp}${n === 0 ? "" : `_${n}`}${ext}`;
    if (!(await exists(candidate)) && !(await exists(`${candidate}.gz`))) return candidate;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/**
 * Compresses `path` to `path.gz` and removes `path`. Streams (memory does not depend on file size) into
 * `.gz.tmp`, fsyncs and renames it: at every moment either the original or a complete .gz exists.
 */
export async function gzipFile(path: string): Promise<string> {
  const target = `${path}.gz`;
  const temporary = `${target}.tmp`;
  try {
    await pipeline(createReadStream(path), createGzip(), createWriteStream(temporary));
    // The stream closed its descriptor; fsync through a new one flushes the same file.
    const written = await open(temporary, "r+");
    try {
      await written.sync();
    } finally {
      await written.close();
    }
    await rename(temporary, target);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path));
  await unlink(path);
  return target;
}

/** Makes renames in `dir` durable. Best effort: not every platform can fsync a directory (Windows). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // The rename itself is still atomic; only its durability across a power loss is not guaranteed.
  } finally {
    await handle?.close();
  }
}
