// Format workers started before the export command has even loaded. A worker takes 60-120 ms to boot (Node's
// worker bootstrap, then the formatting modules), and the main thread needs about as long to load its own modules
// and list the files: started at the same time, the workers are ready when the first jobs are; started by the
// pool, they were ready ~110 ms after them, with the jobs waiting. Only this module's imports load first.
import { Worker } from "node:worker_threads";

/** A worker keeps nothing between runs; small heaps keep the whole process well under 300 MB. */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 96 };

interface Early {
  worker: Worker;
  /** Set if the worker failed or stopped before a pool took it (it is then not handed out). */
  failed: boolean;
}

let early: Early[] = [];

/** A format worker (format-worker.ts); it formats once it has been sent its options. */
export function startFormatWorker(): Worker {
  return new Worker(new URL("./format-worker.js", import.meta.url), { resourceLimits: RESOURCE_LIMITS });
}

/** Starts `count` format workers for a pool to take later; until then they do not keep the process alive. */
export function startFormatWorkersEarly(count: number): void {
  for (let i = 0; i < count; i++) {
    const entry: Early = { worker: startFormatWorker(), failed: false };
    // Nobody listens yet: an error now must not be an uncaught exception; the pool starts a fresh worker instead.
    entry.worker.once("error", () => {
      entry.failed = true;
    });
    entry.worker.once("exit", () => {
      entry.failed = true;
    });
    entry.worker.unref();
    early.push(entry);
  }
}

/** The workers started early and not yet taken (for tests). */
export function earlyFormatWorkers(): readonly Worker[] {
  return early.map((e) => e.worker);
}

/** Up to `count` workers started early and still healthy; the others are stopped. */
export function takeEarlyFormatWorkers(count: number): Worker[] {
  const healthy = early.filter((e) => !e.failed);
  const taken = healthy.slice(0, count).map((e) => e.worker);
  for (const e of early) if (!taken.includes(e.worker)) void e.worker.terminate();
  early = [];
  for (const worker of taken) {
    worker.removeAllListeners();
    worker.ref();
  }
  return taken;
}
