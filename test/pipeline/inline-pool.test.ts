// One-thread exports cut files into record runs and format them with the in-process pool; they must write the
// bytes, counts and damage of the event-by-event path (exportFiles), which decodes every record first.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { EventFormatter, type FormatterOptions } from "../../src/formats/formatter.js";
import { formatOptions } from "../../src/formats/options.js";
import { exportFileRuns, exportFiles } from "../../src/pipeline/export.js";
import { InlinePool } from "../../src/pipeline/inline-pool.js";
import { LineWriter } from "../../src/pipeline/line-writer.js";
import { RunSummary } from "../../src/pipeline/summary.js";
import { FileSink } from "../../src/sinks/file.js";
import { type Sink, SinkError } from "../../src/sinks/sink.js";
import { listArchiveFiles } from "../../src/sources/archive.js";
import { runCli } from "../helpers/cli.js";

/** Keeps what it is given (a copy: the export reuses the memory of what it wrote). */
class MemorySink implements Sink {
  readonly name = "memory";
  private readonly parts: Buffer[] = [];
  private writes = 0;
  /** `slow`: every other write takes 5 ms, as a disk or a network output may now and then. */
  constructor(private readonly slow = false) {}
  async write(data: Buffer): Promise<void> {
    const copy = Buffer.from(data);
    if (this.slow && this.writes++ % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    this.parts.push(copy);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  get bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

async function exported(options: FormatterOptions, archive: string, runs: boolean, slow = false) {
  const sink = new MemorySink(slow);
  const writer = new LineWriter([sink], {
    restoreInvalidBytes: options.format === "leef" && options.profile === "forwarder",
  });
  const summary = new RunSummary();
  const files = await listArchiveFiles([archive]);
  // Two jobs in flight per write at least: reading and formatting go on while earlier output is being written.
  if (runs) await exportFileRuns(files, new InlinePool(options), writer, summary, {});
  else await exportFiles(files, new EventFormatter(options), writer, summary, {});
  return { bytes: sink.bytes, summary };
}

let archive: string;

describe("export in-process by record runs", () => {
  before(async () => {
    archive = join(mkdtempSync(join(tmpdir(), "cbexport-inline-")), "archive");
    const result = await runCli(["generate", "--out", archive, "--events", "12000", "--seed", "11"]);
    assert.equal(result.code, 0, result.stderr);
    // Damage: a garbage record and a truncated one at the end of one file, a zero-length record in another, and
    // a record larger than a run (600 KiB of a bytes field the decoder skips) in a third.
    const files = readdirSync(archive).flatMap((d) =>
      readdirSync(join(archive, d)).map((f) => join(archive, d, f)),
    );
    const [first, second, third] = files;
    appendFileSync(
      first as string,
      Buffer.from([5, 0, 0, 0, 0x0f, 0xff, 0xff, 0xff, 0xff, 9, 0, 0, 0, 1, 2]),
    );
    appendFileSync(second as string, Buffer.alloc(4));
    const big = Buffer.alloc(600 * 1024 + 8);
    big.writeUInt32LE(big.length - 4, 0);
    // Field 1000, length-delimited: unknown to the decoder, skipped; the record then has no payload.
    big.set([0xc2, 0x3e, 0xff, 0xbf, 0x25], 4);
    writeFileSync(third as string, big, { flag: "a" });
  });

  const cases: [string, Partial<FormatterOptions>][] = [
    ["forwarder JSON", { format: "json" }],
    ["forwarder LEEF", { format: "leef" }],
    ["CSV", { format: "csv" }],
    ["table, float time", { format: "table", timeFloat: true }],
    ["forwarder-3.8 JSON (reference path)", { format: "json", profile: "forwarder-3.8" }],
    ["eventexporter JSON (reference path)", { format: "json", profile: "eventexporter" }],
  ];
  for (const [label, partial] of cases) {
    it(`${label}: the same bytes, counts and damage as decoding event by event`, async () => {
      const options = { ...formatOptions({ serverName: "s", ...partial }), format: "json", ...partial };
      const events = await exported(options as FormatterOptions, archive, false);
      const runs = await exported(options as FormatterOptions, archive, true);
      assert.ok(events.bytes.length > 1_000_000);
      assert.ok(runs.bytes.equals(events.bytes), "outputs differ");
      for (const key of ["files", "bytes", "records", "lines", "damaged"] as const)
        assert.equal(runs.summary[key], events.summary[key], key);
      assert.deepEqual([...runs.summary.exported].sort(), [...events.summary.exported].sort());
      assert.deepEqual([...runs.summary.skipped].sort(), [...events.summary.skipped].sort());
      const where = (s: RunSummary) => s.damages.map((d) => `${d.file}@${d.offset} ${d.kind}`).sort();
      assert.deepEqual(where(runs.summary), where(events.summary));
      assert.ok(events.summary.damaged >= 3, `only ${events.summary.damaged} damaged`);
    });
  }

  it("writes outputs in input order while a slow output is still writing earlier ones", async () => {
    const options = { ...formatOptions({ serverName: "s" }), format: "json" } as FormatterOptions;
    const events = await exported(options, archive, false);
    const runs = await exported(options, archive, true, true);
    assert.ok(runs.bytes.equals(events.bytes), "outputs differ");
    assert.equal(runs.summary.records, events.summary.records);
  });

  it("ends with the output's error when the output fails (a full disk: /dev/full)", async () => {
    const options = { ...formatOptions({ serverName: "s" }), format: "json" } as FormatterOptions;
    const writer = new LineWriter([await FileSink.open("/dev/full")]);
    const files = await listArchiveFiles([archive]);
    const summary = new RunSummary();
    await assert.rejects(
      exportFileRuns(files, new InlinePool(options), writer, summary, {}),
      (err: Error) => {
        assert.ok(err instanceof SinkError);
        assert.match(err.message, /\/dev\/full.*ENOSPC/);
        return true;
      },
    );
  });
});
