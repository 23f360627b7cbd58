// Instructions per record of a direct writer in its steady state, counted by valgrind's callgrind: a measure
// that does not drift with the VM's speed (run times here vary by 10-30 % from one minute to the next), for
// telling whether a change to the writers' code makes them do less. It runs writer-loop.js twice, for 3 and 8
// rounds over the same records, and divides the difference by the records of the 5 extra rounds: start-up,
// compiling and warming up cancel out. V8 is run single-threaded so that the counts repeat (±0.1 %).
// Under valgrind V8 sees an older CPU and generates somewhat different code: compare counts with counts.
// Usage: node dist/bench/count-instructions.js [json|leef|csv]   (needs valgrind; ~2 minutes)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const N = 40_000;
const format = process.argv[2] ?? "json";
const loop = fileURLToPath(new URL("./writer-loop.js", import.meta.url));

function instructions(rounds: number): number {
  const result = spawnSync(
    "valgrind",
    [
      "--tool=callgrind",
      "--smc-check=all-non-file",
      "--callgrind-out-file=/dev/null",
      process.execPath,
      "--single-threaded",
      loop,
      format,
    ],
    { env: { ...process.env, N: String(N), R: String(rounds) }, encoding: "utf8" },
  );
  const collected = /Collected : (\d+)/.exec(result.stderr);
  if (result.status !== 0 || collected === null) throw new Error(`valgrind failed:\n${result.stderr}`);
  return Number(collected[1]);
}

const few = instructions(3);
const more = instructions(8);
console.log(`${format}: ${Math.round((more - few) / (5 * N)).toLocaleString("en")} instructions per record`);
