// Worker thread: formats record runs sent by pipeline/parallel.ts and sends the encoded output back.
import { parentPort, workerData } from "node:worker_threads";
import type { FormatterOptions } from "../formats/formatter.js";
import type { FormatJob, FormatReply } from "./parallel.js";
import { RecordRunFormatter } from "./record-batch-formatter.js";
import { isShared, postable, received, sharedBuffer } from "./transfer.js";

// Outputs are written in shared memory, so that sending them copies nothing (transfer.ts).
const formatter = new RecordRunFormatter(workerData as FormatterOptions, sharedBuffer);
const port = parentPort;
if (port === null) throw new Error("format-worker.js runs only as a worker thread");

port.on("message", (job: FormatJob) => {
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
