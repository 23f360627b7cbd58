import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeRecord } from "../../../src/decode/event.js";
import { forwarderDocument } from "../../../src/formats/forwarder.js";
import { documentJson } from "../../../src/formats/json-text.js";
import { leefLine } from "../../../src/formats/leef.js";
import { generateArchive } from "../../../src/generate/archive-generator.js";
import { runCli } from "../../helpers/cli.js";
import { type ArchiveRecord, archiveRecords } from "./archive-records.js";
import { FORMATS, options, PathComparer, referenceLeef, type Settings } from "./compare.js";

let root = "";
let records: ArchiveRecord[] = [];

describe("fast forwarder JSON and LEEF = reference path, on a generated archive", () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "cbexport-fast-"));
    await generateArchive({ out: join(root, "archive"), events: 200_000, seed: 3 });
    records = await archiveRecords(join(root, "archive"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const SETTINGS: [string, Settings][] = [
    ["integer time, no links", {}],
    ["float time, deep links", { timeFloat: true, serverUrl: "https://cb.example.com/" }],
  ];
  for (const format of FORMATS) {
    for (const [label, settings] of SETTINGS) {
      it(`${format}: all 200,000 records, ${label}`, () => {
        assert.equal(records.length, 200_000);
        const comparer = new PathComparer(options(settings, format));
        for (const r of records) comparer.check(r.payload, r.context, r.name);
        comparer.assertSame();
        assert.equal(comparer.counts.written, 200_000);
      });
    }

    it(`${format}: unknown sensor: records without a folder id or --sensor-id`, () => {
      const comparer = new PathComparer(options({ serverUrl: "https://cb/" }, format));
      for (const r of records.slice(0, 50_000)) comparer.check(r.payload, {}, r.name);
      comparer.assertSame();
    });
  }

  it("cbexport export writes the reference lines (both cores and one), JSON and LEEF", async () => {
    const some = join(root, "some");
    // Above the 16 MiB under which the export stays on one thread.
    await generateArchive({ out: some, events: 70_000, seed: 5 });
    const json: string[] = [];
    const leef: Buffer[] = [];
    for (const r of await archiveRecords(some)) {
      const decoded = decodeRecord(r.payload, r.context);
      assert.ok(decoded.ok);
      const doc = forwarderDocument(decoded.event, options({ serverName: "bench" }));
      if (doc === undefined) continue;
      json.push(`${documentJson(doc, true)}\n`);
      leef.push(referenceLeef(leefLine(doc, "forwarder")));
    }
    for (const threads of ["1", "2"]) {
      const result = await runCli(["export", "--server-name", "bench", "--threads", threads, some]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, json.join(""));
      // To a file: LEEF lines may hold raw invalid UTF-8 bytes.
      const file = join(root, `leef-${threads}.txt`);
      const args = ["export", "--format", "leef", "--server-name", "bench", "--threads", threads];
      const leefResult = await runCli([...args, "--output", file, some]);
      assert.equal(leefResult.code, 0, leefResult.stderr);
      assert.ok(readFileSync(file).equals(Buffer.concat(leef)), "LEEF output differs");
    }
  });
});
