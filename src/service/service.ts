// `cbexport run`: one configuration file, any number of sources sharing the outputs, a status endpoint. The
// lifecycle: start; SIGTERM drains (every source finishes its batch, flushes, checkpoints or acks) and exits 0;
// SIGHUP checks the new configuration first, then drains and starts again with it, keeping outputs whose
// settings did not change open. Nothing is lost across a reload: whatever was not checkpointed or acknowledged
// before the drain is read again by the new sources.
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CheckpointStore } from "../pipeline/checkpoint.js";
import { restoreOutputs } from "../pipeline/follow.js";
import { DocumentView } from "../transforms/document-view.js";
import { HostEnricher } from "../transforms/enrich/host-enricher.js";
import { SensorApi } from "../transforms/enrich/sensor-api.js";
import { loadConfig } from "./config/load.js";
import { resolveSettings, type Settings } from "./config/settings.js";
import { type Logger, lineLog } from "./logger.js";
import { closeHandles, type OutputHandle, OutputSet } from "./outputs.js";
import { buildRouting, type Routing } from "./routing.js";
import { createSource, ExportSource, type SourceRunner } from "./sources.js";
import { serviceMetrics, serviceStatus, type Totals } from "./status-model.js";
import { StatusServer } from "./status-server.js";

export interface ServiceOptions {
  file: string;
  logger: Logger;
  env?: Readonly<Record<string, string | undefined>>;
}

/** One configuration's sources and routing; replaced as a whole on reload. */
export class Generation {
  readonly loops: Promise<void>[] = [];
  failure: unknown;
  /** Its counters were added to the service's totals. */
  retired = false;
  private finished = 0;

  constructor(
    readonly settings: Settings,
    readonly routing: Routing,
    readonly sources: SourceRunner[],
    readonly outputs: OutputHandle[],
  ) {}

  /** Starts every source; `onEnd` is called when one fails or when all have finished. */
  start(onEnd: () => void): void {
    for (const source of this.sources) {
      this.loops.push(
        source.run().then(
          () => {
            if (++this.finished === this.sources.length) onEnd();
          },
          (err: unknown) => {
            this.failure ??= new Error(`source ${source.name}: ${(err as Error).message}`, { cause: err });
            onEnd();
          },
        ),
      );
    }
  }

  get allFinished(): boolean {
    return this.finished === this.sources.length;
  }

  /** Stops every source; each finishes its batch, flushes and checkpoints or acknowledges; then a last flush. */
  async drain(): Promise<void> {
    for (const source of this.sources) source.stop();
    await Promise.all(this.loops);
    if (this.failure === undefined) await this.routing.writer.flush();
  }
}

export class Service {
  readonly totals: Totals = { counters: new Map() };
  readonly startedAt = Date.now();
  generation: Generation | undefined;
  enricher: HostEnricher | undefined;
  reloads = {
    ok: 0,
    failed: 0,
    lastError: undefined as string | undefined,
    lastAt: undefined as number | undefined,
  };
  private readonly outputs = new OutputSet();
  private enrichKey: string | undefined;
  /** Export sources (name and settings) that finished. */
  private readonly exported = new Set<string>();
  private status: StatusServer | undefined;
  private stopping: string | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private wake: (() => void) | undefined;
  private readonly log: Logger;

  constructor(private readonly options: ServiceOptions) {
    this.log = options.logger;
  }

  /** The settings of the file; throws ConfigError naming the file, line and key. */
  load(): Settings {
    return resolveSettings(loadConfig(this.options.file, { env: this.options.env }));
  }

