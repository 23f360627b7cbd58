// `cbexport generate --out DIR --events N [--sensors K] [--seed S]`: a synthetic archive for demos and benchmarks.
import { readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { generateArchive } from "../generate/archive-generator.js";
import { integerOption, UsageError } from "./options.js";

export const GENERATE_HELP = `Usage: cbexport generate --out DIR --events N [--sensors K] [--seed S]

Writes a synthetic archive as a CB server lays it out: one folder per sensor id under DIR, files named by
receive time (YYYY-MM-DD_HH-MM-SS-mmm.log), each a batch of length-prefixed records without env. The mix of
event kinds, processes (start, events, end), paths (some non-ASCII), hashes, IPv4/IPv6 peers and FILETIMEs
around 2024 is realistic; the same seed always gives byte-identical files.

Example:
  cbexport generate --out /tmp/archive --events 100000 --sensors 8 --seed 7
  cbexport export /tmp/archive > /tmp/events.json

Options:
  --out DIR          where to write (created if missing; must be empty), e.g. --out /tmp/archive
  --events N         number of records in all, 1 to 1000000000, e.g. --events 1000000
  --sensors K        number of sensors (default 4), 1 to 100000, e.g. --sensors 8
  --seed S           PRNG seed, 0 to 4294967295 (default 1), e.g. --seed 7
  -h, --help         this help
`;

const OPTIONS = {
  out: { type: "string" },
  events: { type: "string" },
  sensors: { type: "string" },
  seed: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function generateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  if (values.help) {
    process.stdout.write(GENERATE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const out = values.out;
  if (out === undefined || out === "") throw new UsageError("--out DIR is required");
  const events = integerOption("events", values.events, 1, 1_000_000_000);
  if (events === undefined) throw new UsageError("--events N is required");
  const sensors = integerOption("sensors", values.sensors, 1, 100_000) ?? 4;
  const seed = integerOption("seed", values.seed, 0, 0xffffffff) ?? 1;
  checkOutDir(out);
  const started = process.hrtime.bigint();
  const result = await generateArchive({ out, events, sensors, seed });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(
    `cbexport: generated ${result.files} file(s), ${result.events} event(s), ${result.bytes} bytes ` +
      `for ${sensors} sensor(s) in ${out} (seed ${seed}, ${seconds.toFixed(1)} s)\n`,
  );
  return 0;
}

/** Refuse to mix a new archive into existing files (an export would read both). */
function checkOutDir(out: string): void {
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    throw new UsageError(`--out ${out}: ${code === "ENOTDIR" ? "not a folder" : (err as Error).message}`);
  }
  if (entries.length > 0) throw new UsageError(`--out ${out} is not empty`);
}
