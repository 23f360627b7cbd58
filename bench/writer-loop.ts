// One direct writer (forwarder JSON by default) over the first N records of the format-paths archive, R rounds,
// in process: the loop count-instructions.ts runs under callgrind.
// Usage: node dist/bench/writer-loop.js [json|leef|csv] (N and R from the environment; defaults 40000 and 3)
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RecordContext } from "../src/decode/event.js";
import { frameBuffer } from "../src/decode/framing.js";
import { JsonBytes } from "../src/formats/fast/json-bytes.js";
import { EventFormatter, type FormatterOptions } from "../src/formats/formatter.js";
import { formatOptions } from "../src/formats/options.js";
import { generateArchive } from "../src/generate/archive-generator.js";
import { fileContext, listArchiveFiles } from "../src/sources/archive.js";

const N = Number(process.env.N ?? 40_000);
const R = Number(process.env.R ?? 3);
const format = (process.argv[2] ?? "json") as FormatterOptions["format"];
const OUTPUT_BYTES = 1 << 20;

const dir = join(process.cwd(), ".bench", "format-paths-200000");
if (!existsSync(dir)) await generateArchive({ out: dir, events: 200_000, seed: 3 });
const records: { payload: Buffer; context: RecordContext }[] = [];
for (const file of await listArchiveFiles([dir])) {
  const context = fileContext(file, {});
  for (const frame of frameBuffer(readFileSync(file.path)).frames) {
    if (records.length < N) records.push({ payload: frame.payload, context });
  }
}
const writer = new EventFormatter({ ...formatOptions({ serverName: "s" }), format }).recordWriter;
if (writer === undefined) throw new Error(`no direct writer for ${format}`);
const out = new JsonBytes(OUTPUT_BYTES);

/** In a function, as RecordRunFormatter's loop is, so that V8 optimises the loop itself too. */
function formatRound(): number {
  let bytes = 0;
  for (const r of records) {
    if (out.pos > OUTPUT_BYTES - 64 * 1024) {
      bytes += out.pos;
      out.pos = 0;
    }
    writer?.writeRecord(r.payload, 0, r.payload.length, r.context, out);
  }
  return bytes;
}

let bytes = 0;
const start = performance.now();
for (let round = 0; round < R; round++) bytes += formatRound();
bytes += out.pos;
const micros = ((performance.now() - start) * 1000) / (records.length * R);
console.error(`${records.length * R} records, ${bytes} bytes, ${micros.toFixed(3)} µs/record`);
