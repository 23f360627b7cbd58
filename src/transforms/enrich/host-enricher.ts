// Host enrichment: archive records carry a sensor id (their folder) but no host name. Before a batch is
// formatted, its events without one get their sensor's details from a cache filled by the CB server's REST API.
// Off the hot path: a known sensor never waits (a stale entry is used while it is refreshed in the background);
// an unknown one holds events back at most `waitMs` once per lookup, then they go out without the details.
import type { SensorEvent } from "../../decode/event.js";
import type { HostDetails } from "./sensor-api.js";

export interface HostEnricherOptions {
  lookup: (sensorId: number) => Promise<HostDetails>;
  /** A good answer is used for this long, then refreshed (default 1 h). */
  ttlMs: number;
  /** After a failure, no new attempt for this long (default 60 s). */
  failureTtlMs: number;
  /** Longest time a batch waits for lookups it started (default 250 ms). */
  waitMs: number;
  /** Lookups in flight at most (default 4). */
  concurrency: number;
  log: (level: "warn" | "info", message: string) => void;
  now?: () => number;
}

export interface EnrichStats {
  lookups: number;
  failures: number;
  /** Events that went out without host details because their sensor's lookup was not answered in time. */
  missed: number;
  /** Events given host details. */
  enriched: number;
}

interface Entry {
  details: HostDetails | undefined;
  /** Until when the details (or the failure) stand without a new lookup. */
  freshUntil: number;
  lookup: Promise<void> | undefined;
  /** Until when events may wait for the lookup in flight. */
  waitUntil: number;
}

export class HostEnricher {
  readonly stats: EnrichStats = { lookups: 0, failures: 0, missed: 0, enriched: 0 };
  private readonly cache = new Map<number, Entry>();
  /** Per event, the details it was given (read by the formatting of the extra keys). */
  private readonly given = new WeakMap<SensorEvent, HostDetails>();
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly options: HostEnricherOptions) {
    this.now = options.now ?? Date.now;
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /** The details an event was given (undefined when none). */
  detailsOf(event: SensorEvent): HostDetails | undefined {
    return this.given.get(event);
  }

  /** Enriches the events that need it; returns a promise only when a new sensor's lookup is worth waiting for. */
  prepare(events: readonly SensorEvent[]): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    let deadline = 0;
    const now = this.now();
    let lastId = Number.NaN;
    let lastEntry: Entry | undefined;
    for (const event of events) {
      if (!needsHost(event)) continue;
      // Batches come from one folder: one sensor for most of them.
      const entry =
        event.sensorId === lastId && lastEntry !== undefined ? lastEntry : this.entry(event.sensorId, now);
      lastId = event.sensorId;
      lastEntry = entry;
      if (entry.details !== undefined) this.apply(event, entry.details);
      else if (entry.lookup !== undefined && entry.waitUntil > now) {
        waits ??= [];
        if (!waits.includes(entry.lookup)) waits.push(entry.lookup);
        deadline = Math.max(deadline, entry.waitUntil);
      } else this.stats.missed++;
    }
    if (waits === undefined) return undefined;
    return this.waitThenApply(events, waits, deadline - now);
  }

  private async waitThenApply(
    events: readonly SensorEvent[],
    waits: Promise<void>[],
    ms: number,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(waits),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, ms));
      }),
    ]);
    clearTimeout(timer);
    for (const event of events) {
      if (!needsHost(event) || this.given.has(event)) continue;
      const details = this.cache.get(event.sensorId)?.details;
      if (details !== undefined) this.apply(event, details);
      else this.stats.missed++;
    }
  }

  private apply(event: SensorEvent, details: HostDetails): void {
    if (details.computerName !== undefined) event.computerName = details.computerName;
    this.given.set(event, details);
    this.stats.enriched++;
  }

  /** The cache entry, starting a lookup when there is none or it is due for a refresh. */
  private entry(sensorId: number, now: number): Entry {
    let entry = this.cache.get(sensorId);
    if (entry === undefined) {
      entry = { details: undefined, freshUntil: 0, lookup: undefined, waitUntil: now + this.options.waitMs };
      this.cache.set(sensorId, entry);
    }
    if (entry.lookup === undefined && entry.freshUntil <= now) {
      entry.waitUntil = now + this.options.waitMs;
      entry.lookup = this.refresh(sensorId, entry);
    }
    return entry;
  }

  private async refresh(sensorId: number, entry: Entry): Promise<void> {
    await this.slot();
    this.stats.lookups++;
    try {
      entry.details = await this.options.lookup(sensorId);
      entry.freshUntil = this.now() + this.options.ttlMs;
    } catch (err) {
      this.stats.failures++;
      // Stale details stay in use: a short API outage must not strip host names from events.
      entry.freshUntil = this.now() + this.options.failureTtlMs;
      this.options.log(
        "warn",
        `host details of sensor ${sensorId} not available${entry.details === undefined ? "" : " (keeping the previous ones)"}: ${(err as Error).message}; next attempt in ${Math.round(this.options.failureTtlMs / 1000)} s`,
      );
    } finally {
      entry.lookup = undefined;
      this.release();
    }
  }

  private slot(): Promise<void> {
    if (this.inFlight < this.options.concurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next !== undefined) next();
    else this.inFlight--;
  }
}

/** Records without a host name whose sensor is known: archive records (no env) from a sensor's folder. */
function needsHost(event: SensorEvent): boolean {
  return event.computerName === "" && event.sensorIdSource !== "unknown" && event.sensorId > 0;
}
