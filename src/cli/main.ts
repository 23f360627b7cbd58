#!/usr/bin/env node
// The cbexport command. A large export's format workers start first, so that they boot while the commands'
// modules load (early-export.ts); then the sub-command runs (commands.ts).
import { startExportWorkersEarly } from "./early-export.js";

const argv = process.argv.slice(2);
startExportWorkersEarly(argv);
const { main } = await import("./commands.js");

// Stdout closed early (e.g. `cbexport export ... | head`) is not an error worth a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
});

main(argv).then(
  (code) => {
    process.exitCode = code;
    // After a fatal error, outputs that were not closed (e.g. one still retrying a destination) must not keep
    // the process alive; a finished run has closed its outputs already and exits by itself.
    if (code === 1) process.exit(1);
  },
  (err: unknown) => {
    process.stderr.write(`cbexport: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
