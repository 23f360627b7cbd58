// `cbexport bus [options]`: consume the CB server's RabbitMQ bus until stopped (SIGTERM/SIGINT, --idle-exit).
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { RecordRunFormatter } from "../pipeline/record-batch-formatter.js";
import { BatchWriter } from "../sources/bus/batch.js";
import { BrokerConfigError, resolveBroker } from "../sources/bus/broker.js";
import { BusConsumer, type ConsumerStats } from "../sources/bus/consumer.js";
import { DeadLetterBox } from "../sources/bus/dead-letter.js";
import { MessageExporter } from "../sources/bus/message-export.js";
import { planSelection, type Selection, SelectionError } from "../sources/bus/selection.js";
import { FORMAT_OPTION_SPECS, integerOption, UsageError } from "./options.js";
import { openRun, type RunContext } from "./run-output.js";
import { BUS_HELP } from "./usage.js";

export const DEFAULT_QUEUE = "cbexport";
export const DEFAULT_PREFETCH = 500;
export const DEFAULT_DEAD_LETTER_DIR = "cbexport-dead-letter";

export async function busCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...FORMAT_OPTION_SPECS,
      url: { type: "string" },
      "cb-conf": { type: "string" },
      "tls-ca": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-insecure": { type: "boolean" },
      queue: { type: "string" },
      bind: { type: "string", multiple: true },
      "raw-source": { type: "string" },
      "events-exchange": { type: "string" },
      "raw-exchange": { type: "string" },
      prefetch: { type: "string" },
      "batch-wait": { type: "string" },
      "dead-letter": { type: "string" },
      "idle-exit": { type: "string" },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(BUS_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`bus takes no file arguments (got "${positionals[0]}")`);
  const queue = values.queue ?? DEFAULT_QUEUE;
  if (queue === "" || queue.startsWith("amq.")) {
    throw new UsageError(`--queue must be a name not starting with "amq." (got "${queue}")`);
  }
  const selection = select(values);
  const prefetch = integerOption("prefetch", values.prefetch, 1, 65535) ?? DEFAULT_PREFETCH;
  const batchWaitMs = integerOption("batch-wait", values["batch-wait"], 0, 60_000);
  const idleExit = integerOption("idle-exit", values["idle-exit"], 1, 31_536_000);
  const sensorId = integerOption("sensor-id", values["sensor-id"], -2147483648, 2147483647);
  const maxRecordBytes = integerOption("max-record-bytes", values["max-record-bytes"], 1, 2147483647);
  let broker: Awaited<ReturnType<typeof resolveBroker>>;
  try {
    broker = await resolveBroker({
      url: values.url,
      cbConf: values["cb-conf"],
      tls: {
        ca: values["tls-ca"],
        cert: values["tls-cert"],
        key: values["tls-key"],
        insecure: values["tls-insecure"],
      },
      connectionName: `cbexport bus ${queue} ${hostname()}:${process.pid}`,
    });
  } catch (err) {
    throw err instanceof BrokerConfigError ? new UsageError(err.message) : err;
  }
  // --events in the bus sense names raw kinds and notifications; the formatter gets the raw kinds only.
  const run = await openRun({ ...values, events: selection.rawEventNames });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const deadLetters = new DeadLetterBox(values["dead-letter"] ?? DEFAULT_DEAD_LETTER_DIR);
  // Bundles' records go straight from their bytes to a direct writer (formats/fast/) when one covers the format.
  const direct = run.formatter.recordWriter !== undefined;
  const exporter = new MessageExporter(run.formatter, run.writer, run.summary, {
    selection,
    decode: { maxRecordBytes },
    sensorId,
    records: direct ? new RecordRunFormatter(run.formatter.options) : undefined,
  });
  const batches = new BatchWriter(exporter, run.writer, deadLetters, queue, log);
  const consumer = new BusConsumer({
    broker,
    queue,
    selection,
    prefetch,
    batchWaitMs,
    idleExitMs: idleExit === undefined ? undefined : idleExit * 1000,
    log,
    write: (batch) => batches.write(batch),
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // Safe at any point: what is not acknowledged yet is redelivered by the broker.
      log(`cbexport bus: ${signal} again: exiting at once; unacknowledged messages will be redelivered`);
      process.exit(130);
    }
    signalled = true;
    log(`cbexport bus: ${signal}: stop consuming, write and acknowledge the batch in hand, then exit`);
    consumer.stop("signal");
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await consumer.run();
  } catch (err) {
    await Promise.allSettled(run.sinks.map((s) => s.close()));
    throw err;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
  await run.writer.flush();
  await Promise.all(run.sinks.map((s) => s.close()));
  for (const line of describeRun(run, batches.stats, consumer.stats, deadLetters)) log(line);
  // Damaged messages are reported as they come and kept in the dead-letter folder; a consumer that stopped
  // on request (or when idle) has done its job (as `follow`).
  return 0;
}

interface SelectionValues {
  events?: string | undefined;
  "raw-source"?: string | undefined;
  bind?: string[] | undefined;
  "events-exchange"?: string | undefined;
  "raw-exchange"?: string | undefined;
}

function select(values: SelectionValues): Selection {
  try {
    return planSelection({
      events: values.events,
      rawSource: values["raw-source"],
      bind: values.bind,
      eventsExchange: values["events-exchange"],
      rawExchange: values["raw-exchange"],
    });
  } catch (err) {
    throw err instanceof SelectionError ? new UsageError(err.message) : err;
  }
}

function describeRun(
  run: RunContext,
  batch: BatchWriter["stats"],
  consumer: ConsumerStats,
  deadLetters: DeadLetterBox,
): string[] {
  const s = run.summary;
  let exported = 0;
  for (const n of s.exported.values()) exported += n;
  const out = [
    `cbexport bus: ${batch.messages} message(s) (${batch.redelivered} redelivered), ${consumer.acked} acknowledged, ` +
      `${s.records} record(s), ${exported} event(s) exported as ${s.lines} line(s); ${consumer.connections} connection(s)`,
  ];
  if (batch.deadLettered > 0) out.push(`  dead letters: ${batch.deadLettered} in ${deadLetters.dir}`);
  if (consumer.writtenNotAcked > 0) {
    out.push(`  written but not acknowledged (redelivered, so written twice): ${consumer.writtenNotAcked}`);
  }
  out.push(...s.details());
  return out;
}
