// The Sink of every network output: splits the LineWriter's batches into events, frames each for the
// destination, keeps them in a bounded buffer (memory, or the disk spool) and delivers them in order with
// retries. Back-pressure: write() waits while the buffer is full, so a slow destination slows the source instead
// of growing memory. flush() resolves once everything written so far is delivered (or, with a spool, fsynced
// into it), which is what follow's checkpoints and the bus's acknowledgements wait for.

import { Backoff, type BackoffOptions } from "../../pipeline/backoff.js";
import { type Sink, SinkError } from "../sink.js";
import { Spool, type SpoolBatch } from "./spool.js";
import { deliveryError, type Transport } from "./transport.js";

export interface DeliveryOptions {
  /** The output's URL without secrets, for messages. */
  name: string;
  transport: Transport;
  /** One event's text (no line terminator) → the record the destination gets (framed, enveloped, ...). */
  encode: (line: Buffer) => Buffer;
  /** Records held in memory before write() waits (default 8 MiB). */
  bufferBytes?: number | undefined;
  /** Records handed to the transport at once, at most (default 1 MiB; at least one record). */
  batchBytes?: number | undefined;
  /** Give up (the output fails) once deliveries have failed for this long; Infinity = never. */
  retryForMs: number;
  /** Spool records to disk in this folder instead of holding them in memory. */
  spool?: { dir: string; maxBytes?: number | undefined; segmentBytes?: number | undefined } | undefined;
  /** Best effort (UDP): flush resolves once records are sent, without any confirmation. */
  bestEffort?: boolean | undefined;
  /** Records larger than this are not sent but counted and reported (UDP datagrams). */
  maxRecordBytes?: number | undefined;
  /** Progress and outage messages (default: stderr). */
  log?: ((line: string) => void) | undefined;
  backoff?: BackoffOptions | undefined;
  /**
   * Wait up to this long for a batch to fill to batchBytes before delivering it (one S3 object per batch),
   * unless someone waits for the delivery (flush, back-pressure, close). Default 0: deliver at once.
   */
  lingerMs?: number | undefined;
  /** Called as flush() starts: encoders that number events per flush window (message ids) restart there. */
  onFlush?: (() => void) | undefined;
}

/** What a run reports about an output after closing it. */
export interface SinkReport {
  /** Events that were not delivered and never will be (best-effort outputs only). */
  lost: number;
  lines: string[];
}

interface Waiter {
  until: () => boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Events named one by one when too large before they are only counted. */
const TOO_LARGE_LINES = 10;

export class DeliverySink implements Sink {
  readonly name: string;
  private readonly transport: Transport;
  private readonly encode: (line: Buffer) => Buffer;
  private readonly bufferBytes: number;
  private readonly batchBytes: number;
  private readonly log: (line: string) => void;
  private readonly backoff: Backoff;

