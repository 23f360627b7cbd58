import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crc32, hasZipSignature, readZip, type ZipReadResult } from "../../src/sources/zip.js";
import { CORPUS } from "../helpers/fixtures.js";
import { buildZip, ZIP_VECTOR } from "./zip-helpers.js";

function ok(result: ZipReadResult): Extract<ZipReadResult, { ok: true }> {
  assert.ok(result.ok, result.ok ? "" : result.reason);
  return result;
}

describe("zip reader", () => {
  it("reads the BUS.md §4.3 test vector", () => {
    assert.equal(ZIP_VECTOR.length, 312);
    assert.equal(
      createHash("sha256").update(ZIP_VECTOR).digest("hex"),
      "8f683c3308f04edc225df4de7ea3b7d84def41265382b8a53e0e941e26cc5533",
    );
    const zip = ok(readZip(ZIP_VECTOR));
    assert.deepEqual(
      zip.members.map((m) => [m.name, m.data.length]),
      [["EventLog_45f2535d.1--2017-01-19-04-17-11.log", 100]],
    );
    assert.deepEqual(zip.errors, []);
    assert.equal(zip.members[0].data.readUInt32LE(0), 96);
  });

  it("reads all 11 captured zip bundles (one deflated member each)", () => {
    const sizes: number[] = [];
    for (let n = 0; n <= 10; n++) {
      const zip = ok(readZip(readFileSync(join(CORPUS, "bus", `${n}.zip`))));
      assert.equal(zip.members.length, 1, `${n}.zip`);
      assert.deepEqual(zip.errors, []);
      assert.match(zip.members[0].name, /^EventLog_45f2535d\.1--2017-01-19-04-\d\d-\d\d\.log$/);
      sizes.push(zip.members[0].data.length);
    }
    assert.deepEqual(sizes, [13960, 2523, 2789, 3434, 100, 100, 1375, 863, 2946, 12713, 15838]);
  });

  it("reads stored and deflated members in directory order and skips directory entries", () => {
    const big = Buffer.alloc(100_000, "abc");
    const body = buildZip([
      { name: "a.log", data: Buffer.from("stored bytes"), method: 0 },
      { name: "dir/", data: Buffer.alloc(0), method: 0 },
      { name: "dir/b.log", data: big },
      { name: "empty.log", data: Buffer.alloc(0) },
    ]);
    assert.ok(hasZipSignature(body));
    const zip = ok(readZip(body));
    assert.deepEqual(
      zip.members.map((m) => m.name),
      ["a.log", "dir/b.log", "empty.log"],
    );
    assert.equal(zip.members[0].data.toString(), "stored bytes");
    assert.ok(zip.members[1].data.equals(big));
    assert.equal(zip.members[2].data.length, 0);
  });

  it("skips a damaged member with its name and reason, and keeps the others", () => {
    const good = Buffer.from("good member ".repeat(50));
    const body = buildZip([
      { name: "bad.log", data: Buffer.from("x".repeat(5000)), corruptAt: 2 },
      { name: "good.log", data: good },
      { name: "crc.log", data: Buffer.from("crc"), badCrc: true },
    ]);
    const zip = ok(readZip(body));
    assert.deepEqual(
      zip.members.map((m) => m.name),
      ["good.log"],
    );
    assert.ok(zip.members[0].data.equals(good));
    assert.deepEqual(
      zip.errors.map((e) => e.name),
      ["bad.log", "crc.log"],
    );
    assert.match(zip.errors[1].reason, /CRC-32 mismatch/);
  });

  it("refuses an unsupported compression method for that member only", () => {
    const body = buildZip([
      { name: "a", data: Buffer.from("aaaa"), method: 0 },
      { name: "b", data: Buffer.from("bbbb"), method: 0 },
    ]);
    // Patch member "b" to method 12 (bzip2) in its central header (the second one).
    const second = body.indexOf("PK\x01\x02", body.indexOf("PK\x01\x02") + 4);
    body.writeUInt16LE(12, second + 10);
    const zip = ok(readZip(body));
    assert.deepEqual(
      zip.members.map((m) => m.name),
      ["a"],
    );
    assert.deepEqual(zip.errors, [{ name: "b", reason: "unsupported compression method 12" }]);
  });

  it("guards against zip bombs: declared size and actual inflated size", () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    const honest = ok(readZip(buildZip([{ name: "big", data: zeros }]), { maxMemberBytes: 1024 * 1024 }));
    assert.equal(honest.members.length, 0);
    assert.match(honest.errors[0].reason, /declared size 4194304 exceeds the 1048576-byte member limit/);

    const lying = ok(
      readZip(buildZip([{ name: "bomb", data: zeros, declaredSize: 10 }]), { maxMemberBytes: 1024 * 1024 }),
    );
    assert.equal(lying.members.length, 0);
    assert.match(lying.errors[0].reason, /inflates to more than the 1048576-byte member limit/);
  });

  it("reports a body that is not a ZIP at all", () => {
    for (const body of [
      Buffer.alloc(0),
      Buffer.from("PK"),
      readFileSync(join(CORPUS, "bus", "bundleone.bin")),
      readFileSync(join(CORPUS, "archive", "2013-02-08_17-12-24-277.log")),
    ]) {
      const result = readZip(body);
      assert.ok(!result.ok);
      assert.equal(result.notZip, true);
      assert.match(result.reason, /not a ZIP/);
    }
  });

  it("reports a damaged central directory as a broken ZIP (not as not-a-ZIP)", () => {
    const body = Buffer.from(ZIP_VECTOR);
    const central = body.indexOf("PK\x01\x02");
    body.writeUInt32LE(0, central);
    const result = readZip(body);
    assert.ok(!result.ok);
    assert.equal(result.notZip, false);
    assert.match(result.reason, /central directory entry/);
  });

  it("finds the end record behind a comment and copes with data prepended to the archive", () => {
    const zip = buildZip([{ name: "m", data: Buffer.from("member") }]);
    const withComment = Buffer.concat([zip, Buffer.from("a comment with PK\x05\x06 in it")]);
    withComment.writeUInt16LE(withComment.length - zip.length, zip.length - 2);
    assert.equal(ok(readZip(withComment)).members[0].data.toString(), "member");
    const prefixed = Buffer.concat([Buffer.from("#!/bin/sh\nexit 0\n"), zip]);
    assert.equal(ok(readZip(prefixed)).members[0].data.toString(), "member");
  });

  it("computes CRC-32 (IEEE)", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
  });
});
