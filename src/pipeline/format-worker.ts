// Worker thread: formats record runs sent by pipeline/parallel.ts and sends the encoded output back.
import { parentPort, workerData } from "node:worker_threads";
import type { FormatterOptions } from "../formats/formatter.js";
import { type RecordRun, RecordRunFormatter } from "./record-batch-formatter.js";
import { transferable } from "./transfer.js";

const formatter = new RecordRunFormatter(workerData as FormatterOptions);
const port = parentPort;
if (port === null) throw new Error("format-worker.js runs only as a worker thread");

port.on("message", (job: { id: number; run: RecordRun }) => {
  const records = job.run.records;
  const run = { ...job.run, records: Buffer.from(records.buffer, records.byteOffset, records.length) };
  const result = formatter.format(run);
  const output = transferable(result.output);
  port.postMessage({ id: job.id, result: { ...result, output } }, [output.buffer as ArrayBuffer]);
});
