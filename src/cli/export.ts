// `cbexport export [options] PATH...`
import { parseArgs } from "node:util";
import { exportFiles } from "../pipeline/export.js";
import { listArchiveFiles } from "../sources/archive.js";
import { FORMAT_OPTION_SPECS, integerOption, UsageError } from "./options.js";
import { closeRun, openRun } from "./run-output.js";
import { EXPORT_HELP } from "./usage.js";

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: FORMAT_OPTION_SPECS, allowPositionals: true });
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("export needs at least one archive file or folder");
  const sensorId = integerOption("sensor-id", values["sensor-id"], -2147483648, 2147483647);
  const maxRecordBytes = integerOption("max-record-bytes", values["max-record-bytes"], 1, 2147483647);
  let files: Awaited<ReturnType<typeof listArchiveFiles>>;
  try {
    files = await listArchiveFiles(positionals);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const run = await openRun(values);
  await exportFiles(files, run.formatter, run.writer, run.summary, { sensorId, maxRecordBytes });
  return closeRun(run);
}
