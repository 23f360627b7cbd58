// Events to the outputs of a run: outputs that take the same events in the same form (format, filter, key
// changes) share a route, so each event is formatted once per route, not once per output. The loops keep talking
// to one formatter and one writer: with a single route and no filter those are the route's own (nothing added per
// event); otherwise a RouterFormatter feeds every route and its `link` sink makes the loops' flush flush them all.
// The single unfiltered route of a plain format can even skip the events: `direct` lets a source format new
// records straight from their bytes (formats/fast/), as `cbexport follow` does.
import type { SensorEvent } from "../decode/event.js";
import { EventFormatter, type FormatOutcome, type FormatterOptions } from "../formats/formatter.js";
import { LineWriter } from "../pipeline/line-writer.js";
import type { BatchStage } from "../pipeline/stage.js";
import type { Sink } from "../sinks/index.js";
import type { DocumentView } from "../transforms/document-view.js";
import type { HostEnricher } from "../transforms/enrich/host-enricher.js";
import { ExtraFieldsFormatter } from "../transforms/extra-fields.js";
import { EventFilter } from "../transforms/filter.js";
import type { OutputSettings } from "./config/settings.js";

/** A writer that knows how many of its lines every output has durably accepted (at the end of a flush). */
export class CountingWriter extends LineWriter {
  accepted = 0;

  override async flush(): Promise<void> {
    const lines = this.lines;
    await super.flush();
    if (lines > this.accepted) this.accepted = lines;
  }
}

export interface Route {
  /** The outputs fed by this route, by name. */
  outputs: string[];
  filter: EventFilter | undefined;
  formatter: EventFormatter;
  writer: CountingWriter;
  /** Events this route's format could not render / its filter did not take. */
  unformattable: number;
  filtered: number;
}

export interface Routing {
  routes: Route[];
  formatter: EventFormatter;
  writer: LineWriter;
  stage: BatchStage;
  /**
   * The formatter's options when records may skip decoding into events: one route takes every event as its
   * format renders it (no filter, no enrichment, no added keys) and a direct writer covers that format.
   */
  direct: FormatterOptions | undefined;
}

/** Builds the routes for the outputs (sinks by output name) and the formatter and writer the loops use. */
export function buildRouting(
  outputs: readonly OutputSettings[],
  sinks: ReadonlyMap<string, Sink>,
  base: FormatterOptions,
  documents: DocumentView,
  enricher: HostEnricher | undefined,
): Routing {
  // Group first: a LineWriter's sinks are fixed when it is made.
  const groups = new Map<string, { first: OutputSettings; names: string[]; sinks: Sink[] }>();
  for (const output of outputs) {
    const key = JSON.stringify([output.format, output.filter, output.removeFromOutput, output.addToOutput]);
    const sink = sinks.get(output.name);
    if (sink === undefined) throw new Error(`output ${output.name} is not open`);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { first: output, names: [output.name], sinks: [sink] });
    else {
      group.names.push(output.name);
      group.sinks.push(sink);
    }
  }
  const routes: Route[] = [];
  for (const { first, names, sinks: routeSinks } of groups.values()) {
    const options: FormatterOptions = {
      ...base,
      format: first.format,
      removeFromOutput: first.removeFromOutput ?? base.removeFromOutput,
    };
    const decorated = enricher !== undefined || first.addToOutput !== undefined;
    routes.push({
      outputs: names,
      filter: EventFilter.compile(first.filter, documents),
      formatter: decorated
        ? new ExtraFieldsFormatter(options, first.addToOutput, enricher)
        : new EventFormatter(options),
      writer: writerFor(routeSinks, options),
      unformattable: 0,
      filtered: 0,
    });
  }
  const before =
    enricher === undefined ? undefined : (events: readonly SensorEvent[]) => enricher.prepare(events);
  const only = routes.length === 1 && routes[0].filter === undefined ? routes[0] : undefined;
  if (only !== undefined) {
    const direct = before === undefined && only.formatter.recordWriter !== undefined;
    return {
      routes,
      formatter: only.formatter,
      writer: only.writer,
      stage: { before },
      direct: direct ? only.formatter.options : undefined,
    };
  }
  const router = new RouterFormatter(base, routes);
  return {
    routes,
    formatter: router,
    writer: new LineWriter([router.link]),
    stage: { before, after: () => router.settle() },
    direct: undefined,
  };
}

