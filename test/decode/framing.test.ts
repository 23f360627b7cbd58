import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { Damage } from "../../src/decode/damage.js";
import { type Frame, Framer, frameBuffer } from "../../src/decode/framing.js";
import { decodeFrames } from "../../src/sources/archive.js";
import { fixture } from "../helpers/fixtures.js";

const archive = readFileSync(fixture("corpus", "archive", "2013-02-08_17-12-24-277.log"));

function record(payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(payload.length);
  return Buffer.concat([len, payload]);
}

/** Frames and decodes, like the archive reader does. */
function readAll(buf: Buffer) {
  const framer = new Framer({ file: "t.log" });
  const frames: Frame[] = [];
  const damages: Damage[] = [];
  framer.push(buf, frames, damages);
  framer.end(damages);
  return decodeFrames(frames, damages, { sensorId: 42, sensorIdSource: "folder", file: "t.log" }, framer);
}

const first = archive.subarray(4, 4 + 166);

describe("framing of the real archived log", () => {
  it("frames 20 records ending exactly at byte 3,327 with the offsets of ARCHIVE.md §3.1", () => {
    const { frames, damages } = frameBuffer(archive);
    assert.equal(frames.length, 20);
    assert.deepEqual(damages, []);
    assert.deepEqual(
      frames.slice(0, 6).map((f) => f.offset),
      [0, 170, 352, 534, 716, 898],
    );
    assert.equal(frames[19].offset, 3202);
    assert.equal(frames[19].offset + 4 + frames[19].payload.length, 3327);
  });

  it("gives the same records whatever the chunk boundaries", () => {
    for (const size of [1, 3, 7, 100, 4096]) {
      const framer = new Framer();
      const frames: Frame[] = [];
      const damages: Damage[] = [];
      for (let i = 0; i < archive.length; i += size)
        framer.push(archive.subarray(i, i + size), frames, damages);
      framer.end(damages);
      assert.equal(frames.length, 20, `chunk size ${size}`);
      assert.deepEqual(damages, []);
      assert.ok(frames[12].payload.equals(archive.subarray(2066 + 4, 2066 + 4 + 271)));
    }
  });
});

describe("framing into runs of bytes (pushRun, for the direct writers)", () => {
  /** The frames a run holds, walked as RecordRunFormatter walks it (zero-length records skipped). */
  function framesOf(run: { records: Buffer; offset: number; index: number }): Frame[] {
    const frames: Frame[] = [];
    let index = run.index;
    for (let pos = 0; pos + 4 <= run.records.length; index++) {
      const len = run.records.readUInt32LE(pos);
      if (len > 0)
        frames.push({
          offset: run.offset + pos,
          index,
          payload: run.records.subarray(pos + 4, pos + 4 + len),
        });
      pos += 4 + len;
    }
    return frames;
  }

  it("the same records, offsets, indexes and damage as push(), whatever the chunk boundaries", () => {
    // A zero-length record in the middle (between the 10th and 11th), a truncated one at the end.
    const cut = frameBuffer(archive).frames[10].offset;
    const input = Buffer.concat([archive.subarray(0, cut), Buffer.alloc(4), archive.subarray(cut, 3000)]);
    for (const size of [1, 5, 170, 1000, 4096]) {
      const expected = {
        framer: new Framer({ file: "t.log" }),
        frames: [] as Frame[],
        damages: [] as Damage[],
      };
      const actual = {
        framer: new Framer({ file: "t.log" }),
        frames: [] as Frame[],
        damages: [] as Damage[],
      };
      let counted = 0;
      for (let i = 0; i < input.length; i += size) {
        const chunk = input.subarray(i, i + size);
        expected.framer.push(chunk, expected.frames, expected.damages);
        const run = actual.framer.pushRun(chunk, actual.damages);
        if (run === undefined) continue;
        const frames = framesOf(run);
        assert.equal(run.count, frames.length);
        counted += run.count;
        actual.frames.push(...frames);
        assert.equal(actual.framer.consumed, run.offset + run.records.length, `chunk size ${size}`);
      }
      expected.framer.end(expected.damages);
      actual.framer.end(actual.damages);
      assert.equal(counted, 17, `chunk size ${size}`);
      assert.deepEqual(
        actual.frames.map((f) => [f.offset, f.index, f.payload.toString("hex")]),
        expected.frames.map((f) => [f.offset, f.index, f.payload.toString("hex")]),
      );
      assert.deepEqual(actual.damages, expected.damages);
      assert.deepEqual(
        actual.damages.map((d) => d.kind),
        ["zero-length", "truncated-record"],
      );
    }
  });

  it("a length that stops the framing ends the run with the records before it", () => {
    const bad = Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    const framer = new Framer();
    const damages: Damage[] = [];
    const run = framer.pushRun(Buffer.concat([record(first), record(first), bad, record(first)]), damages);
    assert.equal(run?.count, 2);
    assert.deepEqual(run?.records, Buffer.concat([record(first), record(first)]));
    assert.deepEqual(
      damages.map((d) => d.kind),
      ["negative-length"],
    );
    assert.equal(framer.isStopped, true);
    assert.equal(framer.pushRun(record(first), damages), undefined);
  });
});

