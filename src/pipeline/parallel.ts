// Formatting on every core: the main thread reads the input and cuts it into runs of whole records (cheap),
// worker threads decode and format the runs (the expensive part), and the main thread writes their output in
// input order. Inputs and outputs live in shared memory (see transfer.ts): no copies, and each buffer goes back
// and forth for reuse.
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { FormatterOptions } from "../formats/formatter.js";
import { startFormatWorker, takeEarlyFormatWorkers } from "./early-workers.js";
import type { RunPool } from "./export.js";
import { InlinePool } from "./inline-pool.js";
import type { FormattedRun, RecordRun } from "./record-batch-formatter.js";
import { RecordBuffers } from "./record-buffers.js";
import { isShared, postable, received, sharedBuffer } from "./transfer.js";

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/** A pool for `threads` threads: worker threads when there are several, else the main thread (InlinePool). */
export function runPool(options: FormatterOptions, threads: number): RunPool {
  return threads > 1 ? new FormatPool(options, threads) : new InlinePool(options);
}

interface Pending {
  resolve: (result: FormattedRun) => void;
  reject: (err: Error) => void;
}

export type RunMessage = Omit<RecordRun, "records"> & { records: Uint8Array };

/** main → worker, first: what to format into. */
export interface FormatSetup {
  options: FormatterOptions;
}

/** main → worker: runs formatted into one output. `spares`: written outputs' memory, to write the next ones in. */
export interface FormatJob {
  id: number;
  runs: RunMessage[];
  spares: Uint8Array[];
}

/** worker → main. `records`: the runs' input memory, handed back for reading more. */
export interface FormatReply {
  id: number;
  result: Omit<FormattedRun, "output"> & { output: Uint8Array };
  records: Uint8Array[];
}

/** A fixed set of format workers; runs are handed out round-robin. */
export class FormatPool implements RunPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly records = new RecordBuffers(sharedBuffer);
  private readonly spareOutputs: Buffer[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    options: FormatterOptions,
    readonly threads: number,
  ) {
    const early = takeEarlyFormatWorkers(threads);
    for (let i = 0; i < threads; i++) {
      const worker = early[i] ?? startFormatWorker();
      const setup: FormatSetup = { options };
      worker.postMessage(setup);
      worker.on("message", (msg: FormatReply) => this.settle(msg));
      worker.on("error", (err) => this.fail(err));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`format worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  /** Memory for reading a run of at least `size` bytes: a run's input given back by a worker, or new. */
  readonly alloc = this.records.alloc;

  /**
   * Gives back the memory of a job's output once every sink is done with it (no view of it may be used after).
   * Buffers go round in a closed loop (read → worker → written → reused), so there are only as many as the jobs
   * in flight need, and none is left for the garbage collectors of two threads to find.
   */
  recycleOutput(output: Buffer): void {
    if (isShared(output)) this.spareOutputs.push(whole(output));
  }

  /**
   * Formats runs into one output on the next worker. The runs' memory (shared, from alloc) now belongs to the
   * worker until it gives it back: it must not be written meanwhile.
   */
  format(runs: readonly RecordRun[]): Promise<FormattedRun> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    // One output's memory per job: the worker hands its current one back with the result.
    const spares = this.spareOutputs.splice(0, 1);
    const messages = runs.map((run) => ({ ...run, records: postable(run.records) }));
    const worker = this.workers[id % this.workers.length];
    const job: FormatJob = { id, runs: messages, spares };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(msg: FormatReply): void {
    for (const records of msg.records) this.records.giveBack(whole(records));
    const pending = this.pending.get(msg.id);
    if (pending === undefined) return;
    this.pending.delete(msg.id);
    pending.resolve({ ...msg.result, output: received(msg.result.output) });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** The whole shared memory a view is part of. */
function whole(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer);
}
