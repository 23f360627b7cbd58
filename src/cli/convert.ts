// `cbexport convert --routing-key KEY [options] FILE...`: captured bus bodies, converted as the bus consumer would.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { emitEvent } from "../pipeline/export.js";
import { decodeBusMessage } from "../sources/bus-message.js";
import { FORMAT_OPTION_SPECS, integerOption, UsageError } from "./options.js";
import { closeRun, openRun } from "./run-output.js";
import { CONVERT_HELP } from "./usage.js";

const CONTENT_TYPES = ["application/protobuf", "application/json", "application/zip"];

export async function convertCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...FORMAT_OPTION_SPECS,
      "routing-key": { type: "string" },
      "content-type": { type: "string" },
      exchange: { type: "string" },
      header: { type: "string", multiple: true },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(CONVERT_HELP);
    return 0;
  }
  const routingKey = values["routing-key"];
  if (routingKey === undefined) throw new UsageError("convert needs --routing-key KEY");
  if (positionals.length === 0) throw new UsageError("convert needs at least one message file");
  const contentType = values["content-type"];
  if (contentType !== undefined && !CONTENT_TYPES.includes(contentType)) {
    throw new UsageError(`--content-type must be one of ${CONTENT_TYPES.join(", ")}`);
  }
  const headers = parseHeaders(values.header ?? []);
  const sensorId = integerOption("sensor-id", values["sensor-id"], -2147483648, 2147483647);
  if (sensorId !== undefined && headers.sensorId === undefined) headers.sensorId = sensorId;
  const bodies: Buffer[] = [];
  for (const file of positionals) {
    try {
      bodies.push(await readFile(file));
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const run = await openRun(values);
  for (let i = 0; i < bodies.length; i++) {
    const name = positionals[i];
    run.summary.files++;
    run.summary.bytes += bodies[i].length;
    const decoded = decodeBusMessage({
      body: bodies[i],
      routingKey,
      contentType,
      exchange: values.exchange,
      headers,
      name,
    });
    for (const damage of decoded.damages) run.summary.damage(damage);
    run.summary.records += decoded.events.length;
    for (const event of decoded.events) {
      const p = emitEvent(event, run.formatter, run.writer, run.summary);
      if (p !== undefined) await p;
    }
    if (decoded.notification !== undefined) {
      run.summary.records++;
      const outcome = run.formatter.notification(decoded.notification.body, decoded.notification.routingKey);
      if (outcome.status === "failed") run.summary.fail("notification", outcome.reason, name);
      else if (outcome.status === "lines") {
        run.summary.count(run.summary.exported, "notification");
        for (const line of outcome.lines) {
          run.summary.lines++;
          const p = run.writer.add(line);
          if (p !== undefined) await p;
        }
      }
    }
  }
  return closeRun(run);
}

function parseHeaders(items: string[]): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--header must look like NAME=VALUE (got "${item}")`);
    headers[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return headers;
}
