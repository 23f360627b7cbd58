// In-process throughput of the forwarder JSON and LEEF paths on one thread, decoding included: the reference
// path (decodeRecord → forwarderDocument → documentJson or leefLine → UTF-8, invalid bytes restored for LEEF),
// the JSON fast writer fed with decoded events (EventFormatter.event), and the fast writers fed with raw records
// (decoding fused with writing). Then the same for CSV and tables: the reference path (forwarderDocument →
// csvLine/tableLine → UTF-8) and the direct writer fed with decoded events and with raw records. Equal digests
// = equal output.
// Usage: node dist/bench/format-paths.js [archive folder]   (default: a generated 200,000-event archive in .bench/)
// BENCH_PATHS=text,...: only the paths whose label contains one of these (e.g. BENCH_PATHS=writeRecord).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRecord, type RecordContext } from "../src/decode/event.js";
import { frameBuffer } from "../src/decode/framing.js";
import { FastForwarderCsv } from "../src/formats/fast/forwarder-csv.js";
import { WRITTEN } from "../src/formats/fast/forwarder-json.js";
import { JsonBytes } from "../src/formats/fast/json-bytes.js";
import type { RecordWriter } from "../src/formats/fast/record-writer.js";
import { EventFormatter, type FormatterOptions } from "../src/formats/formatter.js";
import { forwarderDocument } from "../src/formats/forwarder.js";
import { documentJson } from "../src/formats/json-text.js";
import { leefLine } from "../src/formats/leef.js";
import { formatOptions } from "../src/formats/options.js";
import { csvLine, tableLine } from "../src/formats/table.js";
import { generateArchive } from "../src/generate/archive-generator.js";
import { fileContext, listArchiveFiles } from "../src/sources/archive.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const OUTPUT_BYTES = 1 << 20;
const ONLY = process.env.BENCH_PATHS?.split(",");

interface Record {
  payload: Buffer;
  context: RecordContext;
}

async function records(): Promise<Record[]> {
  let dir = process.argv[2];
  if (dir === undefined) {
    dir = join(process.cwd(), ".bench", `format-paths-${EVENTS}`);
    if (!existsSync(dir)) await generateArchive({ out: dir, events: EVENTS, seed: 3 });
  }
  const all: Record[] = [];
  for (const file of await listArchiveFiles([dir])) {
    const context = fileContext(file, {});
    for (const frame of frameBuffer(readFileSync(file.path)).frames)
      all.push({ payload: frame.payload, context });
  }
  return all;
}

/** One way of turning a record into output bytes; returns the bytes written into `out` at `pos`. */
type Path = (r: Record, out: JsonBytes) => void;

/** Appends a line encoded as the pipeline does (`restore`: escaped invalid bytes raw, for LEEF). */
function encode(line: string, out: JsonBytes, restore = false): void {
  if (out.pos + line.length * 3 + 1 > out.buf.length) out.pos = 0;
  out.line(line, restore);
}

/** A direct writer fed with raw records. */
function rawRecords(writer: RecordWriter): Path {
  return (r, out) => {
    if (out.pos > OUTPUT_BYTES - 64 * 1024) out.pos = 0;
    if (writer.writeRecord(r.payload, 0, r.payload.length, r.context, out) !== WRITTEN)
      throw new Error("deferred");
  };
}

function jsonPaths(options: FormatterOptions): [string, Path][] {
  const formatter = new EventFormatter(options);
  const fast = formatter.fast;
  if (fast === undefined) throw new Error("the fast path does not cover these options");
  return [
    ["decode only", (r) => void decodeRecord(r.payload, r.context)],
    [
      "reference: decode + document + JSON",
      (r, out) => {
        const decoded = decodeRecord(r.payload, r.context);
        if (!decoded.ok) return;
        const doc = forwarderDocument(decoded.event, options);
        if (doc !== undefined) encode(documentJson(doc, true), out);
      },
    ],
    [
      "fast, decoded events: decode + EventFormatter.event",
      (r, out) => {
        const decoded = decodeRecord(r.payload, r.context);
        if (!decoded.ok) return;
        const outcome = formatter.event(decoded.event);
        if (outcome.status === "lines") for (const line of outcome.lines) encode(line, out);
      },
    ],
    ["fast, raw records: writeRecord (decoding fused)", rawRecords(fast)],
  ];
}

