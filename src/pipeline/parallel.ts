// Formatting on every core: the main thread reads the input and cuts it into runs of whole records (cheap),
// worker threads decode and format the runs (the expensive part), and the main thread writes their output in
// input order. Memory moves between the threads without copies, and goes back and forth for reuse.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { FormatterOptions } from "../formats/formatter.js";
import type { FormattedRun, RecordRun } from "./record-batch-formatter.js";
import { movable, received } from "./transfer.js";

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

interface Pending {
  resolve: (result: FormattedRun) => void;
  reject: (err: Error) => void;
}

export type RunMessage = Omit<RecordRun, "records"> & { records: Uint8Array };

/** main → worker: runs formatted into one output. `spares`: memory of written outputs, to write the next ones in. */
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

/** Recycled buffers kept at most (each list): enough for the runs in flight, not more. */
const MAX_SPARES = 8;

/** A fixed set of format workers; runs are handed out round-robin. */
export class FormatPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly spareRecords: ArrayBuffer[] = [];
  private readonly spareOutputs: ArrayBuffer[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(options: FormatterOptions, threads: number) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL("./format-worker.js", import.meta.url), {
        workerData: options,
        // A worker keeps nothing between runs; small heaps keep the whole process well under 300 MB.
        resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 96 },
      });
      worker.on("message", (msg: FormatReply) => this.settle(msg));
      worker.on("error", (err) => this.fail(err));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`format worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  /** Memory for reading a run of at least `size` bytes: a run's input given back by a worker, or new. */
  readonly alloc = (size: number): Buffer => {
    const spare = this.spareRecords.pop();
    if (spare !== undefined && spare.byteLength >= size) return Buffer.from(spare);
    return Buffer.allocUnsafeSlow(size);
  };

  /** Gives back the memory of a run's output once every sink is done with it (no view of it may be used after). */
  recycleOutput(output: Buffer): void {
    if (this.spareOutputs.length < MAX_SPARES && output.buffer.byteLength > Buffer.poolSize)
      this.spareOutputs.push(output.buffer as ArrayBuffer);
  }

  /**
   * Formats runs into one output on the next worker. The memory of the runs' records is moved to the worker:
   * neither those Buffers nor any other view of their ArrayBuffers may be used afterwards.
   */
  format(runs: readonly RecordRun[]): Promise<FormattedRun> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    const transfer: ArrayBuffer[] = this.spareOutputs.splice(0, 2);
    const spares = transfer.map((b) => new Uint8Array(b));
    const messages = runs.map((run) => {
      const { view, buffer } = movable(run.records);
      if (!transfer.includes(buffer)) transfer.push(buffer);
      return { ...run, records: view };
    });
    const worker = this.workers[id % this.workers.length];
    const job: FormatJob = { id, runs: messages, spares };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(job, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(msg: FormatReply): void {
    for (const records of msg.records)
      if (this.spareRecords.length < MAX_SPARES) this.spareRecords.push(records.buffer as ArrayBuffer);
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
