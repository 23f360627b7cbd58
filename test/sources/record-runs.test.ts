// Runs of whole records for the worker threads: the same records and the same damage as the Framer, whatever
// the run size, records larger than a run included.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Damage, stopsReading } from "../../src/decode/damage.js";
import { type Frame, Framer } from "../../src/decode/framing.js";
import { type RawRun, readRecordRuns } from "../../src/sources/record-runs.js";
import { fixture } from "../helpers/fixtures.js";

const archive = readFileSync(fixture("corpus", "archive", "2013-02-08_17-12-24-277.log"));
const dir = mkdtempSync(join(tmpdir(), "cbexport-runs-"));

function record(payloadBytes: number, fill: number): Buffer {
  const out = Buffer.alloc(4 + payloadBytes, fill);
  out.writeUInt32LE(payloadBytes, 0);
  return out;
}

function file(name: string, ...parts: Buffer[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** The Framer's view: each record's offset, index and bytes, and the damage. */
function framed(path: string) {
  const framer = new Framer({ file: path, maxRecordBytes: 1 << 20 });
  const frames: Frame[] = [];
  const damages: Damage[] = [];
  framer.push(readFileSync(path), frames, damages);
  framer.end(damages);
  return { records: frames.map((f) => [f.offset, f.index, f.payload.toString("hex")]), damages };
}

/** The same, rebuilt from the runs (records copied out: the runs' memory could be moved away). */
function fromRuns(path: string, runBytes: number) {
  const runs: RawRun[] = [];
  const records: [number, number, string][] = [];
  const damages: Damage[] = [];
  for (const run of readRecordRuns(path, { runBytes, maxRecordBytes: 1 << 20 })) {
    runs.push(run);
    damages.push(...run.damages);
    let index = run.index;
    for (let pos = 0; pos < run.records.length; index++) {
      const len = run.records.readUInt32LE(pos);
      if (len > 0)
        records.push([run.offset + pos, index, run.records.toString("hex", pos + 4, pos + 4 + len)]);
      pos += 4 + len;
    }
  }
  return { runs, framed: { records, damages } };
}

describe("runs of records for worker threads", () => {
  const zero = Buffer.alloc(4);
  const cases: [string, string][] = [
    ["the real archived log", file("real.log", archive)],
    [
      "records larger than a run",
      file("large.log", record(10, 1), record(9000, 2), record(20, 3), record(70000, 4)),
    ],
    ["zero-length records", file("zero.log", record(5, 1), zero, record(7, 2), zero)],
    ["a cut length prefix", file("cut.log", archive, Buffer.from([1, 2]))],
    ["a truncated last record", file("truncated.log", archive, record(500, 9).subarray(0, 300))],
    [
      "a negative length",
      file("negative.log", archive.subarray(0, 352), Buffer.from([1, 0, 0, 0x80]), archive),
    ],
    [
      "a length beyond the limit",
      file("beyond.log", archive.subarray(0, 170), Buffer.from([0, 0, 0, 0x10, 1])),
    ],
    ["an empty file", file("empty.log")],
  ];
  for (const [name, path] of cases) {
    it(`${name}: the Framer's records and damage, for runs of 4 KiB, 5 KiB and 512 KiB`, () => {
      const want = framed(path);
      for (const runBytes of [4096, 5000, 512 * 1024]) {
        const got = fromRuns(path, runBytes);
        assert.deepEqual(got.framed, want, `runBytes ${runBytes}`);
        const last = got.runs.at(-1);
        const stop = want.damages.find((d) => stopsReading(d.kind));
        const end = stop !== undefined ? stop.offset : readFileSync(path).length;
        if (last !== undefined) assert.equal(last.consumed, end);
      }
    });
  }

  it("cuts a large file into several runs, each at most one run long unless a record is larger", () => {
    const big = file("big.log", ...Array.from({ length: 300 }, (_, i) => record(100 + (i % 50), i & 0xff)));
    const { runs } = fromRuns(big, 4096);
    assert.ok(runs.length > 5);
    for (const run of runs) assert.ok(run.records.length <= 4096);
    assert.deepEqual(fromRuns(big, 4096).framed, framed(big));
  });
});
