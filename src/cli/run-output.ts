// Opening the --output destinations and closing them with a summary, shared by the commands.
import { EventFormatter } from "../formats/formatter.js";
import { LineWriter } from "../pipeline/line-writer.js";
import { RunSummary } from "../pipeline/summary.js";
import {
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
}

export async function openRun(
  values: ParsedFormatOptions & ParsedOutputOptions,
  sinkOptions: { deferRotation?: boolean } = {},
): Promise<RunContext> {
  const formatter = new EventFormatter(formatterOptions(values));
  // Every destination is checked before any is opened: a usage mistake creates no file.
  const destinations = outputDestinations(values);
  const sinks: Sink[] = [];
  try {
    for (const destination of destinations) sinks.push(await openDestination(destination, sinkOptions));
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  const { format, profile } = formatter.options;
  // Forwarder-profile LEEF passes invalid UTF-8 bytes through raw; every other format escapes them itself.
  const writer = new LineWriter(sinks, { restoreInvalidBytes: format === "leef" && profile === "forwarder" });
  return { formatter, writer, summary: new RunSummary(), sinks };
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
  return destinations;
}

/** Flushes and closes every output, prints the summary, and returns the exit status. */
export async function closeRun(run: RunContext): Promise<number> {
  await run.writer.flush();
  await Promise.all(run.sinks.map((s) => s.close()));
  for (const line of run.summary.describe()) process.stderr.write(`${line}\n`);
  return run.summary.exitCode();
}
