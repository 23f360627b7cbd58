// Opening the --output destinations and closing them with a summary, shared by the commands.
import { EventFormatter } from "../formats/formatter.js";
import { LineWriter } from "../pipeline/line-writer.js";
import { RunSummary } from "../pipeline/summary.js";
import { openSink, type Sink } from "../sinks/index.js";
import { formatterOptions, type ParsedFormatOptions } from "./options.js";

export interface RunContext {
  formatter: EventFormatter;
  writer: LineWriter;
  summary: RunSummary;
  sinks: Sink[];
}

export async function openRun(
  values: ParsedFormatOptions & { output?: string[] | undefined },
): Promise<RunContext> {
  const formatter = new EventFormatter(formatterOptions(values));
  const destinations = values.output === undefined || values.output.length === 0 ? ["-"] : values.output;
  const sinks: Sink[] = [];
  try {
    for (const destination of destinations) sinks.push(await openSink(destination));
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  return { formatter, writer: new LineWriter(sinks), summary: new RunSummary(), sinks };
}

/** Flushes and closes every output, prints the summary, and returns the exit status. */
export async function closeRun(run: RunContext): Promise<number> {
  await run.writer.flush();
  await Promise.all(run.sinks.map((s) => s.close()));
  for (const line of run.summary.describe()) process.stderr.write(`${line}\n`);
  return run.summary.exitCode();
}
