// The dead-letter folder: a message that could not be exported completely is kept there (its body, and a JSON
// file with where it came from and why) before it is acknowledged, so nothing leaves the bus unrecorded.
import { open } from "node:fs/promises";
import { join } from "node:path";
import { makeDirectory } from "../../sinks/directory.js";

export interface DeadLetter {
  body: Buffer;
  exchange: string;
  routingKey: string;
  /** AMQP properties as the client decoded them (content type, headers, delivery mode, ...). */
  properties: object;
  redelivered: boolean;
  queue: string;
  /** Every problem found, e.g. "truncated-record in <message>!member at byte 96: ...". */
  reasons: string[];
  /** Events of the message that were still exported. */
  exportedEvents: number;
}

/** Writing into the dead-letter folder failed: like an output failing, the message must not be acked. */
export class DeadLetterError extends Error {
  override name = "DeadLetterError";
  constructor(path: string, cause: unknown) {
    super(`dead-letter folder: cannot write ${path}: ${(cause as Error).message}`, { cause });
  }
}

export class DeadLetterBox {
  private seq = 0;
  private dirty = false;
  private made = false;
  count = 0;

  constructor(readonly dir: string) {}

  /**
   * Writes `<stem>.body` then `<stem>.json` (its presence marks a complete entry), each fsynced.
   * Returns the path of the JSON file.
   */
  async add(letter: DeadLetter): Promise<string> {
    await this.makeDir();
    const stem = join(this.dir, `${stamp(new Date())}-${process.pid}-${++this.seq}`);
    const meta = {
      time: new Date().toISOString(),
      queue: letter.queue,
      exchange: letter.exchange,
      routingKey: letter.routingKey,
      redelivered: letter.redelivered,
      bodyBytes: letter.body.length,
      bodyFile: `${stem.slice(this.dir.length + 1)}.body`,
      exportedEvents: letter.exportedEvents,
      reasons: letter.reasons,
      properties: letter.properties,
    };
    await writeDurably(`${stem}.body`, letter.body);
    await writeDurably(`${stem}.json`, Buffer.from(`${JSON.stringify(meta, jsonSafe, 2)}\n`));
    this.dirty = true;
    this.count++;
    return `${stem}.json`;
  }

  /** Makes the new directory entries durable too (one fsync of the folder per batch). */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(this.dir, "r");
      await handle.sync();
    } catch (err) {
      throw new DeadLetterError(this.dir, err);
    } finally {
      await handle?.close();
    }
    this.dirty = false;
  }

  private async makeDir(): Promise<void> {
    if (this.made) return;
    try {
      await makeDirectory(this.dir);
    } catch (err) {
      throw new DeadLetterError(this.dir, err);
    }
    this.made = true;
  }
}

async function writeDurably(path: string, data: Buffer): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "wx");
    await handle.writeFile(data);
    await handle.datasync();
  } catch (err) {
    throw new DeadLetterError(path, err);
  } finally {
    await handle?.close();
  }
}

/** 2024-05-01T10:20:30.123Z → 20240501T102030.123Z: sorts by time, no colons (portable file names). */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "");
}

/** Header values JSON cannot hold as they are: 64-bit integers as text, byte strings as base64. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (
    value !== null &&
    typeof value === "object" &&
    (value as { type?: unknown }).type === "Buffer" &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return { base64: Buffer.from((value as { data: number[] }).data).toString("base64") };
  }
  return value;
}
