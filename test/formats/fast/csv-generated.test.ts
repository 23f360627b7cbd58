import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeRecord } from "../../../src/decode/event.js";
import { generateArchive } from "../../../src/generate/archive-generator.js";
import { runCli } from "../../helpers/cli.js";
import { type ArchiveRecord, archiveRecords } from "./archive-records.js";
import { CSV_SETTINGS, CsvComparer, type CsvSettings, csvOptions, referenceOutcome } from "./compare-csv.js";

let root = "";
let records: ArchiveRecord[] = [];

describe("direct CSV/table writer = reference path, on a generated archive", () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "cbexport-fast-csv-"));
    // Above the 16 MiB under which the export stays on one thread.
    await generateArchive({ out: join(root, "archive"), events: 100_000, seed: 11 });
    records = await archiveRecords(join(root, "archive"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const [label, settings] of CSV_SETTINGS) {
    it(`all 100,000 records, ${label}`, () => {
      assert.equal(records.length, 100_000);
      const comparer = new CsvComparer(csvOptions(settings));
      for (const r of records) comparer.check(r.payload, r.context, r.name);
      comparer.assertSame();
      assert.equal(comparer.counts.written, 100_000);
    });
  }

  it("unknown sensor: records without a folder id or --sensor-id", () => {
    const comparer = new CsvComparer(csvOptions({ format: "table" }));
    for (const r of records.slice(0, 30_000)) comparer.check(r.payload, {}, r.name);
    comparer.assertSame();
  });

  const RUNS: [CsvSettings, string[]][] = [
    [{ format: "csv" }, ["--format", "csv"]],
    [
      { format: "table", timeFloat: true, legacyMd5Column: true },
      ["--format", "table", "--time-float", "--legacy-md5-column"],
    ],
  ];
  for (const [settings, args] of RUNS) {
    it(`cbexport export ${args.join(" ")} writes the reference lines (both cores and one)`, async () => {
      const opts = csvOptions(settings);
      const expected: string[] = [];
      for (const r of records) {
        const decoded = decodeRecord(r.payload, r.context);
        assert.ok(decoded.ok);
        const outcome = referenceOutcome(decoded.event, opts);
        assert.equal(outcome.status, "lines");
        if (outcome.status === "lines") for (const line of outcome.lines) expected.push(`${line}\n`);
      }
      for (const threads of ["1", "2"]) {
        const result = await runCli(["export", ...args, "--threads", threads, join(root, "archive")]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, expected.join(""));
      }
    });
  }
});