  /** Memory buffer: records not yet delivered, oldest first, from `head`. */
  private queue: Buffer[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Records ever buffered / delivered; flush waits for delivered to reach what was buffered. */
  private buffered = 0;
  private delivered = 0;

  /** Serialises spool operations: appends come from the pipeline, reads and commits from the delivery loop. */
  private spoolChain: Promise<unknown> = Promise.resolve();
  private running = false;
  private more = false;
  private stopped = false;
  private closing = false;
  private failure: SinkError | undefined;
  /** When the current outage started (first failed attempt since the last success). */
  private downSince: number | undefined;
  private readonly waiters: Waiter[] = [];
  /** The delivery loop's backoff sleep, if it is in one: stop() ends it early. */
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tooLarge = 0;
  private sent = 0;
  /** Since when the delivery loop holds back a batch that is not full yet (lingerMs), and whether it sleeps. */
  private lingerSince: number | undefined;
  private lingering = false;

  private constructor(
    private readonly options: DeliveryOptions,
    private readonly spool: Spool | undefined,
  ) {
    this.name = options.name;
    this.transport = options.transport;
    this.encode = options.encode;
    this.bufferBytes = options.bufferBytes ?? 8 * 1024 * 1024;
    this.batchBytes = options.batchBytes ?? 1024 * 1024;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.backoff = new Backoff({ initialMs: 200, ...options.backoff });
  }

  static async open(options: DeliveryOptions): Promise<DeliverySink> {
    let spool: Spool | undefined;
    if (options.spool !== undefined) {
      try {
        spool = await Spool.open(options.spool);
      } catch (err) {
        throw new SinkError(options.name, err);
      }
    }
    const sink = new DeliverySink(options, spool);
    if (spool !== undefined && !spool.isEmpty()) {
      sink.log(
        `cbexport: output ${options.name}: delivering ${spool.pendingBytes} byte(s) left in spool ${spool.dir} first`,
      );
      sink.kick();
    }
    return sink;
  }

  async write(data: Buffer): Promise<void> {
    this.check();
    const records = this.records(data);
    if (records.length === 0) return;
    if (this.spool !== undefined) {
      const spool = this.spool;
      await this.spoolOp(() => spool.append(records));
      this.kick();
      const max = this.options.spool?.maxBytes;
      if (max !== undefined && spool.pendingBytes > max) await this.waitFor(() => spool.pendingBytes <= max);
      return;
    }
    for (const record of records) {
      this.queue.push(record);
      this.queuedBytes += record.length;
    }
    this.buffered += records.length;
    this.kick();
    if (this.queuedBytes > this.bufferBytes) await this.waitFor(() => this.queuedBytes <= this.bufferBytes);
  }

  async flush(): Promise<void> {
    this.check();
    this.options.onFlush?.();
    if (this.spool !== undefined) {
      const spool = this.spool;
      await this.spoolOp(() => spool.sync());
      return;
    }
    const target = this.buffered;
    await this.waitFor(() => this.delivered >= target);
  }

  /**
   * Delivers what is buffered, then ends the connection. With a spool, gives the destination until the outage
   * has lasted the retry time, then leaves the rest in the spool for the next run (it is durable already).
   */
  async close(): Promise<void> {
    this.closing = true;
    try {
      if (this.failure === undefined && this.spool !== undefined) await this.drainSpool(this.spool);
      else if (this.failure === undefined) await this.flush();
    } finally {
      this.stop();
      await this.transport.close().catch(() => undefined);
      if (this.spool !== undefined) await this.spoolOp(() => (this.spool as Spool).close());
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Counts for the run summary. */
  report(): SinkReport {
    const lines: string[] = [];
    lines.push(
      this.options.bestEffort === true
        ? `output ${this.name}: ${this.sent} event(s) sent (best effort: UDP confirms nothing)`
        : `output ${this.name}: ${this.sent} event(s) delivered`,
    );
    if (this.tooLarge > 0)
      lines.push(
        `output ${this.name}: ${this.tooLarge} event(s) larger than ${this.options.maxRecordBytes} bytes ` +
          "were not sent (raise max_datagram or use a stream output)",
      );
    return { lost: this.tooLarge, lines };
  }

  private records(data: Buffer): Buffer[] {
    const records: Buffer[] = [];
    const max = this.options.maxRecordBytes;
    let start = 0;
    while (start < data.length) {
      let end = data.indexOf(0x0a, start);
      if (end < 0) end = data.length;
      if (end > start) {
        const record = this.encode(data.subarray(start, end));
        if (max !== undefined && record.length > max) this.skipTooLarge(record.length, max);
        else records.push(record);
      }
      start = end + 1;
    }
    return records;
  }

  private skipTooLarge(size: number, max: number): void {
    this.tooLarge++;
    if (this.tooLarge <= TOO_LARGE_LINES)
      this.log(`cbexport: output ${this.name}: an event of ${size} bytes exceeds ${max} bytes; not sent`);
    else if (this.tooLarge === TOO_LARGE_LINES + 1)
      this.log(`cbexport: output ${this.name}: more events too large; only counting them from now on`);
  }

  private async drainSpool(spool: Spool): Promise<void> {
    await this.spoolOp(() => spool.sync());
    this.kick();
    // A backoff sleep started before close may be long and not keep the process alive: try again now.
    this.wake?.();
    await this.waitFor(() => spool.isEmpty() || this.outageOver());
    if (!spool.isEmpty())
      this.log(
        `cbexport: output ${this.name}: still unreachable; ${spool.pendingBytes} byte(s) stay in spool ` +
          `${spool.dir} and are delivered first by the next run with this spool`,
      );
  }

  private outageOver(): boolean {
    return this.downSince !== undefined && Date.now() - this.downSince >= this.options.retryForMs;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.stopped) throw new SinkError(this.name, "closed");
  }

  /** Starts the delivery loop unless it is running; a running loop looks again before it stops. */
  private kick(): void {
    this.more = true;
    // A lingering loop looks again once a whole batch is there.
    if (this.lingering && this.pendingBytes() >= this.batchBytes) this.wake?.();
    if (this.running || this.stopped) return;
    this.running = true;
    this.run().catch((err: unknown) => this.fail(err));
  }

  private async run(): Promise<void> {
    for (;;) {
      this.more = false;
      const batch = await this.nextBatch();
      if (this.stopped) break;
      if (batch === undefined) {
        if (this.more) continue;
        break;
      }
      if (this.holdBack(batch.bytes)) {
        await this.linger();
        continue;
      }
      this.lingerSince = undefined;
      if (!(await this.deliver(batch.records))) break;
      await this.completed(batch);
    }
    this.running = false;
  }

  private async nextBatch(): Promise<SpoolBatch | { records: Buffer[]; bytes: number } | undefined> {
    if (this.spool !== undefined) {
      const spool = this.spool;
      return this.spoolOp(() => spool.read(this.batchBytes));
    }
    if (this.head >= this.queue.length) return undefined;
    const records: Buffer[] = [];
    let bytes = 0;
    for (let i = this.head; i < this.queue.length; i++) {
      const record = this.queue[i] as Buffer;
      if (records.length > 0 && bytes + record.length > this.batchBytes) break;
      records.push(record);
      bytes += record.length;
    }
    return { records, bytes };
  }

  private async completed(batch: SpoolBatch | { records: Buffer[]; bytes: number }): Promise<void> {
    this.sent += batch.records.length;
    if (this.spool !== undefined && "segment" in batch) {
      const spool = this.spool;
      await this.spoolOp(() => spool.commit(batch));
    } else {
      this.head += batch.records.length;
      this.queuedBytes -= batch.bytes;
      this.delivered += batch.records.length;
      // Drop delivered records from the array once they are a good part of it (amortised O(1) per record).
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    this.notify();
  }

  /** True while a batch that is not full should wait for more records (lingerMs, nobody waiting). */
  private holdBack(bytes: number): boolean {
    const lingerMs = this.options.lingerMs ?? 0;
    if (lingerMs <= 0 || this.closing || this.stopped || this.waiters.length > 0) return false;
    // More records than the batch took: it is full.
    if (bytes >= this.batchBytes || this.pendingBytes() > bytes) return false;
    this.lingerSince ??= Date.now();
    return Date.now() - this.lingerSince < lingerMs;
  }

  private async linger(): Promise<void> {
    const left = (this.lingerSince ?? 0) + (this.options.lingerMs ?? 0) - Date.now();
    this.lingering = true;
    try {
      await this.sleep(Math.max(0, left));
    } finally {
      this.lingering = false;
    }
  }

  private pendingBytes(): number {
    return this.spool === undefined ? this.queuedBytes : this.spool.pendingBytes;
  }

  /** Tries until delivered (true), or until the output fails or is stopped (false). */
  private async deliver(records: readonly Buffer[]): Promise<boolean> {
    for (;;) {
      if (this.stopped) return false;
      try {
        await this.transport.send(records);
        if (this.downSince !== undefined) {
          const seconds = Math.round((Date.now() - this.downSince) / 1000);
          this.log(`cbexport: output ${this.name}: delivering again after ${seconds} s`);
          this.downSince = undefined;
        }
        this.backoff.reset();
        return true;
      } catch (err) {
        if (this.stopped) return false;
        const error = deliveryError(err);
        if (!error.retryable) {
          this.fail(error);
          return false;
        }
        const now = Date.now();
        if (this.downSince === undefined) {
          this.downSince = now;
          this.log(`cbexport: output ${this.name}: ${error.message}; retrying${this.retryNote()}`);
        }
        const left = this.downSince + this.options.retryForMs - now;
        if (left <= 0 && this.spool === undefined) {
          this.fail(
            `gave up after ${this.retryForText()} of failed deliveries (--retry-for): ${error.message}`,
          );
          return false;
        }
        this.notify();
        const delay = Math.max(this.backoff.next(), error.retryAfterMs ?? 0);
        // The last attempt comes when the retry time is up, not a whole backoff later.
        await this.sleep(
          this.spool === undefined || this.closing ? Math.max(0, Math.min(delay, left)) : delay,
        );
      }
    }
  }

  private retryNote(): string {
    if (this.spool !== undefined) return ` (meanwhile events go to spool ${this.spool.dir})`;
    return Number.isFinite(this.options.retryForMs) ? ` for up to ${this.retryForText()}` : "";
  }

  private retryForText(): string {
    return `${Math.round(this.options.retryForMs / 1000)} s`;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) {
          this.wake = undefined;
          this.timer = undefined;
        }
        resolve();
      };
      const timer = setTimeout(done, ms);
      // A spooling output retrying in the background must not keep a finished process alive; anyone waiting
      // for it (a full spool, close) does: waitFor() refs the timer again.
      if (this.spool !== undefined && this.waiters.length === 0 && !this.closing) timer.unref();
      this.timer = timer;
      this.wake = done;
    });
  }

  private waitFor(until: () => boolean): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (until()) return Promise.resolve();
    this.timer?.ref();
    // Someone waits for delivery: a batch held back for more records goes now.
    if (this.lingering) this.wake?.();
    return new Promise((resolve, reject) => this.waiters.push({ until, resolve, reject }));
  }

  private notify(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i] as Waiter;
      if (!waiter.until()) continue;
      this.waiters.splice(i, 1);
      waiter.resolve();
    }
  }

  private fail(cause: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = cause instanceof SinkError ? cause : new SinkError(this.name, cause);
    this.stop();
    this.transport.close().catch(() => undefined);
  }

  private stop(): void {
    this.stopped = true;
    this.wake?.();
    // Nothing more will be delivered: whoever still waits learns the output is gone instead of hanging.
    const closed = this.failure ?? new SinkError(this.name, "closed before everything was delivered");
    for (const waiter of this.waiters.splice(0)) waiter.reject(closed);
  }

  private spoolOp<T>(op: () => Promise<T>): Promise<T> {
    const result = this.spoolChain.then(op);
    this.spoolChain = result.catch(() => undefined);
    return result.catch((err: unknown) => {
      throw err instanceof SinkError ? err : new SinkError(this.name, err);
    });
  }
}
