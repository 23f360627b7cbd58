// A disk spool for one network output: records are appended to numbered segment files, read back in order by
// the delivery loop, and a segment is deleted only once every record in it was delivered. Appended and fsynced
// records count as durably accepted, so a long outage neither blocks the export nor loses data, and records
// left over by a stopped or crashed run are delivered first by the next run with the same spool folder.
//
// Segment layout: records framed as a 4-byte big-endian length and the bytes. The delivered position is kept in
// `position` (segment and offset); losing it only means records are delivered again, never lost.
import { type FileHandle, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDirectory } from "../directory.js";
import { syncDirectory } from "../rotation.js";

export interface SpoolOptions {
  dir: string;
  /** Start a new segment once the current one holds this many bytes (default 8 MiB). */
  segmentBytes?: number | undefined;
}

export interface SpoolBatch {
  records: Buffer[];
  bytes: number;
  /** Where the batch ends: committing it moves the delivered position here. */
  segment: number;
  end: number;
}

const HEADER = 4;
const SEGMENT = /^(\d{12})\.seg$/;

export class Spool {
  /** Undelivered bytes on disk (framing included). */
  pendingBytes = 0;
  private writer: FileHandle | undefined;
  private activeSize = 0;
  private dirDirty = false;
  private unsynced = false;
  /** Segments still on disk, oldest first, with their sizes (the active one's size is activeSize). */
  private readonly segments: { seq: number; size: number }[] = [];

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    /** The delivered position: segments[0] from this offset. */
    private offset: number,
  ) {}

  static async open(options: SpoolOptions): Promise<Spool> {
    const { dir } = options;
    await makeDirectory(dir);
    await lock(dir);
    const found = (await readdir(dir))
      .map((name) => SEGMENT.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const position = await readPosition(dir);
    const spool = new Spool(dir, options.segmentBytes ?? 8 * 1024 * 1024, 0);
    for (const seq of found) {
      const path = segmentPath(dir, seq);
      if (position !== undefined && seq < position.segment) {
        await rm(path, { force: true });
        continue;
      }
      const size = await completeLength(path);
      spool.segments.push({ seq, size });
    }
    const first = spool.segments[0];
    if (first !== undefined && position !== undefined && first.seq === position.segment)
      spool.offset = Math.min(position.offset, first.size);
    for (const s of spool.segments) spool.pendingBytes += s.size;
    spool.pendingBytes -= spool.offset;
    // Old segments stay as they are; this run appends to a fresh one.
    await spool.startSegment((spool.segments.at(-1)?.seq ?? 0) + 1);
    return spool;
  }

  isEmpty(): boolean {
    return this.pendingBytes === 0;
  }

  /** Appends records (not yet durable: see sync). */
  async append(records: readonly Buffer[]): Promise<void> {
    if (this.activeSize >= this.segmentBytes || this.readerCaughtUp()) await this.rotate();
    const parts: Buffer[] = [];
    let bytes = 0;
    for (const record of records) {
      const header = Buffer.allocUnsafe(HEADER);
      header.writeUInt32BE(record.length);
      parts.push(header, record);
      bytes += HEADER + record.length;
    }
    const data = Buffer.concat(parts, bytes);
    const writer = this.activeWriter();
    let done = 0;
    while (done < data.length) done += (await writer.write(data, done)).bytesWritten;
    this.activeSize += bytes;
    this.active().size = this.activeSize;
    this.pendingBytes += bytes;
    this.unsynced = true;
  }

  /** Makes everything appended so far durable. */
  async sync(): Promise<void> {
    if (this.unsynced) {
      await this.activeWriter().datasync();
      this.unsynced = false;
    }
    if (this.dirDirty) {
      await syncDirectory(this.dir);
      this.dirDirty = false;
    }
  }

  /** The next undelivered records, up to about `maxBytes` (at least one record); undefined when none. */
  async read(maxBytes: number): Promise<SpoolBatch | undefined> {
    await this.dropDelivered();
    const segment = this.segments[0];
    if (segment === undefined || this.offset >= segment.size) return undefined;
    const handle = await open(segmentPath(this.dir, segment.seq), "r");
    try {
      const available = segment.size - this.offset;
      let chunk = await readAt(handle, this.offset, Math.min(available, maxBytes + HEADER));
      const first = chunk.readUInt32BE(0);
      if (HEADER + first > chunk.length) chunk = await readAt(handle, this.offset, HEADER + first);
      const records: Buffer[] = [];
      let at = 0;
      while (at + HEADER <= chunk.length) {
        const length = chunk.readUInt32BE(at);
        if (at + HEADER + length > chunk.length) break;
        records.push(chunk.subarray(at + HEADER, at + HEADER + length));
        at += HEADER + length;
      }
      return { records, bytes: at, segment: segment.seq, end: this.offset + at };
    } finally {
      await handle.close();
    }
  }

  /** Marks a batch from read() delivered; fully delivered segments other than the active one are deleted. */
  async commit(batch: SpoolBatch): Promise<void> {
    const segment = this.segments[0];
    if (segment === undefined || segment.seq !== batch.segment) return;
    this.pendingBytes -= batch.end - this.offset;
    this.offset = batch.end;
    await this.dropDelivered();
    await savePosition(this.dir, this.segments[0]?.seq ?? batch.segment, this.offset);
  }

  /** Closes the spool; when everything was delivered no segment is left behind. */
  async close(): Promise<void> {
    try {
      await this.sync();
    } finally {
      await this.writer?.close();
      this.writer = undefined;
    }
    if (this.isEmpty()) {
      for (const s of this.segments) await rm(segmentPath(this.dir, s.seq), { force: true });
      await rm(join(this.dir, "position"), { force: true });
      this.segments.length = 0;
    }
    await rm(join(this.dir, "lock"), { force: true });
  }

  private active(): { seq: number; size: number } {
    return this.segments[this.segments.length - 1] as { seq: number; size: number };
  }

  private activeWriter(): FileHandle {
    if (this.writer === undefined) throw new Error(`spool ${this.dir} is closed`);
    return this.writer;
  }

  /** Every record of the active segment was delivered: a new segment lets the old one go. */
  private readerCaughtUp(): boolean {
    return this.activeSize > 0 && this.segments.length === 1 && this.offset === this.activeSize;
  }

  private async rotate(): Promise<void> {
    // The segment left behind must be as durable as the one sync() will cover from now on.
    if (this.unsynced) await this.activeWriter().datasync();
    this.unsynced = false;
    await this.writer?.close();
    this.writer = undefined;
    await this.startSegment(this.active().seq + 1);
    await this.dropDelivered();
  }

  private async startSegment(seq: number): Promise<void> {
    this.writer = await open(segmentPath(this.dir, seq), "a");
    this.segments.push({ seq, size: 0 });
    this.activeSize = 0;
    this.dirDirty = true;
  }

  private async dropDelivered(): Promise<void> {
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as { seq: number; size: number };
      if (this.offset < oldest.size) return;
      await rm(segmentPath(this.dir, oldest.seq), { force: true });
      this.segments.shift();
      this.offset = 0;
    }
  }
}

