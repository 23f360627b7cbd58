import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type RecordBatch, readArchiveFile } from "../../src/sources/archive.js";
import { fixture } from "../helpers/fixtures.js";

const SAMPLE = readFileSync(fixture("corpus", "archive", "2013-02-08_17-12-24-277.log"));

/** Reads a file as runs into memory from a counting allocator, as follow does with a pool's memory. */
async function readRuns(bytes: Buffer, chunkBytes: number) {
  const path = join(mkdtempSync(join(tmpdir(), "cbexport-archive-")), "1.log");
  writeFileSync(path, bytes);
  const given: Buffer[] = [];
  const alloc = (size: number) => {
    const b = Buffer.alloc(size);
    given.push(b);
    return b;
  };
  const batches: RecordBatch[] = [];
  /** The memory each run is a view of. */
  const taken: ArrayBufferLike[] = [];
  const options = { runs: true, alloc, chunkBytes, final: false };
  for await (const batch of readArchiveFile({ path, sensorId: 1 }, options)) {
    if (batch.run !== undefined) taken.push(batch.run.records.buffer);
    // A copy: the memory of a buffer no run took is read into again.
    batches.push({ ...batch, run: batch.run && { ...batch.run, records: Buffer.from(batch.run.records) } });
  }
  /** Buffers given out that no run took (memory that would not go round). */
  const untaken = given.filter((b) => !taken.includes(b.buffer)).length;
  return { given, batches, untaken };
}

describe("reading archive files as runs into a pool's memory", () => {
  it("takes one buffer per run, and none for the read that finds the end of the file", async () => {
    const { given, batches, untaken } = await readRuns(SAMPLE, 1 << 20);
    assert.equal(given.length, 1, "a buffer taken and dropped would be pool memory lost until collected");
    assert.equal(untaken, 0);
    assert.equal(batches.length, 1);
    assert.equal(batches[0].records, 20);
    assert.deepEqual(batches[0].run?.records, SAMPLE);
  });

  it("reads again into a buffer no run took (a record cut by the read), and the records stay whole", async () => {
    // 1,000-byte reads of the 3,327-byte sample: every read ends mid-record; one read holds no whole record.
    const { batches, untaken } = await readRuns(SAMPLE, 1000);
    const runs = batches.flatMap((b) => (b.run === undefined ? [] : [b.run]));
    assert.ok(runs.length >= 3);
    // Runs after the first are views of the framer's joined bytes, not of the buffer read into: it is read into
    // again, so one buffer is left over in all.
    assert.equal(untaken, 1);
    assert.deepEqual(Buffer.concat(runs.map((r) => r.records)), SAMPLE);
    assert.equal(
      runs.reduce((n, r) => n + r.count, 0),
      20,
    );
  });
});
