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
  const result = formatter.format(job.runs.map((run) => ({ ...run, records: received(run.records) })));
  // The output is a view of memory the formatter no longer uses (JsonBytes.take): moved whole, like the inputs.
  const output = movable(result.output);
  const transfer = [output.buffer];
  const records: Uint8Array[] = [];
  for (const run of job.runs) {
    const memory = run.records.buffer as ArrayBuffer;
    // Handed back for reuse when large; small ones (copied when sent) are not worth a message.
    if (memory.byteLength <= Buffer.poolSize || transfer.includes(memory)) continue;
    transfer.push(memory);
    records.push(run.records);
  }
  const reply: FormatReply = { id: job.id, result: { ...result, output: output.view }, records };
  port.postMessage(reply, transfer);
});
