// `cbexport generate --out DIR --events N [--sensors K] [--seed S]`: a synthetic archive for demos and benchmarks.
import { readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { generateArchive } from "../generate/archive-generator.js";
import { integerOption, UsageError } from "./options.js";
import { GENERATE_HELP } from "./usage.js";

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
