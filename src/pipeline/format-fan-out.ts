// Outputs that chose their own format (`format=leef` in their URL) get each event formatted again in that
// format. The pipeline keeps talking to one formatter and one writer (those of --format): this formatter also
// renders every event in the other formats and feeds their writers, and `link`, a sink of the --format writer,
// makes that writer's write-outs wait for the other writers' (back-pressure) and its flush flush them too, so
// `writer.flush()` still means "every output holds everything durably".
import type { SensorEvent } from "../decode/event.js";
import { EventFormatter, type FormatOutcome, type FormatterOptions } from "../formats/formatter.js";
import type { Sink } from "../sinks/sink.js";
import type { LineWriter } from "./line-writer.js";

/** The writer of the outputs that share one format other than --format, and the formatter for it. */
export interface FormatRoute {
  formatter: EventFormatter;
  writer: LineWriter;
}

export class FanOutFormatter extends EventFormatter {
  /** Write-outs of the other writers not yet waited for. */
  private pending: Promise<void>[] = [];
  private error: unknown;
  /** Events another format could not render (format → count); --format's own failures are in the summary. */
  readonly failures = new Map<string, number>();

  /** Add to the --format writer's sinks. */
  readonly link: Sink = {
    name: "outputs in other formats",
    write: () => this.settle(),
    flush: async () => {
      await this.settle();
      await Promise.all(this.routes.map((r) => r.writer.flush()));
    },
    close: async () => undefined,
  };

  constructor(
    options: FormatterOptions,
    private readonly routes: readonly FormatRoute[],
  ) {
    super(options);
  }

  /** No direct record writer: a caller using one would bypass event() and so the outputs in other formats. */
  override get recordWriter(): EventFormatter["recordWriter"] {
    return undefined;
  }

  override event(event: SensorEvent): FormatOutcome {
    const outcome = super.event(event);
    for (const route of this.routes) this.feed(route, route.formatter.event(event));
    return outcome;
  }

  override notification(body: Buffer | string, routingKey: string): FormatOutcome {
    const outcome = super.notification(body, routingKey);
    for (const route of this.routes) this.feed(route, route.formatter.notification(body, routingKey));
    return outcome;
  }

  private feed(route: FormatRoute, outcome: FormatOutcome): void {
    if (outcome.status === "failed") {
      const format = route.formatter.options.format;
      this.failures.set(format, (this.failures.get(format) ?? 0) + 1);
      return;
    }
    if (outcome.status !== "lines") return;
    for (const line of outcome.lines) {
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

  private async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    if (this.error !== undefined) throw this.error;
  }
}
