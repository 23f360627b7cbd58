// The sources of a run, each driving an existing loop (follow's checkpoints, the bus consumer's ack-after-flush,
// the one-off export) with the run's shared formatter, writer and batch stage: every checkpoint and every ack
// waits for the flush of every output. State lives in STATE/<source name>/.
import { stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { EventFormatter, FormatterOptions } from "../formats/formatter.js";
import { CheckpointStore } from "../pipeline/checkpoint.js";
import { exportFileRuns, exportFiles } from "../pipeline/export.js";
import { type CheckpointedOutput, runFollow } from "../pipeline/follow.js";
import type { LineWriter } from "../pipeline/line-writer.js";
import { defaultThreads, runPool } from "../pipeline/parallel.js";
import { RecordRunFormatter } from "../pipeline/record-batch-formatter.js";
import type { BatchStage } from "../pipeline/stage.js";
import { RunSummary } from "../pipeline/summary.js";
import { makeDirectory } from "../sinks/directory.js";
import type { FileSink } from "../sinks/index.js";
import { type ArchiveFile, listArchiveFiles } from "../sources/archive.js";
import { archiveLocation, DEFAULT_ARCHIVE_PROPERTIES } from "../sources/archive-properties.js";
import { BatchWriter } from "../sources/bus/batch.js";
import { resolveBroker } from "../sources/bus/broker.js";
import { BusConsumer } from "../sources/bus/consumer.js";
import { DeadLetterBox } from "../sources/bus/dead-letter.js";
import { MessageExporter } from "../sources/bus/message-export.js";
import { planSelection } from "../sources/bus/selection.js";
import type { FollowProgress } from "../sources/follow.js";
import type { BusSourceConfig, ExportSourceConfig, FollowSourceConfig } from "./config/schema.js";

/** What every source of a run shares. */
export interface SourceContext {
  formatter: EventFormatter;
  /** Set when new records may go straight from their bytes to the formatter's direct writer (Routing.direct). */
  direct?: FormatterOptions | undefined;
  writer: LineWriter;
  stage: BatchStage;
  state: string | undefined;
  /** Raw event names of the run (`raw_events`), for a bus source's bindings. */
  rawEvents: ReadonlySet<string> | undefined;
  /** File outputs whose length follow records and restores: the run's only source is this follow source. */
  exactlyOnceFiles: readonly { path: string; sink: FileSink }[];
  log: (source: string) => (line: string) => void;
}

export interface SourceRunner {
  readonly name: string;
  readonly type: "follow" | "export" | "bus";
  readonly summary: RunSummary;
  /** Runs the loop until it is stopped (or, for export, done). */
  run(): Promise<void>;
  stop(): void;
  /** Not ready: why. */
  notReady(): string | undefined;
  status(): Promise<Record<string, unknown>>;
}

export function createSource(
  name: string,
  config: FollowSourceConfig | ExportSourceConfig | BusSourceConfig,
  context: SourceContext,
): SourceRunner {
  switch (config.type) {
    case "follow":
      return new FollowSource(name, config, context);
    case "export":
      return new ExportSource(name, config, context);
    case "bus":
      return new BusSource(name, config, context);
  }
}

function paths(config: { path?: string | undefined; paths?: string[] | undefined }): string[] {
  return (config.paths ?? (config.path === undefined ? [] : [config.path])).map((p) => resolve(p));
}

export class FollowSource implements SourceRunner {
  readonly type = "follow";
  readonly summary: RunSummary;
  readonly progress: FollowProgress = {
    backlogFiles: 0,
    backlogBytes: 0,
    oldestPendingMs: undefined,
    files: 0,
    bytes: 0,
  };
  private readonly controller = new AbortController();
  private started = false;
  private readonly log: (line: string) => void;

  constructor(
    readonly name: string,
    private readonly config: FollowSourceConfig,
    private readonly context: SourceContext,
  ) {
    this.log = context.log(name);
    this.summary = new RunSummary(this.log);
  }

  async run(): Promise<void> {
    const roots = paths(this.config);
    for (const root of roots) {
      const info = await stat(root).catch(() => undefined);
      if (info === undefined || !info.isDirectory())
        throw new Error(`source ${this.name}: ${root} is not a folder`);
    }
    const dir = join(this.context.state as string, this.name);
    await makeDirectory(dir);
    const store = new CheckpointStore(dir);
    const state = await store.load();
    // Their lengths were restored to the checkpoint before they were opened (Service.restoreFiles).
    const outputs = this.context.exactlyOnceFiles.map(({ path, sink }) => fileOutput(path, sink));
    // Only the lengths of this run's outputs stay recorded: a length recorded by an earlier run (before other
    // sources wrote to the file too) must never cut the file later.
    const current = new Set(outputs.map((o) => o.path));
    for (const path of Object.keys(state.outputs)) if (!current.has(path)) delete state.outputs[path];
    this.started = true;
    const c = this.config;
    const retainHours = c.retain_hours;
    const direct = this.context.direct;
    const pool = direct === undefined ? undefined : runPool(direct, defaultThreads());
    try {
      await runFollow(
        {
          roots,
          store,
          state,
          formatter: this.context.formatter,
          records: pool,
          writer: this.context.writer,
          outputs,
          summary: this.summary,
          follow: {
            settleMs: (c.settle_seconds ?? 5) * 1000,
            rescanMs: (c.rescan_seconds ?? 30) * 1000,
            sensorId: c.sensor_id,
            maxRecordBytes: c.max_record_bytes,
            progress: this.progress,
          },
          deletion: {
            remove: c.remove ?? false,
            removeDamaged: c.remove_damaged ?? false,
            retainMs: retainHours === undefined ? undefined : retainHours * 3600 * 1000,
            maxArchiveBytes: c.max_archive_bytes,
          },
          stage: this.context.stage,
          log: this.log,
        },
        this.controller.signal,
      );
    } finally {
      await pool?.close?.();
    }
  }

  stop(): void {
    this.controller.abort();
  }

  notReady(): string | undefined {
    return this.started ? undefined : "starting";
  }

  async status(): Promise<Record<string, unknown>> {
    const p = this.progress;
    return {
      paths: paths(this.config),
      files: p.files,
      bytes: p.bytes,
      backlog_files: p.backlogFiles,
      backlog_bytes: p.backlogBytes,
      lag_seconds: lagSeconds(p),
    };
  }
}

/** Age of the oldest unexported record (at least), 0 when nothing waits. */
export function lagSeconds(progress: FollowProgress, now = Date.now()): number {
  return progress.oldestPendingMs === undefined ? 0 : Math.max(0, (now - progress.oldestPendingMs) / 1000);
}

/** A file output as follow's checkpoint sees it: identity and length by path (the current file after a rotation). */
function fileOutput(path: string, sink: FileSink): CheckpointedOutput {
  return {
    path,
    async stat() {
      const info = await stat(path).catch(() => undefined);
      return { ino: info?.ino ?? 0, size: info?.size ?? 0 };
    },
    rotateIfDue: () => sink.rotateIfDue(),
  };
}

export class ExportSource implements SourceRunner {
  readonly type = "export";
  readonly summary: RunSummary;
  private readonly controller = new AbortController();
  private files: ArchiveFile[] | undefined;
  /** Every file was exported (not stopped): a reload does not export them again. */
  done = false;
  private readonly log: (line: string) => void;

  constructor(
    readonly name: string,
    private readonly config: ExportSourceConfig,
    private readonly context: SourceContext,
  ) {
    this.log = context.log(name);
    this.summary = new RunSummary(this.log);
  }

  async run(): Promise<void> {
    const c = this.config;
    const roots = paths(c);
    if (c.auto === true || c.archive_properties !== undefined)
      roots.push(await archiveLocation(c.archive_properties ?? DEFAULT_ARCHIVE_PROPERTIES));
    this.files = await listArchiveFiles(roots);
    const removeDamaged = c.remove_damaged ?? false;
    // Called only once every line of the file is durably written (exportFiles flushes first).
    const afterFile =
      c.remove === true
        ? async (file: ArchiveFile, damaged: boolean) => {
            if (damaged && !removeDamaged) {
              this.log(`kept ${file.path}: it had damaged records (remove_damaged deletes it)`);
              return;
            }
            await unlink(file.path);
          }
        : undefined;
    const options = { sensorId: c.sensor_id, maxRecordBytes: c.max_record_bytes, afterFile };
    const signal = this.controller.signal;
    const direct = this.context.direct;
    if (direct === undefined) {
      const { formatter, writer, stage } = this.context;
      await exportFiles(this.files, formatter, writer, this.summary, { ...options, stage, signal });
    } else {
      // Records straight from their bytes to the direct writer, on every core (Routing.direct).
      const pool = runPool(direct, defaultThreads());
      try {
        await exportFileRuns(this.files, pool, this.context.writer, this.summary, {
          ...options,
          signal,
        });
      } finally {
        await pool.close?.();
      }
    }
    this.done = !this.controller.signal.aborted;
    this.log(`exported ${this.summary.files} file(s), ${this.summary.records} record(s)`);
  }

  stop(): void {
    this.controller.abort();
  }

  notReady(): string | undefined {
    return undefined;
  }

  async status(): Promise<Record<string, unknown>> {
    return { files: this.files?.length, files_read: this.summary.files, done: this.done };
  }
}

export class BusSource implements SourceRunner {
  readonly type = "bus";
  readonly summary: RunSummary;
  consumer: BusConsumer | undefined;
  private stopped = false;
  private readonly log: (line: string) => void;
  private depth: { at: number; value: number | undefined } = { at: 0, value: undefined };

  constructor(
    readonly name: string,
    private readonly config: BusSourceConfig,
    private readonly context: SourceContext,
  ) {
    this.log = context.log(name);
    this.summary = new RunSummary(this.log);
  }

  async run(): Promise<void> {
    const c = this.config;
    const queue = c.queue ?? "cbexport";
    const events = (c.events ?? ["all"]).map((e) => e.toLowerCase());
    const rawNames = this.context.rawEvents === undefined ? [] : [...this.context.rawEvents];
    // Raw kinds chosen for the run (raw_events) also choose the bindings of `raw_source: events`.
    const takesRaw = events.includes("raw") || events.includes("all");
    const notifications = events.includes("notifications") || events.includes("all");
    const wanted =
      rawNames.length > 0 && takesRaw ? [...(notifications ? ["notifications"] : []), ...rawNames] : events;
    const selection = planSelection({
      events: wanted.join(","),
      rawSource: c.raw_source,
      bind: c.bind,
      eventsExchange: c.events_exchange,
      rawExchange: c.raw_exchange,
    });
    const broker = await resolveBroker({
      url: brokerUrl(c),
      cbConf: c.cb_conf,
      tls: {
        ca: c.tls?.ca,
        cert: c.tls?.cert,
        key: c.tls?.key,
        insecure: c.tls?.verify === false ? true : undefined,
      },
      connectionName: `cbexport run ${this.name} ${queue} ${hostname()}:${process.pid}`,
    });
    const deadLetters = new DeadLetterBox(
      c.dead_letter ?? join(this.context.state as string, this.name, "dead-letter"),
    );
    const exporter = new MessageExporter(this.context.formatter, this.context.writer, this.summary, {
      selection,
      decode: { maxRecordBytes: c.max_record_bytes },
      sensorId: c.sensor_id,
      stage: this.context.stage,
      records: this.context.direct === undefined ? undefined : new RecordRunFormatter(this.context.direct),
    });
    const batches = new BatchWriter(exporter, this.context.writer, deadLetters, queue, this.log);
    this.consumer = new BusConsumer({
      broker,
      queue,
      selection,
      prefetch: c.prefetch ?? 500,
      batchWaitMs: c.batch_wait_ms,
      log: this.log,
      write: (batch) => batches.write(batch),
    });
    if (this.stopped) return;
    await this.consumer.run();
  }

  stop(): void {
    this.stopped = true;
    this.consumer?.stop("signal");
  }

  notReady(): string | undefined {
    if (this.consumer === undefined) return "starting";
    return this.consumer.connected ? undefined : "not connected to the broker";
  }

  /** Queue depth, asked of the broker at most every 5 s. */
  async queueDepth(): Promise<number | undefined> {
    const now = Date.now();
    if (this.consumer !== undefined && now - this.depth.at > 5000) {
      this.depth = { at: now, value: await this.consumer.queueDepth() };
    }
    return this.depth.value;
  }

  async status(): Promise<Record<string, unknown>> {
    const stats = this.consumer?.stats;
    return {
      connected: this.consumer?.connected ?? false,
      queue: this.config.queue ?? "cbexport",
      queue_messages: await this.queueDepth(),
      in_hand: this.consumer?.inHand ?? 0,
      acknowledged: stats?.acked ?? 0,
      connections: stats?.connections ?? 0,
    };
  }
}

/** The broker URL with `username`/`password` keys put in (they keep a password out of the URL text). */
function brokerUrl(c: BusSourceConfig): string | undefined {
  if (c.username === undefined && c.password === undefined) return c.url;
  const url = new URL(c.url ?? "amqp://localhost:5004/");
  if (c.username !== undefined) url.username = encodeURIComponent(c.username);
  if (c.password !== undefined) url.password = encodeURIComponent(c.password);
  return url.href;
}