function segmentPath(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(12, "0")}.seg`);
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/**
 * Length of the complete records at the start of a segment; a record cut by a crash is removed (it was never
 * fsynced, so it was never reported as accepted).
 */
async function completeLength(path: string): Promise<number> {
  const data = await readFile(path);
  let at = 0;
  while (at + HEADER <= data.length) {
    const next = at + HEADER + data.readUInt32BE(at);
    if (next > data.length) break;
    at = next;
  }
  if (at < data.length) {
    const handle = await open(path, "r+");
    try {
      await handle.truncate(at);
    } finally {
      await handle.close();
    }
  }
  return at;
}

async function readPosition(dir: string): Promise<{ segment: number; offset: number } | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, "position"), "utf8")) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    const { segment, offset } = value as { segment?: unknown; offset?: unknown };
    if (typeof segment !== "number" || typeof offset !== "number") return undefined;
    return { segment, offset };
  } catch {
    return undefined;
  }
}

async function savePosition(dir: string, segment: number, offset: number): Promise<void> {
  const temporary = join(dir, "position.tmp");
  await writeFile(temporary, JSON.stringify({ segment, offset }));
  await rename(temporary, join(dir, "position"));
}

/** One process per spool folder: two writers would interleave segments and deliver records twice. */
async function lock(dir: string): Promise<void> {
  const path = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: "wx" });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && alive(owner))
      throw new Error(`spool ${dir} is in use by process ${owner}`);
    // Left behind by a run that is gone.
    await rm(path, { force: true });
  }
  throw new Error(`spool ${dir}: cannot take its lock file`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
