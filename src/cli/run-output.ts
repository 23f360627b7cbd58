// Opening the --output destinations and closing them with a summary, shared by the commands.
import { EventFormatter, type OutputFormat } from "../formats/formatter.js";
import { FanOutFormatter, type FormatRoute } from "../pipeline/format-fan-out.js";
import { LineWriter } from "../pipeline/line-writer.js";
import { RunSummary } from "../pipeline/summary.js";
import {
  DEFAULT_RETRY_FOR_MS,
  DeliverySink,
  type Destination,
  DestinationError,
  openDestination,
  parseDestination,
  type RotationOptions,
  rotates,
  type Sink,
} from "../sinks/index.js";
import { formatterOptions, integerOption, type ParsedFormatOptions, UsageError } from "./options.js";

export interface RunContext {
  formatter: EventFormatter;
  writer: LineWriter;
  summary: RunSummary;
  sinks: Sink[];
}

export interface ParsedOutputOptions {
  output?: string[] | undefined;
  "rotate-bytes"?: string | undefined;
  "rotate-seconds"?: string | undefined;
  gzip?: boolean | undefined;
  "retry-for"?: string | undefined;
}

export async function openRun(
  values: ParsedFormatOptions & ParsedOutputOptions,
  sinkOptions: { deferRotation?: boolean } = {},
): Promise<RunContext> {
  const given = formatterOptions(values);
  // Every destination is checked before any is opened: a usage mistake creates no file.
  const destinations = outputDestinations(values);
  const formats = destinations.map((d) => outputFormat(d, given.format, given.profile));
  // The run's own format is --format, unless no output uses it (then formatting in it would be wasted).
  const options = formats.includes(given.format) ? given : { ...given, format: formats[0] ?? given.format };
  const retryForMs = retryFor(values["retry-for"]);
  const sinks: Sink[] = [];
  try {
    for (const [i, destination] of destinations.entries())
      sinks.push(await openDestination(destination, { ...sinkOptions, retryForMs, format: formats[i] }));
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  const own = (format: OutputFormat) => sinks.filter((_, i) => formats[i] === format);
  // Outputs with a format of their own (format=... in their URL) get a formatter and a writer per format.
  const routes: FormatRoute[] = [];
  for (const format of new Set(formats)) {
    if (format === options.format) continue;
    const formatter = new EventFormatter({ ...options, format });
    routes.push({ formatter, writer: lineWriter(own(format), formatter.options) });
  }
  const formatter = routes.length === 0 ? new EventFormatter(options) : new FanOutFormatter(options, routes);
  const primary = formatter instanceof FanOutFormatter ? [...own(options.format), formatter.link] : sinks;
  return { formatter, writer: lineWriter(primary, options), summary: new RunSummary(), sinks };
}

function lineWriter(
  sinks: Sink[],
  { format, profile }: { format: OutputFormat; profile: string },
): LineWriter {
  // Forwarder-profile LEEF passes invalid UTF-8 bytes through raw; every other format escapes them itself.
  return new LineWriter(sinks, { restoreInvalidBytes: format === "leef" && profile === "forwarder" });
}

/** The format an output is written in: its URL's format=..., else --format. */
function outputFormat(destination: Destination, format: OutputFormat, profile: string): OutputFormat {
  const own = destination.kind === "stdout" ? undefined : destination.format;
  if (own === "leef" && profile === "eventexporter")
    throw new UsageError(
      "format=leef needs --profile forwarder or forwarder-3.8 (the original script had no LEEF)",
    );
  return own ?? format;
}

/** --retry-for SECONDS|forever (default 300) in ms. */
function retryFor(text: string | undefined): number {
  if (text === "forever") return Number.POSITIVE_INFINITY;
  const seconds = integerOption("retry-for", text, 0, 31_536_000);
  return seconds === undefined ? DEFAULT_RETRY_FOR_MS : seconds * 1000;
}

/** --output (default stdout) with --rotate-bytes/--rotate-seconds/--gzip applied to every file. */
export function outputDestinations(values: ParsedOutputOptions): Destination[] {
  const defaults: RotationOptions = {
    rotateBytes: integerOption("rotate-bytes", values["rotate-bytes"], 1, Number.MAX_SAFE_INTEGER),
    rotateSeconds: integerOption("rotate-seconds", values["rotate-seconds"], 1, 2147483647),
    gzip: values.gzip,
  };
  const given = values.output === undefined || values.output.length === 0 ? ["-"] : values.output;
  const destinations = given.map((d) => {
    try {
      return parseDestination(d, defaults);
    } catch (err) {
      throw err instanceof DestinationError ? new UsageError(err.message) : err;
    }
  });
  const files = destinations.filter((d) => d.kind === "file");
  const flags = ["rotate-bytes", "rotate-seconds", "gzip"] as const;
  const used = flags.filter((f) => values[f] !== undefined && values[f] !== false);
  if (used.length > 0 && files.length === 0)
    throw new UsageError(`--${used[0]} applies to file outputs, and there is none (add --output FILE)`);
  if (values.gzip === true && !files.some((d) => rotates(d.options)))
    throw new UsageError("--gzip compresses rotated files: add --rotate-bytes or --rotate-seconds");
  if (values["retry-for"] !== undefined && !destinations.some((d) => d.kind === "network"))
    throw new UsageError("--retry-for applies to network outputs, and there is none");
  return destinations;
}

/** Flushes and closes every output, prints the summary, and returns the exit status. */
export async function closeRun(run: RunContext): Promise<number> {
  await run.writer.flush();
  await Promise.all(run.sinks.map((s) => s.close()));
  for (const line of run.summary.describe()) process.stderr.write(`${line}\n`);
  // Events an output could not take (too large for a datagram, not renderable in its own format) are
  // reported like events that could not be converted: exit status 3.
  let lost = 0;
  for (const sink of run.sinks) {
    if (!(sink instanceof DeliverySink)) continue;
    const report = sink.report();
    lost += report.lost;
    for (const line of report.lines) process.stderr.write(`  ${line}\n`);
  }
  if (run.formatter instanceof FanOutFormatter) {
    for (const [format, n] of run.formatter.failures) {
      lost += n;
      process.stderr.write(`  outputs in format ${format}: ${n} event(s) could not be formatted\n`);
    }
  }
  return lost > 0 ? Math.max(run.summary.exitCode(), 3) : run.summary.exitCode();
}
