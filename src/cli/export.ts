// `cbexport export [options] PATH...`
import { statSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { parseArgs } from "node:util";
import { takeEarlyFormatWorkers } from "../pipeline/early-workers.js";
import { exportFileRuns, exportFiles } from "../pipeline/export.js";
import { FanOutFormatter } from "../pipeline/format-fan-out.js";
import { defaultThreads, runPool } from "../pipeline/parallel.js";
import { type ArchiveFile, listArchiveFiles } from "../sources/archive.js";
import { archiveLocation, DEFAULT_ARCHIVE_PROPERTIES } from "../sources/archive-properties.js";
import { PARALLEL_MIN_BYTES } from "./early-export.js";
import { FORMAT_OPTION_SPECS, integerOption, UsageError } from "./options.js";
import { showExportProgress } from "./progress.js";
import { closeRun, openRun } from "./run-output.js";
import { EXPORT_HELP } from "./usage.js";

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...FORMAT_OPTION_SPECS,
      auto: { type: "boolean", short: "A" },
      "archive-properties": { type: "string" },
      remove: { type: "boolean" },
      "remove-damaged": { type: "boolean" },
      threads: { type: "string" },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  const paths = [...positionals];
  if (values.auto || values["archive-properties"] !== undefined) {
    try {
      paths.push(await archiveLocation(values["archive-properties"] ?? DEFAULT_ARCHIVE_PROPERTIES));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  if (paths.length === 0)
    throw new UsageError("export needs at least one archive file or folder (or --auto)");
  if (values["remove-damaged"] && !values.remove) throw new UsageError("--remove-damaged goes with --remove");
  const sensorId = integerOption("sensor-id", values["sensor-id"], -2147483648, 2147483647);
  const maxRecordBytes = integerOption("max-record-bytes", values["max-record-bytes"], 1, 2147483647);
  let files: Awaited<ReturnType<typeof listArchiveFiles>>;
  try {
    files = await listArchiveFiles(paths);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const run = await openRun(values);
  const removeDamaged = values["remove-damaged"] ?? false;
  // Called only once every line of the file is durably written (exportFiles flushes first).
  const afterFile = values.remove
    ? async (file: ArchiveFile, damaged: boolean) => {
        if (damaged && !removeDamaged) {
          process.stderr.write(
            `cbexport: kept ${file.path}: it had damaged records (--remove-damaged deletes it)\n`,
          );
          return;
        }
        await unlink(file.path);
      }
    : undefined;
  const totalBytes = sizeOf(files);
  const threads = integerOption("threads", values.threads, 1, 256) ?? defaultThreads();
  // Outputs in several formats (format=... in a URL) are fed by the in-process fan-out: pools know one format.
  // Workers take ~50 ms to start: small inputs are faster (and first lines sooner) in-process.
  const fanOut = run.formatter instanceof FanOutFormatter;
  const workers = threads > 1 && totalBytes >= PARALLEL_MIN_BYTES && !fanOut;
  if (!workers) takeEarlyFormatWorkers(0);
  const pool = fanOut ? undefined : runPool(run.formatter.options, workers ? threads : 1);
  const stopProgress = showExportProgress(run.summary, files.length, totalBytes);
  const readOptions = { sensorId, maxRecordBytes, afterFile };
  try {
    if (pool === undefined) await exportFiles(files, run.formatter, run.writer, run.summary, readOptions);
    else await exportFileRuns(files, pool, run.writer, run.summary, readOptions);
  } finally {
    stopProgress();
    await pool?.close?.();
  }
  return closeRun(run);
}

/** Blocking stats: thousands of awaited ones cost more than the work they would let run meanwhile (none). */
function sizeOf(files: readonly ArchiveFile[]): number {
  let total = 0;
  for (const file of files) total += statSync(file.path, { throwIfNoEntry: false })?.size ?? 0;
  return total;
}
