// Worker thread: formats record runs sent by pipeline/parallel.ts and sends the encoded output back.
// It may be started before its options are known (early-workers.ts): they come in the first message.
import { parentPort } from "node:worker_threads";
import type { FormatJob, FormatReply, FormatSetup } from "./parallel.js";
import { RecordRunFormatter } from "./record-batch-formatter.js";
import { isShared, postable, received, sharedBuffer } from "./transfer.js";

const port = parentPort;
if (port === null) throw new Error("format-worker.js runs only as a worker thread");
let formatter: RecordRunFormatter;

port.on("message", (message: FormatSetup | FormatJob) => {
  if ("options" in message) {
    // Outputs are written in shared memory, so that sending them copies nothing (transfer.ts).
    formatter = new RecordRunFormatter(message.options, sharedBuffer);
    return;
  }
  const job = message;
  for (const spare of job.spares) formatter.reuse(received(spare));
  // One object shape for every run and context: the writers read them per record, and the shapes of cloned
  // messages vary (a spread would copy them).
  const runs = job.runs.map((run) => ({
    records: received(run.records),
    offset: run.offset,
    index: run.index,
    context: {
      sensorId: run.context.sensorId,
      sensorIdSource: run.context.sensorIdSource,
      computerName: run.context.computerName,
      file: run.context.file,
    },
  }));
  const result = formatter.format(runs);
  // The runs' shared memory goes back to be read into again.
  const records = job.runs.map((run) => run.records).filter(isShared);
  const reply: FormatReply = { id: job.id, result: { ...result, output: postable(result.output) }, records };
  port.postMessage(reply);
});
