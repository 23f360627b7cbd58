// Delays between attempts (bus reconnects, output deliveries): exponential with "equal jitter" (half fixed,
// half random), so that many clients cut off by the same outage do not all come back in the same instant, while
// none retries in a tight loop.

export interface BackoffOptions {
  /** First delay in ms. Default 500. */
  initialMs?: number;
  /** Ceiling in ms. Default 30 000 (the forwarder's fixed wait). */
  maxMs?: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  /** Delay before the next attempt; each call doubles the base up to the ceiling. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  /** After a connection that worked: the next failure starts again from the first delay. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

/** Resolves after `ms`, or early (without error) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