function leefPaths(options: FormatterOptions): [string, Path][] {
  const writer = new EventFormatter(options).recordWriter;
  if (writer === undefined) throw new Error("the LEEF fast path does not cover these options");
  return [
    [
      "LEEF reference: decode + document + LEEF",
      (r, out) => {
        const decoded = decodeRecord(r.payload, r.context);
        if (!decoded.ok) return;
        const doc = forwarderDocument(decoded.event, options);
        if (doc !== undefined) encode(leefLine(doc, "forwarder"), out, true);
      },
    ],
    ["LEEF fast, raw records: writeRecord", rawRecords(writer)],
  ];
}

/** Median events/s over the rounds after a warm-up, and a digest of one round's output. */
function csvPaths(options: FormatterOptions): [string, Path][] {
  const formatter = new EventFormatter(options);
  const direct = formatter.recordWriter;
  if (!(direct instanceof FastForwarderCsv))
    throw new Error("the direct CSV writer does not cover these options");
  const table = { legacyMd5Column: options.legacyMd5Column };
  return [
    [
      `reference: decode + document + ${options.format} line`,
      (r, out) => {
        const decoded = decodeRecord(r.payload, r.context);
        if (!decoded.ok) return;
        const doc = forwarderDocument(decoded.event, options);
        if (doc === undefined) return;
        encode(options.format === "table" ? tableLine(doc, table) : csvLine(doc, table), out);
      },
    ],
    [
      "direct, decoded events: decode + EventFormatter.event",
      (r, out) => {
        const decoded = decodeRecord(r.payload, r.context);
        if (!decoded.ok) return;
        const outcome = formatter.event(decoded.event);
        if (outcome.status === "lines") for (const line of outcome.lines) encode(line, out);
      },
    ],
    ["direct, raw records: writeRecord (decoding fused)", rawRecords(direct)],
  ];
}

function measure(all: Record[], path: Path): { rate: number; digest: string } {
  const out = new JsonBytes(OUTPUT_BYTES);
  const hash = createHash("sha256");
  for (const r of all) {
    const before = out.pos;
    path(r, out);
    if (out.pos < before) throw new Error("output wrapped during the checked round");
    if (out.pos > OUTPUT_BYTES / 2) {
      hash.update(out.buf.subarray(0, out.pos));
      out.pos = 0;
    }
  }
  hash.update(out.buf.subarray(0, out.pos));
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    out.pos = 0;
    const start = process.hrtime.bigint();
    for (const r of all) path(r, out);
    rates.push(all.length / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return { rate: rates[rates.length >> 1], digest: hash.digest("hex").slice(0, 16) };
}

async function main(): Promise<void> {
  const all = await records();
  const bytes = all.reduce((n, r) => n + r.payload.length, 0);
  console.log(
    `${all.length.toLocaleString("en")} records (${(bytes / 1e6).toFixed(0)} MB), ${ROUNDS} rounds, median, node ${process.version}`,
  );
  for (const [label, settings] of [
    ["integer time, no links", {}],
    ["float time, deep links", { timeFloat: true, serverUrl: "https://cb.example.com/" }],
  ] as const) {
    const options: FormatterOptions = {
      ...formatOptions({ serverName: "bench", ...settings }),
      format: "json",
    };
    report(all, `json and leef, ${label}`, [
      ...jsonPaths(options),
      ...leefPaths({ ...options, format: "leef" }),
    ]);
  }
  for (const [label, settings] of [
    ["csv, integer time", { format: "csv" }],
    ["table, float time, legacy md5 column", { format: "table", timeFloat: true, legacyMd5Column: true }],
  ] as const) {
    const options: FormatterOptions = { ...formatOptions({ serverName: "bench", ...settings }), ...settings };
    report(all, label, csvPaths(options));
  }
}

/** Measures the paths (those named in BENCH_PATHS, when set); each output digest should match its reference's. */
function report(all: Record[], label: string, list: [string, Path][]): void {
  console.log(`\n${label}`);
  console.log("path                                                    events/s   µs/event  output");
  for (const [name, path] of list) {
    if (ONLY !== undefined && !ONLY.some((text) => name.includes(text))) continue;
    const { rate, digest } = measure(all, path);
    const shown = name === "decode only" ? "–" : digest;
    console.log(
      `${name.padEnd(52)} ${Math.round(rate).toLocaleString("en").padStart(10)} ${(1e6 / rate).toFixed(2).padStart(10)}  ${shown}`,
    );
  }
}

await main();
