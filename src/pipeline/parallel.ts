// Formatting on every core: the main thread reads and frames the input (cheap), worker threads decode and
// format runs of records (the expensive part), and the main thread writes their output in input order.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { FormatterOptions } from "../formats/formatter.js";
import type { FormattedRun, RecordRun } from "./record-batch-formatter.js";
import { transferable } from "./transfer.js";

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

interface Pending {
  resolve: (result: FormattedRun) => void;
  reject: (err: Error) => void;
}

/** A fixed set of format workers; runs are handed out round-robin. */
export class FormatPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(options: FormatterOptions, threads: number) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL("./format-worker.js", import.meta.url), {
        workerData: options,
        // A worker keeps nothing between runs; small heaps keep the whole process well under 300 MB.
        resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 96 },
      });
      worker.on("message", (msg: { id: number; result: FormattedRun }) => this.settle(msg));
      worker.on("error", (err) => this.fail(err));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`format worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  /** Formats one run on the next worker. The run's records buffer is moved to the worker (do not reuse it). */
  format(run: RecordRun): Promise<FormattedRun> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    const records = transferable(run.records);
    const worker = this.workers[id % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, run: { ...run, records } }, [records.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(msg: { id: number; result: FormattedRun }): void {
    const pending = this.pending.get(msg.id);
    if (pending === undefined) return;
    this.pending.delete(msg.id);
    const out = msg.result.output;
    pending.resolve({ ...msg.result, output: Buffer.from(out.buffer, out.byteOffset, out.length) });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
