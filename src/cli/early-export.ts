// Whether `cbexport export` will format on worker threads, guessed from its arguments before anything else
// loads, so that the workers boot meanwhile (pipeline/early-workers.ts). export.ts decides for good once it has
// listed the files, and stops workers it does not need.
import { readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { startFormatWorkersEarly } from "../pipeline/early-workers.js";

/** Inputs smaller than this are exported in-process: workers would take longer to start than they save. */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
/** Files and folders looked at, at most, before giving up on guessing (the export then starts its own). */
const MAX_ENTRIES = 2000;

export function startExportWorkersEarly(argv: readonly string[]): void {
  if (argv[0] !== "export" || argv.includes("--help") || argv.includes("-h")) return;
  const threads = threadsOption(argv) ?? availableParallelism();
  if (threads <= 1) return;
  // The archive folder named in archive.properties is a server's whole archive: large.
  const auto = argv.some((a) => a === "--auto" || a === "-A" || a.startsWith("--archive-properties"));
  if (auto || atLeast(inputPaths(argv), PARALLEL_MIN_BYTES)) startFormatWorkersEarly(threads);
}

function threadsOption(argv: readonly string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--threads") return Number(argv[i + 1]);
    if (arg.startsWith("--threads=")) return Number(arg.slice("--threads=".length));
  }
  return undefined;
}

/** Arguments that may be input paths: any but the command, options and the output's path. */
function inputPaths(argv: readonly string[]): string[] {
  return argv.slice(1).filter((arg, i, args) => !arg.startsWith("-") && args[i - 1] !== "--output");
}

/** Whether the files under `paths` (those that exist) hold at least `limit` bytes, within MAX_ENTRIES. */
function atLeast(paths: readonly string[], limit: number): boolean {
  let total = 0;
  let entries = 0;
  const pending = [...paths];
  while (pending.length > 0 && entries < MAX_ENTRIES) {
    const path = pending.pop() as string;
    entries++;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isFile()) total += stat.size;
    else if (stat.isDirectory()) {
      try {
        for (const name of readdirSync(path)) pending.push(join(path, name));
      } catch {
        // Unreadable: the export reports it.
      }
    }
    if (total >= limit) return true;
  }
  return false;
}
