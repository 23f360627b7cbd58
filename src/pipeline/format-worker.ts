// Worker thread: formats record runs sent by pipeline/parallel.ts and sends the encoded output back.
import { parentPort, workerData } from "node:worker_threads";
import type { FormatterOptions } from "../formats/formatter.js";
import type { FormatJob, FormatReply } from "./parallel.js";
import { RecordRunFormatter } from "./record-batch-formatter.js";
import { movable, received } from "./transfer.js";

const formatter = new RecordRunFormatter(workerData as FormatterOptions);
const port = parentPort;
if (port === null) throw new Error("format-worker.js runs only as a worker thread");

port.on("message", (job: FormatJob) => {
  for (const spare of job.spares) formatter.reuse(received(spare));
  const result = formatter.format({ ...job.run, records: received(job.run.records) });
  // The output is a view of memory the formatter no longer uses (JsonBytes.take): moved whole, like the input.
  const output = movable(result.output);
  const records = job.run.records;
  const reply: FormatReply = { id: job.id, result: { ...result, output: output.view }, records };
  const transfer = [output.buffer];
  if (records.buffer !== output.buffer && records.buffer.byteLength > Buffer.poolSize)
    transfer.push(records.buffer as ArrayBuffer);
  port.postMessage(reply, transfer);
});
