// `cbexport follow PATH... --state DIR [options]`: export an archive as it grows, resuming exactly after a stop.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CheckpointStore } from "../pipeline/checkpoint.js";
import { type CheckpointedOutput, restoreOutputs, runFollow } from "../pipeline/follow.js";
import { defaultThreads, runPool } from "../pipeline/parallel.js";
import { makeDirectory } from "../sinks/directory.js";
import { FileSink } from "../sinks/index.js";
import type { FollowIdle } from "../sources/follow.js";
import { FORMAT_OPTION_SPECS, integerOption, UsageError } from "./options.js";
import { closeRun, openRun, outputDestinations } from "./run-output.js";
import { FOLLOW_HELP } from "./usage.js";

export async function followCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...FORMAT_OPTION_SPECS,
      state: { type: "string" },
      settle: { type: "string" },
      rescan: { type: "string" },
      remove: { type: "boolean" },
      "remove-damaged": { type: "boolean" },
      "retain-hours": { type: "string" },
      "max-archive-bytes": { type: "string" },
      threads: { type: "string" },
      "idle-exit": { type: "string" },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(FOLLOW_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("follow needs the archive folder to follow");
  if (values.state === undefined)
    throw new UsageError("follow needs --state DIR (where checkpoints are kept)");
  if (values["remove-damaged"] && !values.remove) throw new UsageError("--remove-damaged goes with --remove");
  const settle = secondsOption("settle", values.settle, 5);
  const rescan = secondsOption("rescan", values.rescan, 30);
  const retainHours =
    values["retain-hours"] === undefined
      ? undefined
      : secondsOption("retain-hours", values["retain-hours"], 0);
  const maxArchiveBytes = integerOption(
    "max-archive-bytes",
    values["max-archive-bytes"],
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const sensorId = integerOption("sensor-id", values["sensor-id"], -2147483648, 2147483647);
  const maxRecordBytes = integerOption("max-record-bytes", values["max-record-bytes"], 1, 2147483647);
  const threads = integerOption("threads", values.threads, 1, 256) ?? defaultThreads();
  const idleExit =
    values["idle-exit"] === undefined ? undefined : secondsOption("idle-exit", values["idle-exit"], 0);
  const roots = positionals.map((p) => resolve(p));
  for (const root of roots) {
    const info = await stat(root).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) throw new UsageError(`${root} is not a folder`);
  }
  await makeDirectory(values.state);
  const store = new CheckpointStore(values.state);
  const state = await store.load();
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const files = outputDestinations(values).flatMap((d) => (d.kind === "file" ? [resolve(d.path)] : []));
  // Cut what was written after the last checkpoint before the outputs are opened for appending.
  await restoreOutputs(
    state,
    files.map((path) => fileOutput(path)),
    log,
  );
  const run = await openRun(values, { deferRotation: true });
  const outputs = run.sinks.flatMap((sink) =>
    sink instanceof FileSink ? [fileOutput(resolve(sink.name), sink)] : [],
  );

  const controller = new AbortController();
  const stop = (signal: string) => {
    if (!controller.signal.aborted) log(`cbexport: ${signal}: finishing the batch in hand, then stopping`);
    controller.abort();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  const status = process.stderr.isTTY ? statusLine(run.summary) : undefined;
  const onIdle =
    idleExit === undefined
      ? status
      : idleExitOnIdle(idleExit, run.summary, status, () => {
          log(`cbexport: caught up, nothing new for ${idleExit} s: stopping`);
          controller.abort();
        });
  // New records go straight from their bytes to a direct writer (formats/fast/) when one covers the format.
  const pool = run.formatter.recordWriter === undefined ? undefined : runPool(run.formatter.options, threads);
  try {
    await runFollow(
      {
        roots,
        store,
        state,
        formatter: run.formatter,
        records: pool,
        writer: run.writer,
        outputs,
        summary: run.summary,
        follow: { settleMs: settle * 1000, rescanMs: rescan * 1000, sensorId, maxRecordBytes },
        deletion: {
          remove: values.remove ?? false,
          removeDamaged: values["remove-damaged"] ?? false,
          retainMs: retainHours === undefined ? undefined : retainHours * 3600 * 1000,
          maxArchiveBytes,
        },
        onIdle,
        log,
      },
      controller.signal,
    );
  } finally {
    await pool?.close?.();
  }
  if (status !== undefined) process.stderr.write("\n");
  const code = await closeRun(run);
  // Damage is reported as it is found; a follower that stopped on request has done its job.
  return code === 3 ? 0 : code;
}

/** A file output as the checkpoint sees it: identity and length by path (the current file after a rotation). */
function fileOutput(path: string, sink?: FileSink): CheckpointedOutput {
  return {
    path,
    async stat() {
      const info = await stat(path).catch(() => undefined);
      return { ino: info?.ino ?? 0, size: info?.size ?? 0 };
    },
    rotateIfDue: sink === undefined ? undefined : () => sink.rotateIfDue(),
  };
}

function secondsOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name} must be a number ≥ 0 (got "${text}")`);
  return n;
}

/**
 * --idle-exit: after a scan that left nothing to read, stops the follower once `seconds` pass without a new
 * record (checked when they have passed; a record read meanwhile waits for the next such scan).
 */
function idleExitOnIdle(
  seconds: number,
  summary: { records: number },
  status: ((idle: FollowIdle) => void) | undefined,
  stop: () => void,
): (idle: FollowIdle) => void {
  let timer: NodeJS.Timeout | undefined;
  return (idle) => {
    status?.(idle);
    if (idle.backlogFiles > 0 || timer !== undefined) return;
    const records = summary.records;
    timer = setTimeout(() => {
      timer = undefined;
      if (summary.records === records) stop();
    }, seconds * 1000);
    timer.unref();
  };
}

/** One status line on a terminal, rewritten after each scan. */
function statusLine(summary: {
  records: number;
  lines: number;
  damaged: number;
}): (idle: FollowIdle) => void {
  return (idle) => {
    const mb = (idle.backlogBytes / 1048576).toFixed(1);
    process.stderr.write(
      `\r\x1b[Kfollowing ${idle.files} file(s): ${summary.records} record(s), ${summary.lines} line(s) out, ` +
        `${summary.damaged} damaged, backlog ${idle.backlogFiles} file(s) / ${mb} MB`,
    );
  };
}