  /** Runs until stopped (exit status 0), a source fails (1), or every source finished (export sources only). */
  async run(settings: Settings): Promise<number> {
    await this.startStatus(settings);
    try {
      this.generation = await this.startGeneration(settings);
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    for (;;) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.due()) resolve();
      });
      this.wake = undefined;
      if (this.reloading !== undefined) await this.reloading;
      const generation = this.generation;
      if (generation === undefined) return this.finish(1);
      if (generation.failure !== undefined) {
        this.log.error({ err: errorText(generation.failure) }, "a source failed: stopping");
        await generation.drain().catch(() => undefined);
        return this.finish(1, generation);
      }
      if (this.stopping !== undefined || generation.allFinished) {
        this.log.info(
          this.stopping === undefined ? "every source has finished" : `${this.stopping}: draining`,
        );
        try {
          await generation.drain();
        } catch (err) {
          this.log.error({ err: errorText(err) }, "draining failed");
          return this.finish(1, generation);
        }
        if (generation.failure !== undefined) return this.finish(1, generation);
        const onlyExports = generation.sources.every((s) => s.type === "export");
        const damaged = generation.sources.some((s) => s.summary.exitCode() !== 0);
        return this.finish(onlyExports && this.stopping === undefined && damaged ? 3 : 0, generation);
      }
    }
  }

  /** SIGTERM/SIGINT. */
  stop(reason: string): void {
    this.stopping ??= reason;
    this.wake?.();
  }

  /** SIGHUP: reload, one at a time; a signal during a reload reloads once more afterwards. */
  reload(): void {
    if (this.stopping !== undefined) return;
    if (this.reloading !== undefined) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = this.doReload().finally(() => {
      this.reloading = undefined;
      if (this.reloadAgain && this.stopping === undefined) {
        this.reloadAgain = false;
        this.reload();
      } else this.wake?.();
    });
  }

  private due(): boolean {
    const g = this.generation;
    return this.stopping !== undefined || g === undefined || g.failure !== undefined || g.allFinished;
  }

  private async doReload(): Promise<void> {
    let next: Settings;
    try {
      next = this.load();
    } catch (err) {
      this.reloads.failed++;
      this.reloads.lastError = (err as Error).message;
      this.log.error(
        { problems: (err as Error).message.split("\n") },
        "SIGHUP: the new configuration is refused; running on with the current one",
      );
      return;
    }
    const current = this.generation;
    if (current === undefined) return;
    this.log.info("SIGHUP: configuration checked; draining the sources, then starting again with it");
    await current.drain();
    this.retire(current);
    if (current.failure !== undefined) {
      this.generation = current;
      return;
    }
    try {
      await this.startStatus(next);
      this.generation = await this.startGeneration(next);
      this.reloads.ok++;
      this.reloads.lastAt = Date.now();
      this.reloads.lastError = undefined;
      this.log.info({ sources: next.sources.length, outputs: next.outputs.length }, "configuration reloaded");
    } catch (err) {
      this.reloads.failed++;
      this.reloads.lastError = (err as Error).message;
      this.log.error(
        { err: errorText(err) },
        "SIGHUP: starting with the new configuration failed; back to the previous one",
      );
      try {
        this.generation = await this.startGeneration(current.settings);
      } catch (again) {
        this.log.fatal(
          { err: errorText(again) },
          "the previous configuration cannot be started again either",
        );
        this.generation = undefined;
      }
    }
  }

  private async startGeneration(settings: Settings): Promise<Generation> {
    const exactlyOnce = settings.sources.length === 1 && settings.sources[0].config.type === "follow";
    if (exactlyOnce) await this.restoreFiles(settings);
    const retired = await this.outputs.update(settings.outputs, {
      retryForMs: settings.retryForMs,
      deferRotation: exactlyOnce,
      log: (output) => lineLog(this.log, { output }),
    });
    this.foldOutputs(retired);
    await closeHandles(retired).catch((err: unknown) =>
      this.log.warn({ err: errorText(err) }, "closing an output failed"),
    );
    this.enricher = this.enricherFor(settings);
    const handles = this.outputs.all;
    const sinks = new Map(handles.map((h) => [h.name, h.sink]));
    const routing = buildRouting(
      settings.outputs,
      sinks,
      settings.formatter,
      new DocumentView(settings.formatter),
      this.enricher,
    );
    const context = {
      formatter: routing.formatter,
      direct: routing.direct,
      writer: routing.writer,
      stage: routing.stage,
      state: settings.state,
      rawEvents: settings.formatter.rawEvents,
      exactlyOnceFiles: exactlyOnce ? this.outputs.files() : [],
      log: (source: string) => lineLog(this.log, { source }),
    };
    // An export source that has exported everything is not run again by a reload with the same settings.
    const sources = settings.sources
      .filter(({ name, config }) => !this.exported.has(JSON.stringify([name, config])))
      .map(({ name, config }) => createSource(name, config, context));
    const generation = new Generation(settings, routing, sources, handles);
    generation.start(() => this.wake?.());
    this.log.info(
      {
        sources: settings.sources.map((s) => `${s.name} (${s.config.type})`),
        outputs: handles.map((h) => `${h.name} (${h.sink.name}, ${h.format})`),
        delivery: exactlyOnce ? "exactly once into files" : "at least once",
      },
      "running",
    );
    return generation;
  }

  /** Exactly-once mode: file outputs about to be opened are cut back to the follow source's last checkpoint. */
  private async restoreFiles(settings: Settings): Promise<void> {
    const source = settings.sources[0];
    if (settings.state === undefined) return;
    const open = new Set(this.outputs.all.map((h) => h.settings.key));
    const files = settings.outputs.flatMap((o) =>
      o.destination.kind === "file" && !open.has(o.key) ? [o.destination.path] : [],
    );
    if (files.length === 0) return;
    const state = await new CheckpointStore(join(settings.state, source.name)).load();
    await restoreOutputs(
      state,
      files.map((file) => {
        const path = resolve(file);
        return {
          path,
          stat: async () => {
            const info = await stat(path).catch(() => undefined);
            return { ino: info?.ino ?? 0, size: info?.size ?? 0 };
          },
        };
      }),
      lineLog(this.log, { source: source.name }),
    );
  }

  /** The enricher (and its cache) stays across reloads that do not change its settings. */
  private enricherFor(settings: Settings): HostEnricher | undefined {
    const e = settings.enrich;
    const key = JSON.stringify(e ?? null);
    if (key === this.enrichKey) return this.enricher;
    this.enrichKey = key;
    if (this.enricher !== undefined) {
      const s = this.enricher.stats;
      add(this.totals, "enrich_lookups", "", s.lookups);
      add(this.totals, "enrich_failures", "", s.failures);
      add(this.totals, "enrich_missed", "", s.missed);
      add(this.totals, "enrich_enriched", "", s.enriched);
    }
    if (e === undefined) return undefined;
    const api = new SensorApi({
      url: e.url,
      token: e.token,
      verify: e.verify,
      ca: e.ca,
      timeoutMs: e.timeoutMs,
    });
    const log = this.log.child({ component: "enrich", api: api.name });
    return new HostEnricher({
      lookup: (id) => api.sensor(id),
      ttlMs: e.ttlMs,
      failureTtlMs: e.failureTtlMs,
      waitMs: e.waitMs,
      concurrency: e.concurrency,
      log: (level, message) => log[level](message),
    });
  }

  /** Counters of a drained generation go to the totals, so /metrics counters never go back. */
  private retire(generation: Generation): void {
    if (generation.retired) return;
    generation.retired = true;
    for (const source of generation.sources) {
      if (source instanceof ExportSource && source.done) {
        const config = generation.settings.sources.find((s) => s.name === source.name)?.config;
        this.exported.add(JSON.stringify([source.name, config]));
      }
      add(this.totals, "in", source.name, source.summary.records);
      add(this.totals, "damaged", source.name, source.summary.damaged);
    }
    for (const route of generation.routing.routes) {
      for (const name of route.outputs) {
        add(this.totals, "out", name, route.writer.accepted);
        add(this.totals, "unformattable", name, route.unformattable);
        add(this.totals, "filtered", name, route.filtered);
      }
    }
  }

  private foldOutputs(retired: readonly OutputHandle[]): void {
    for (const h of retired) add(this.totals, "errors", h.name, h.errors);
  }

  private async startStatus(settings: Settings): Promise<void> {
    if (this.status !== undefined && this.status.listen === settings.status) return;
    await this.status?.close();
    this.status = undefined;
    if (settings.status === undefined) return;
    this.status = await StatusServer.listen(settings.status, {
      readiness: () => this.readiness(),
      metrics: () => serviceMetrics(this),
      status: () => serviceStatus(this),
    });
    this.log.info({ listen: this.status.address }, `status endpoint on http://${this.status.address}/`);
  }

  readiness(): { ready: boolean; reasons: string[] } {
    const g = this.generation;
    if (g === undefined) return { ready: false, reasons: ["not running"] };
    const reasons: string[] = [];
    if (this.reloading !== undefined) reasons.push("reloading the configuration");
    for (const source of g.sources) {
      const why = source.notReady();
      if (why !== undefined) reasons.push(`source ${source.name}: ${why}`);
    }
    for (const output of g.outputs) {
      const { state, reason } = output.state();
      if (state !== "ok")
        reasons.push(`output ${output.name}: ${state}${reason === undefined ? "" : ` (${reason})`}`);
    }
    return { ready: reasons.length === 0, reasons };
  }

  private async finish(code: number, generation?: Generation): Promise<number> {
    if (generation !== undefined) this.retire(generation);
    let status = code;
    try {
      await this.outputs.closeAll();
    } catch (err) {
      this.log.error({ err: errorText(err) }, "closing the outputs failed");
      status = 1;
    }
    if (generation?.failure !== undefined) this.log.error({ err: errorText(generation.failure) }, "stopped");
    this.log.info({ status, ...summaryFields(this) }, "stopped");
    await this.shutdown();
    return status;
  }

  private async shutdown(): Promise<void> {
    await this.status?.close();
    this.status = undefined;
  }
}

function add(totals: Totals, metric: string, label: string, n: number): void {
  if (n === 0) return;
  const key = `${metric}\u0000${label}`;
  totals.counters.set(key, (totals.counters.get(key) ?? 0) + n);
}

function summaryFields(service: Service): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of service.totals.counters) {
    const [metric, label] = key.split("\u0000");
    if (metric === "in" || metric === "out") out[`${metric}:${label}`] = value;
  }
  return out;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
