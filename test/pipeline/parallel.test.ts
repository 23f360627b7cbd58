// Formatting in worker threads gives exactly the bytes of the in-process path, damage included.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { formatOptions } from "../../src/formats/options.js";
import { FormatPool } from "../../src/pipeline/parallel.js";
import { RecordRunFormatter } from "../../src/pipeline/record-batch-formatter.js";
import { runCli } from "../helpers/cli.js";

let archive: string;

describe("export on worker threads", () => {
  before(async () => {
    archive = join(mkdtempSync(join(tmpdir(), "cbexport-parallel-")), "archive");
    // ~24 MB: above the 16 MiB below which export stays in-process.
    const result = await runCli(["generate", "--out", archive, "--events", "90000", "--seed", "7"]);
    assert.equal(result.code, 0, result.stderr);
    // Damage in the middle of one file: a garbage record, then a truncated one at its end.
    const sensor = readdirSync(archive)[1];
    const file = join(archive, sensor, readdirSync(join(archive, sensor))[0]);
    appendFileSync(file, Buffer.from([5, 0, 0, 0, 0x0f, 0xff, 0xff, 0xff, 0xff, 9, 0, 0, 0, 1, 2]));
  });

  // The direct writers (forwarder JSON, LEEF, CSV) and the reference path (forwarder-3.8) on the workers.
  const cases: [string, string[]][] = [
    ["json", ["--format", "json"]],
    ["leef", ["--format", "leef"]],
    ["csv", ["--format", "csv"]],
    ["forwarder-3.8 json (reference path)", ["--format", "json", "--profile", "forwarder-3.8"]],
  ];
  for (const [label, args] of cases) {
    it(`${label}: threads 2 and threads 1 write the same bytes and report the same damage`, async () => {
      const one = await runCli(["export", "--threads", "1", ...args, "--server-name", "s", archive]);
      const two = await runCli(["export", "--threads", "2", ...args, "--server-name", "s", archive]);
      assert.equal(one.code, 3, one.stderr);
      assert.equal(two.code, 3, two.stderr);
      assert.ok(one.stdout.length > 5_000_000);
      assert.ok(one.stdout === two.stdout, "outputs differ");
      const damage = (text: string) =>
        text
          .split("\n")
          .filter((l) => l.includes("damaged input"))
          .sort();
      assert.deepEqual(damage(two.stderr), damage(one.stderr));
      assert.equal(damage(one.stderr).length, 2);
      const summary = (text: string) => text.split("\n").filter((l) => /record\(s\)|exported:/.test(l));
      assert.deepEqual(summary(two.stderr), summary(one.stderr));
    });
  }

  it("--remove on threads deletes only files whose records were all written", async () => {
    const copy = mkdtempSync(join(tmpdir(), "cbexport-parallel-remove-"));
    await runCli(["generate", "--out", copy, "--events", "90000", "--seed", "8"]);
    const out = join(copy, "..", `${copy.split("/").pop()}.json`);
    const result = await runCli([
      "export",
      "--threads",
      "2",
      "--remove",
      "--output",
      out,
      "--server-name",
      "s",
      copy,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      readdirSync(copy).flatMap((d) => readdirSync(join(copy, d))),
      [],
    );
    assert.equal(readFileSync(out, "utf8").split("\n").length - 1, 90000);
  });

  it("into a file (whose written memory the workers reuse) the bytes are those of stdout and of one thread", async () => {
    const out = join(archive, "..", "threads.json");
    const toFile = await runCli(["export", "--threads", "2", "--output", out, "--server-name", "s", archive]);
    const toStdout = await runCli(["export", "--threads", "1", "--server-name", "s", archive]);
    assert.equal(toFile.code, 3, toFile.stderr);
    assert.ok(toStdout.stdout.length > 5_000_000);
    assert.ok(readFileSync(out, "utf8") === toStdout.stdout, "outputs differ");
  });

  it("the pool shares memory with its workers and never detaches a buffer (V8 slows down after one is)", async () => {
    const options = { ...formatOptions({ serverName: "s" }), format: "json" as const };
    const pool = new FormatPool(options, 2);
    try {
      const file = readdirSync(archive).flatMap((d) =>
        readdirSync(join(archive, d)).map((f) => join(archive, d, f)),
      )[0];
      const bytes = readFileSync(file);
      const records = pool.alloc(bytes.length);
      bytes.copy(records);
      const run = { records: records.subarray(0, bytes.length), offset: 0, index: 0, context: {} };
      const formatted = await pool.format([run]);
      assert.ok(records.buffer instanceof SharedArrayBuffer);
      assert.equal(run.records.length, bytes.length, "the input was detached");
      assert.ok(formatted.output.buffer instanceof SharedArrayBuffer, "the output was copied, not shared");
      const reference = new RecordRunFormatter(options).format([{ ...run, records: bytes }]);
      assert.ok(formatted.output.equals(reference.output));
      assert.equal(formatted.lines, reference.lines);
    } finally {
      await pool.close();
    }
  });
});