describe("damage is reported as data (ARCHIVE.md §5)", () => {
  it("cut length prefix: 1–3 bytes at the end; records before it kept", () => {
    const batch = readAll(Buffer.concat([archive, Buffer.from([1, 2])]));
    assert.equal(batch.events.length, 20);
    assert.deepEqual(
      batch.damages.map((d) => [d.kind, d.offset, d.expected, d.available]),
      [["cut-length", 3327, 4, 2]],
    );
  });

  it("truncated last record: archive cut at 3,000 bytes keeps 17 records", () => {
    const batch = readAll(archive.subarray(0, 3000));
    assert.equal(batch.events.length, 17);
    assert.deepEqual(
      batch.damages.map((d) => [d.kind, d.offset, d.expected, d.available]),
      [["truncated-record", 2942, 112, 54]],
    );
    assert.equal(batch.damages[0].file, "t.log");
  });

  it("length beyond the record limit stops reading", () => {
    const bad = Buffer.from([0x00, 0x00, 0x00, 0x7f, 1, 2, 3]);
    const batch = readAll(Buffer.concat([record(first), bad, record(first)]));
    assert.equal(batch.events.length, 1);
    assert.deepEqual(
      batch.damages.map((d) => [d.kind, d.offset, d.expected]),
      [["length-beyond-file", 170, 0x7f000000]],
    );
  });

  it("negative length (top bit set) stops reading", () => {
    const batch = readAll(
      Buffer.concat([record(first), Buffer.from([0xff, 0xff, 0xff, 0xff]), record(first)]),
    );
    assert.equal(batch.events.length, 1);
    assert.deepEqual(
      batch.damages.map((d) => [d.kind, d.offset]),
      [["negative-length", 170]],
    );
  });

  it("zero-length record is skipped and reading goes on", () => {
    const batch = readAll(Buffer.concat([record(first), Buffer.alloc(4), record(first)]));
    assert.equal(batch.events.length, 2);
    assert.deepEqual(
      batch.damages.map((d) => [d.kind, d.offset, d.index]),
      [["zero-length", 170, 1]],
    );
    assert.equal(batch.events[1].offset, 174);
  });

  it("record without the required header is skipped and reading goes on", () => {
    // A CbEventMsg with only a strings entry (field 2), no header (field 1).
    const noHeader = Buffer.from([0x12, 0x02, 0x08, 0x01]);
    const batch = readAll(Buffer.concat([record(noHeader), record(first)]));
    assert.equal(batch.events.length, 1);
    assert.deepEqual(
      batch.damages.map((d) => [d.kind, d.offset, d.index]),
      [["missing-header", 0, 0]],
    );
    // A header without its required version is refused too.
    const noVersion = Buffer.from([0x0a, 0x02, 0x20, 0x01]);
    assert.equal(readAll(record(noVersion)).damages[0].kind, "missing-header");
  });

  it("garbage payload (not protobuf) is skipped and reading goes on", () => {
    const garbage = Buffer.from([0x0f, 0xff, 0xff, 0xff, 0xff]);
    const batch = readAll(Buffer.concat([record(first), record(garbage), record(first)]));
    assert.equal(batch.events.length, 2);
    assert.deepEqual(
      batch.damages.map((d) => [d.kind, d.offset, d.index, d.expected]),
      [["garbage", 170, 1, 5]],
    );
  });

  it("a nested length that overruns its message is garbage, not a crash", () => {
    const overrun = Buffer.from(first);
    overrun[1] = 0x7f; // header length far beyond the record
    assert.equal(readAll(record(overrun)).damages[0].kind, "garbage");
  });

  it("five garbage bytes appended: all 20 records, then damage (forwarder §5.2 check)", () => {
    const batch = readAll(Buffer.concat([archive, Buffer.from([9, 9, 9, 9, 9])]));
    assert.equal(batch.events.length, 20);
    assert.equal(batch.damages.length, 1);
    assert.equal(batch.damages[0].kind, "length-beyond-file");
    assert.equal(batch.damages[0].offset, 3327);
  });
});

describe("unknown fields and enum values", () => {
  it("skip unknown fields of every wire type and keep unknown enum numbers", () => {
    // header{version 4} + unknown fields 99 (varint, fixed64, fixed32, bytes, group) + filemod{action 3}
    const header = Buffer.from([0x0a, 0x02, 0x08, 0x04]);
    const unknown = Buffer.from([
      0x98, 0x06, 0x01, 0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x9d, 0x06, 1, 2, 3, 4, 0x9a, 0x06, 0x01, 0x00,
      0x9b, 0x06, 0x08, 0x01, 0x9c, 0x06,
    ]);
    const filemod = Buffer.from([0x2a, 0x02, 0x10, 0x03]);
    const batch = readAll(record(Buffer.concat([header, unknown, filemod])));
    assert.deepEqual(batch.damages, []);
    const ev = batch.events[0];
    assert.equal(ev.kind, "filemod");
    assert.equal(ev.kind === "filemod" && ev.payload.action, 3);
  });
});