function writerFor(sinks: Sink[], { format, profile }: FormatterOptions): CountingWriter {
  // Forwarder-profile LEEF passes invalid UTF-8 bytes through raw; every other format escapes them itself.
  return new CountingWriter(sinks, { restoreInvalidBytes: format === "leef" && profile === "forwarder" });
}

const ROUTED: FormatOutcome = Object.freeze({
  status: "lines",
  lines: Object.freeze([]) as unknown as string[],
});
const SKIPPED: FormatOutcome = Object.freeze({ status: "skipped" });

/**
 * Formats each event for every route that takes it and adds the lines to that route's writer. Tells the loop
 * "exported" when any route took it; the loop's writer gets no lines (the routes' writers have them).
 */
export class RouterFormatter extends EventFormatter {
  private pending: Promise<void>[] = [];
  private error: unknown;

  /** The loops' writer's only sink: its flush flushes every route (what checkpoints and acks wait for). */
  readonly link: Sink = {
    name: "outputs",
    write: () => this.settle() ?? Promise.resolve(),
    flush: async () => {
      await this.settle();
      await Promise.all(this.routes.map((r) => r.writer.flush()));
    },
    close: async () => undefined,
  };

  constructor(
    options: FormatterOptions,
    private readonly routes: readonly Route[],
  ) {
    super(options);
  }

  /** No direct record writer: every event must come through event() (filters, routes; each route's own
   * formatter still takes its fast path inside). */
  override get fast(): EventFormatter["fast"] {
    return undefined;
  }

  override get recordWriter(): EventFormatter["recordWriter"] {
    return undefined;
  }

  override event(event: SensorEvent): FormatOutcome {
    return this.dispatch(event, "", "");
  }

  override notification(body: Buffer | string, routingKey: string): FormatOutcome {
    return this.dispatch(undefined, body, routingKey);
  }

  /** Feeds a raw event (or, without one, a notification) to every route whose filter takes it. */
  private dispatch(event: SensorEvent | undefined, body: Buffer | string, routingKey: string): FormatOutcome {
    let taken = false;
    let failure: string | undefined;
    for (const route of this.routes) {
      const filter = route.filter;
      if (
        filter !== undefined &&
        !(event !== undefined ? filter.accepts(event) : filter.acceptsNotification(routingKey))
      ) {
        route.filtered++;
        continue;
      }
      const outcome =
        event !== undefined ? route.formatter.event(event) : route.formatter.notification(body, routingKey);
      if (outcome.status === "failed") {
        route.unformattable++;
        failure ??= outcome.reason;
      } else if (outcome.status === "lines") {
        taken = true;
        this.write(route, outcome.lines);
      }
    }
    return taken ? ROUTED : failure !== undefined ? { status: "failed", reason: failure } : SKIPPED;
  }

  /** Resolves once the write-outs started so far are done (back-pressure); undefined when there are none. */
  settle(): Promise<void> | undefined {
    if (this.pending.length === 0 && this.error === undefined) return undefined;
    const pending = this.pending;
    this.pending = [];
    return Promise.all(pending).then(() => {
      if (this.error !== undefined) throw this.error;
    });
  }

  private write(route: Route, lines: readonly string[]): void {
    for (const line of lines) {
      const p = route.writer.add(line);
      // Caught at once (an unobserved rejection would end the process); reported by the next settle().
      if (p !== undefined)
        this.pending.push(
          p.catch((err: unknown) => {
            this.error ??= err;
          }),
        );
    }
  }
}
