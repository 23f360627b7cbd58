// The run's open outputs and what is known of their health: a write or flush that failed (the output gave up),
// an outage being retried (the delivery layer says so in its log), or a write that has waited too long. Outputs
// stay open across a reload when their settings did not change (a spool or a connection is not torn down).
import { resolve } from "node:path";
import type { OutputFormat } from "../formats/formatter.js";
import { FileSink, openDestination, type Sink } from "../sinks/index.js";
import type { OutputSettings } from "./config/settings.js";

/** A write or flush pending longer than this makes the output "stalled" (not ready). */
export const STALL_MS = 30_000;

export type OutputState = "ok" | "retrying" | "stalled" | "failed";

export class OutputHandle {
  /** Outages started (a delivery that failed after working) and failures that ended the output. */
  errors = 0;
  lastError: string | undefined;
  retryingSince: number | undefined;
  failure: string | undefined;
  private readonly ops = new Map<number, number>();
  private seq = 0;
  readonly sink: Sink;

  constructor(
    readonly settings: OutputSettings,
    /** The output as opened (FileSink for files: follow's checkpoints need it). */
    readonly inner: Sink,
    readonly deferRotation: boolean,
  ) {
    this.sink = {
      name: inner.name,
      write: (data) => this.track(() => inner.write(data)),
      flush: () => this.track(() => inner.flush()),
      close: () => inner.close(),
    };
  }

  get name(): string {
    return this.settings.name;
  }

  get format(): OutputFormat {
    return this.settings.format;
  }

  /** Lines of the delivery layer about this output: an outage starts, or ends. */
  observe(line: string): void {
    if (/; retrying\b/.test(line)) {
      this.errors++;
      this.retryingSince ??= Date.now();
      this.lastError = line.replace(/^cbexport: output .*?: /, "").replace(/; retrying.*$/, "");
    } else if (/delivering again after/.test(line)) this.retryingSince = undefined;
  }

  state(now = Date.now()): { state: OutputState; reason?: string } {
    if (this.failure !== undefined) return { state: "failed", reason: this.failure };
    if (this.retryingSince !== undefined)
      return {
        state: "retrying",
        reason: `failing for ${Math.round((now - this.retryingSince) / 1000)} s: ${this.lastError ?? "?"}`,
      };
    const oldest = this.oldestPending();
    if (oldest !== undefined && now - oldest > STALL_MS)
      return { state: "stalled", reason: `a write has waited ${Math.round((now - oldest) / 1000)} s` };
    return { state: "ok" };
  }

  private oldestPending(): number | undefined {
    let oldest: number | undefined;
    for (const at of this.ops.values()) if (oldest === undefined || at < oldest) oldest = at;
    return oldest;
  }

  private async track(op: () => Promise<void>): Promise<void> {
    const id = this.seq++;
    this.ops.set(id, Date.now());
    try {
      await op();
    } catch (err) {
      this.errors++;
      this.failure ??= (err as Error).message;
      throw err;
    } finally {
      this.ops.delete(id);
    }
  }
}

export interface OpenContext {
  retryForMs: number;
  /** File outputs rotate only when told (follow checkpoints first): exactly-once mode. */
  deferRotation: boolean;
  log: (output: string) => (line: string) => void;
}

/** Opens the outputs of a configuration, reusing the open ones whose settings are the same. */
export class OutputSet {
  private handles = new Map<string, OutputHandle>();

  get all(): OutputHandle[] {
    return [...this.handles.values()];
  }

  /** Handles for these settings: kept when unchanged, else opened; the ones no longer wanted are returned. */
  async update(outputs: readonly OutputSettings[], context: OpenContext): Promise<OutputHandle[]> {
    const next = new Map<string, OutputHandle>();
    const opened: OutputHandle[] = [];
    try {
      for (const output of outputs) {
        const known = this.handles.get(output.name);
        if (
          known !== undefined &&
          known.settings.key === output.key &&
          known.deferRotation === context.deferRotation &&
          known.failure === undefined
        ) {
          next.set(output.name, known);
          continue;
        }
        const handle = await open(output, context);
        opened.push(handle);
        next.set(output.name, handle);
      }
    } catch (err) {
      await Promise.allSettled(opened.map((h) => h.inner.close()));
      throw err;
    }
    const retired = [...this.handles.values()].filter((h) => next.get(h.name) !== h);
    this.handles = next;
    return retired;
  }

  /** File outputs by absolute path (for follow's checkpoints). */
  files(): { path: string; sink: FileSink }[] {
    return this.all.flatMap((h) =>
      h.inner instanceof FileSink ? [{ path: resolve(h.inner.name), sink: h.inner }] : [],
    );
  }

  async closeAll(): Promise<void> {
    const handles = this.all;
    this.handles = new Map();
    await closeHandles(handles);
  }
}

export async function closeHandles(handles: readonly OutputHandle[]): Promise<void> {
  const results = await Promise.allSettled(handles.map((h) => h.inner.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

async function open(output: OutputSettings, context: OpenContext): Promise<OutputHandle> {
  let handle: OutputHandle | undefined;
  const log = context.log(output.name);
  const inner = await openDestination(output.destination, {
    retryForMs: context.retryForMs,
    format: output.format,
    deferRotation: context.deferRotation,
    log: (line) => {
      handle?.observe(line);
      log(line);
    },
  });
  handle = new OutputHandle(output, inner, context.deferRotation);
  return handle;
}
