// Format workers started before the export command loads: started only for exports that will use them, handed
// to the pool (which sends them their options), and replaced when one died before the pool took it.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PARALLEL_MIN_BYTES, startExportWorkersEarly } from "../../src/cli/early-export.js";
import { formatOptions } from "../../src/formats/options.js";
import {
  earlyFormatWorkers,
  startFormatWorkersEarly,
  takeEarlyFormatWorkers,
} from "../../src/pipeline/early-workers.js";
import { FormatPool } from "../../src/pipeline/parallel.js";
import { RecordRunFormatter } from "../../src/pipeline/record-batch-formatter.js";
import { runCli } from "../helpers/cli.js";

describe("format workers started early", () => {
  let root: string;
  let large: string;
  let small: string;
  let archive: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "cbexport-early-"));
    // Only sizes are looked at: two files that together make the limit, and a small one.
    large = join(root, "large", "12");
    mkdirSync(large, { recursive: true });
    writeFileSync(join(large, "a.log"), Buffer.alloc(PARALLEL_MIN_BYTES / 2));
    writeFileSync(join(large, "b.log"), Buffer.alloc(PARALLEL_MIN_BYTES / 2));
    small = join(root, "small", "12");
    mkdirSync(small, { recursive: true });
    writeFileSync(join(small, "a.log"), Buffer.alloc(4096));
    archive = join(root, "archive");
    const result = await runCli(["generate", "--out", archive, "--events", "3000", "--seed", "5"]);
    assert.equal(result.code, 0, result.stderr);
  });

  after(() => takeEarlyFormatWorkers(0));

  const count = (argv: string[]) => {
    startExportWorkersEarly(argv);
    const workers = takeEarlyFormatWorkers(64);
    for (const w of workers) void w.terminate();
    return workers.length;
  };

  it("start for an export of 16 MiB or more, one per thread, and not otherwise", () => {
    assert.equal(count(["export", "--threads", "2", large]), 2);
    assert.equal(count(["export", "--threads=3", "--format", "csv", join(root, "large")]), 3);
    assert.equal(count(["export", "--threads", "2", "--auto"]), 2);
    assert.equal(count(["export", "--threads", "2", small]), 0);
    assert.equal(count(["export", "--threads", "1", large]), 0);
    assert.equal(count(["export", "--threads", "2", "--output", large, small]), 0, "the output is no input");
    assert.equal(count(["export", "--threads", "2", "--help", large]), 0);
    assert.equal(count(["follow", "--threads", "2", large]), 0);
    assert.equal(count(["export", "--threads", "2", join(root, "missing")]), 0);
  });

  // A dead worker handed to the pool would never answer: the timeout turns that into a failure.
  it("are handed to the pool, which starts a fresh one for each that died meanwhile", {
    timeout: 30_000,
  }, async () => {
    startFormatWorkersEarly(2);
    const [doomed, survivor] = earlyFormatWorkers();
    // Stopped before the pool takes it, as a crash would.
    await doomed?.terminate();
    const options = { ...formatOptions({ serverName: "s" }), format: "json" as const };
    const pool = new FormatPool(options, 2);
    assert.deepEqual(earlyFormatWorkers(), [], "taken");
    let survivorReplies = 0;
    survivor?.on("message", () => survivorReplies++);
    try {
      const files = readdirSync(archive).flatMap((d) =>
        readdirSync(join(archive, d)).map((f) => join(archive, d, f)),
      );
      for (const file of files.slice(0, 4)) {
        const bytes = readFileSync(file);
        const records = pool.alloc(bytes.length);
        bytes.copy(records);
        const run = { records: records.subarray(0, bytes.length), offset: 0, index: 0, context: {} };
        const formatted = await pool.format([run]);
        const reference = new RecordRunFormatter(options).format([{ ...run, records: bytes }]);
        assert.ok(formatted.output.equals(reference.output), `${file}: outputs differ`);
        assert.ok(formatted.lines > 0);
      }
      // Jobs go round-robin: the surviving early worker formatted two of the four.
      assert.equal(survivorReplies, 2);
    } finally {
      await pool.close();
    }
  });
});
