// An output file, appended to. flush() fsyncs, so flushed data survives a crash. With rotation options the
// file is renamed with a timestamp and a fresh one started, only between two writes: LineWriter hands whole
// lines, so no line is ever split across files. Past 32 MiB a file is written with O_DIRECT (direct-writes.ts).
import { type FileHandle, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { DirectWrites } from "./direct-writes.js";
import { makeDirectory } from "./directory.js";
import {
  checkRotationOptions,
  gzipFile,
  type RotationOptions,
  rotatedPath,
  rotates,
  rotationDue,
  syncDirectory,
} from "./rotation.js";
import { type Sink, SinkError } from "./sink.js";

export interface FileSinkOptions extends RotationOptions {
  /** Milliseconds since the epoch (default Date.now); tests inject a clock to rotate by time without waiting. */
  now?: () => number;
  /**
   * Rotate only when rotateIfDue() is called, not on write (follow mode rotates right after a checkpoint, so
   * a rotated file never holds data a crash could make it write again).
   */
  deferRotation?: boolean;
}

/**
 * Bytes written between two background syncs: the disk writes while the export goes on, so the final fsync has
 * little left to do (it took ~0.2 s, with both cores idle, for a 540 MB export here) and dirty memory stays
 * bounded.
 */
const WRITE_BEHIND_BYTES = 32 << 20;
/** A file that has received this much since it was opened is written with O_DIRECT from then on (direct-writes.ts). */
const DIRECT_AFTER_BYTES = 32 << 20;

export class FileSink implements Sink {
  /** write() resolves after the bytes went to the file. */
  readonly releasesWrittenData = true;
  /** A background fdatasync in progress (never awaited by write(): the disk works behind the export). */
  private writingBehind: Promise<void> | undefined;
  private writeBehindError: unknown;
  private unsynced = 0;
  private writtenSinceOpen = 0;
  /** Set once the file is large enough to be worth it, unless the filesystem refused (directRefused). */
  private direct: DirectWrites | undefined;
  private directRefused = false;
  /** Serialises writes, flushes and rotations: a rotation swaps the handle under them. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Rotated files are compressed one after the other, in the background of the export. */
  private compressing: Promise<void> = Promise.resolve();
  private compressionError: SinkError | undefined;

  private constructor(
    readonly name: string,
    private handle: FileHandle,
    private size: number,
    /**
     * False for a device or a pipe (`--output /dev/stdout`, `/dev/null`): there is nothing to sync (fdatasync
     * fails with EINVAL) and no page cache to bypass.
     */
    private readonly regular: boolean,
    private openedAt: number,
    private readonly options: FileSinkOptions,
    private readonly now: () => number,
  ) {}

  static async open(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
    checkRotationOptions(options);
    const now = options.now ?? Date.now;
    let handle: FileHandle | undefined;
    try {
      await makeDirectory(dirname(path));
      handle = await open(path, "a");
      // An existing file is appended to, and its bytes count towards rotateBytes.
      const stat = await handle.stat();
      // Rotating renames the output: never a device's or a pipe's name (/dev/null renamed would break the host).
      if (!stat.isFile() && rotates(options))
        throw new Error("rotation needs a regular file (this is a device or a pipe)");
      return new FileSink(path, handle, stat.size, stat.isFile(), now(), options, now);
    } catch (err) {
      await handle?.close();
      throw new SinkError(path, err);
    }
  }

  write(data: Buffer): Promise<void> {
    return this.serial(async () => {
      const due = rotationDue(this.options, this.size, data.length, this.now() - this.openedAt);
      if (due && this.options.deferRotation !== true) await this.rotate();
      // A file's age counts from its first byte: an idle empty file is not rotated right after its first write.
      if (this.size === 0) this.openedAt = this.now();
      try {
        const directDue = this.regular && !this.directRefused && this.writtenSinceOpen >= DIRECT_AFTER_BYTES;
        if (this.direct === undefined && directDue) {
          this.direct = await DirectWrites.open(this.name, this.size);
          this.directRefused = this.direct === undefined;
        }
        if (this.direct !== undefined) await this.direct.write(data);
        else {
          let done = 0;
          while (done < data.length) done += (await this.handle.write(data, done)).bytesWritten;
        }
      } catch (err) {
        throw new SinkError(this.name, err);
      }
      this.size += data.length;
      this.writtenSinceOpen += data.length;
      this.unsynced += data.length;
      // Direct writes leave nothing dirty to sync behind.
      const behind = this.regular && this.direct === undefined && this.unsynced >= WRITE_BEHIND_BYTES;
      if (behind && this.writingBehind === undefined) this.writeBehind();
    });
  }

  /** True once the file is written with O_DIRECT. */
  get bypassesPageCache(): boolean {
    return this.direct !== undefined;
  }

  /** Starts an fdatasync without waiting for it; its error is kept for the next flush (Linux reports it once). */
  private writeBehind(): void {
    this.unsynced = 0;
    this.writingBehind = this.handle.datasync().then(
      () => {
        this.writingBehind = undefined;
      },
      (err: unknown) => {
        this.writingBehind = undefined;
        this.writeBehindError ??= err;
      },
    );
  }

  /** Waits for a background sync and throws what it failed with. */
  private async settleWriteBehind(): Promise<void> {
    if (this.writingBehind !== undefined) await this.writingBehind;
    const err = this.writeBehindError;
    if (err === undefined) return;
    this.writeBehindError = undefined;
    throw new SinkError(this.name, err);
  }

  /** Rotates now if the file is over its size or age limit; true when a new file was started. */
  rotateIfDue(): Promise<boolean> {
    return this.serial(async () => {
      if (!rotationDue(this.options, this.size, 0, this.now() - this.openedAt)) return false;
      await this.rotate();
      return true;
    });
  }

  /** Durable once resolved; also reports a failed compression of a rotated file (its data is intact). */
  flush(): Promise<void> {
    return this.serial(async () => {
      await this.sync();
      if (this.compressionError !== undefined) throw this.compressionError;
    });
  }

  /** Waits for pending compressions too, so every rotated file is in its final form afterwards. */
  async close(): Promise<void> {
    await this.serial(async () => {
      try {
        await this.sync();
      } finally {
        try {
          await this.direct?.close();
        } finally {
          await this.handle.close();
        }
      }
    });
    await this.compressing;
    if (this.compressionError !== undefined) throw this.compressionError;
  }

  private async sync(): Promise<void> {
    await this.settleWriteBehind();
    this.unsynced = 0;
    try {
      await this.direct?.drain(this.handle);
      if (this.regular) await this.handle.datasync();
    } catch (err) {
      throw new SinkError(this.name, err);
    }
  }

  /** fsync, rename to a free timestamped name, then a fresh file; compression follows later. */
  private async rotate(): Promise<void> {
    let target: string;
    await this.settleWriteBehind();
    this.unsynced = 0;
    try {
      await this.direct?.drain(this.handle);
      await this.handle.sync();
      await this.direct?.close();
      this.direct = undefined;
      this.writtenSinceOpen = 0;
      target = await rotatedPath(this.name, this.now());
      await rename(this.name, target);
      await syncDirectory(dirname(this.name));
      const fresh = await open(this.name, "a");
      const old = this.handle;
      this.handle = fresh;
      this.size = (await fresh.stat()).size;
      this.openedAt = this.now();
      await old.close();
    } catch (err) {
      throw new SinkError(this.name, err);
    }
    if (this.options.gzip === true) this.compress(target);
  }

  private compress(path: string): void {
    this.compressing = this.compressing.then(() =>
      gzipFile(path).then(
        () => undefined,
        (err: unknown) => {
          this.compressionError ??= new SinkError(`${this.name} (compressing ${path})`, err);
        },
      ),
    );
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(op);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
