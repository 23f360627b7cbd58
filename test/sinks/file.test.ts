import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { LineWriter } from "../../src/pipeline/line-writer.js";
import { FileSink, SinkError } from "../../src/sinks/index.js";
import { gzipFile, rotatedPath, timestampLabel } from "../../src/sinks/rotation.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "cbexport-sinks-"));
}

const ROTATED = /^events\.(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z)(?:_(\d+))?\.json(\.gz)?$/;

/** Rotated files of `events.json` in `dir`, in rotation order (timestamp, then counter). */
function rotatedFiles(dir: string): string[] {
  const key = (name: string): [string, number] => {
    const m = ROTATED.exec(name) as RegExpExecArray;
    return [m[1] as string, Number(m[2] ?? 0)];
  };
  return readdirSync(dir)
    .filter((n) => ROTATED.test(n))
    .sort((a, b) => {
      const [sa, ca] = key(a);
      const [sb, cb] = key(b);
      return sa < sb ? -1 : sa > sb ? 1 : ca - cb;
    });
}

/** A file's text, gunzipped when it is a .gz. */
function readText(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** Every rotated file, then the live events.json, as one text. */
function allOutput(dir: string): string {
  return [...rotatedFiles(dir), "events.json"].map((n) => readText(join(dir, n))).join("");
}

/** Lines of varying length (some multi-byte), numbered so a lost or repeated one shows. */
function sampleLines(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `{"n":${i},"text":"${"é".repeat(i % 7)}${"x".repeat(i % 23)}"}`,
  );
}

/** A clock that moves 1 ms per reading: distinct timestamps without waiting. */
function tickingClock(start = Date.UTC(2026, 10, 28, 7, 12, 3, 123)): () => number {
  let t = start;
  return () => t++;
}

describe("FileSink", () => {
  it("appends to a file that exists at start", async () => {
    const path = join(tempDir(), "events.json");
    writeFileSync(path, "old\n");
    const sink = await FileSink.open(path);
    await sink.write(Buffer.from("new\n"));
    await sink.close();
    assert.equal(readFileSync(path, "utf8"), "old\nnew\n");
  });

  it("keeps every byte in order while syncing in the background, across rotations and after close", async () => {
    // 96 MiB in 1 MiB writes: background syncs start every 32 MiB, and rotations (every 40 MiB) and the final
    // flush and close wait for them.
    const dir = tempDir();
    const sink = await FileSink.open(join(dir, "events.json"), {
      rotateBytes: 40 << 20,
      now: tickingClock(),
    });
    const block = (i: number) => Buffer.alloc(1 << 20, `block ${String(i).padStart(3, "0")}\n`);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 96; i++) pending.push(sink.write(block(i)));
    await Promise.all(pending);
    await sink.flush();
    await sink.close();
    assert.equal(rotatedFiles(dir).length, 2);
    const files = [...rotatedFiles(dir), "events.json"].map((n) => readFileSync(join(dir, n)));
    assert.ok(Buffer.concat(files).equals(Buffer.concat(Array.from({ length: 96 }, (_, i) => block(i)))));
    rmSync(dir, { recursive: true });
  });

  it("writes large outputs past the page cache, byte for byte, whatever the write sizes, flushes and start", async () => {
    // Past 32 MiB the sink writes with O_DIRECT (the test folder is on ext4, which allows it): whole 4 KiB blocks
    // from aligned staging memory, a flush's partial last block through the ordinary handle, rewritten whole
    // later. Writes of odd sizes from shared memory (as the worker pool hands them), flushes at odd offsets, and
    // a file that already holds 5,000 bytes exercise every path.
    const path = join(tempDir(), "events.json");
    const existing = Buffer.alloc(5000, "old line\n");
    writeFileSync(path, existing);
    const sink = await FileSink.open(path);
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const written: Buffer[] = [existing];
    let total = 0;
    for (let i = 0; total < 72 << 20; i++) {
      const size = i % 7 === 0 ? 1 + random(100) : 1 + random(3 << 20);
      const data = Buffer.from(new SharedArrayBuffer(size));
      for (let j = 0; j < size; j += 97) data[j] = 32 + ((i + j) % 90);
      await sink.write(data);
      written.push(Buffer.from(data));
      total += size;
      if (i % 5 === 0) {
        await sink.flush();
        assert.equal(statSync(path).size, existing.length + total);
      }
    }
    assert.equal(sink.bypassesPageCache, true);
    await sink.close();
    assert.ok(readFileSync(path).equals(Buffer.concat(written)));
    // Reopened: the direct writes resume from the file's unaligned end.
    const again = await FileSink.open(path);
    const more = Buffer.alloc(40 << 20, "more\n");
    await again.write(more);
    await again.write(more);
    await again.close();
    assert.ok(readFileSync(path).equals(Buffer.concat([...written, more, more])));
    rmSync(dirname(path), { recursive: true });
  });

  it("writes to a device (/dev/null, /dev/stdout) without syncing it, and refuses to rotate it", async () => {
    // fdatasync fails with EINVAL on a device or a pipe: there is nothing to sync, nor any page cache to bypass.
    const sink = await FileSink.open("/dev/null");
    for (let i = 0; i < 40; i++) await sink.write(Buffer.alloc(1 << 20, "x"));
    await sink.flush();
    assert.equal(sink.bypassesPageCache, false);
    await sink.close();
    await assert.rejects(FileSink.open("/dev/null", { rotateBytes: 1000 }), (err: Error) => {
      assert.ok(err instanceof SinkError);
      assert.match(err.message, /\/dev\/null.*rotation needs a regular file/);
      return true;
    });
  });

  it("rotates by size into several files that together hold exactly the lines written, none split", async () => {
    const dir = tempDir();
    const sink = await FileSink.open(join(dir, "events.json"), { rotateBytes: 400, now: tickingClock() });
    const writer = new LineWriter([sink], { batchBytes: 120 });
    const lines = sampleLines(300);
    for (const line of lines) await writer.add(line);
    await writer.flush();
    await sink.close();

    const rotated = rotatedFiles(dir);
    assert.ok(rotated.length >= 10, `only ${rotated.length} rotated files`);
    assert.deepEqual(readdirSync(dir).sort(), [...rotated, "events.json"].sort());
    for (const name of rotated) {
      const text = readText(join(dir, name));
      assert.ok(text.endsWith("\n"), `${name} ends inside a line`);
      // A batch is never split, so a file passes the limit only by one batch written to an empty file.
      assert.ok(statSync(join(dir, name)).size <= 400 + 130 * 3, `${name} is too large`);
    }
    assert.equal(allOutput(dir), `${lines.join("\n")}\n`);
  });

  it("keeps every file within rotateBytes when single writes fit", async () => {
    const dir = tempDir();
    const sink = await FileSink.open(join(dir, "events.json"), { rotateBytes: 100, now: tickingClock() });
    for (let i = 0; i < 50; i++) await sink.write(Buffer.from(`line ${i.toString().padStart(3, "0")}\n`));
    await sink.close();
    for (const name of rotatedFiles(dir)) assert.ok(statSync(join(dir, name)).size <= 100);
    assert.equal(rotatedFiles(dir).length, 4); // 9 bytes a line: 11 lines a file
    assert.equal(
      allOutput(dir),
      Array.from({ length: 50 }, (_, i) => `line ${i.toString().padStart(3, "0")}\n`).join(""),
    );
  });

  it("rotates by time at the first write once the file is rotateSeconds old", async () => {
    const dir = tempDir();
    const start = Date.UTC(2026, 10, 28, 7, 0, 0, 0);
    let now = start;
    const sink = await FileSink.open(join(dir, "events.json"), { rotateSeconds: 10, now: () => now });
    await sink.write(Buffer.from("a\n"));
    now += 5_000;
    await sink.write(Buffer.from("b\n"));
    now += 5_000; // 10 s old: due
    await sink.write(Buffer.from("c\n"));
    now += 60_000; // long idle: still one rotation, at the next write
    await sink.write(Buffer.from("d\n"));
    await sink.flush();
    await sink.close();
    assert.deepEqual(rotatedFiles(dir), [
      `events.${timestampLabel(start + 10_000)}.json`,
      `events.${timestampLabel(start + 70_000)}.json`,
    ]);
    assert.equal(readText(join(dir, "events.2026-11-28T07-00-10.000Z.json")), "a\nb\n");
    assert.equal(readText(join(dir, "events.2026-11-28T07-01-10.000Z.json")), "c\n");
    assert.equal(readFileSync(join(dir, "events.json"), "utf8"), "d\n");
  });

  it("does not rotate out an empty file, and counts a file's age from its first byte", async () => {
    const dir = tempDir();
    let now = 0;
    const sink = await FileSink.open(join(dir, "events.json"), { rotateSeconds: 1, now: () => now });
    now = 5_000;
    await sink.write(Buffer.from("first\n"));
    now = 5_999;
    await sink.write(Buffer.from("second\n"));
    await sink.close();
    assert.deepEqual(readdirSync(dir), ["events.json"]);
    assert.equal(readFileSync(join(dir, "events.json"), "utf8"), "first\nsecond\n");
  });

  it("reports a failed compression at close as a SinkError, keeping the rotated file", async () => {
    const dir = tempDir();
    const at = Date.UTC(2026, 10, 28, 7, 12, 3, 123);
    const rotated = join(dir, `events.${timestampLabel(at)}.json`);
    // A folder where the compressed temporary would go: the gzip cannot even start.
    mkdirSync(`${rotated}.gz.tmp`);
    const sink = await FileSink.open(join(dir, "events.json"), { rotateBytes: 5, gzip: true, now: () => at });
    await sink.write(Buffer.from("12345\n"));
    await sink.write(Buffer.from("next\n"));
    await assert.rejects(sink.close(), (err: unknown) => {
      assert.ok(err instanceof SinkError);
      assert.ok(err.message.includes(rotated), err.message);
      return true;
    });
    assert.equal(readFileSync(rotated, "utf8"), "12345\n");
    assert.equal(readFileSync(join(dir, "events.json"), "utf8"), "next\n");
  });

  it("rotates an existing file already past rotateBytes before the first write", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "events.json"), `${"x".repeat(99)}\n`);
    const sink = await FileSink.open(join(dir, "events.json"), { rotateBytes: 100, now: tickingClock() });
    await sink.write(Buffer.from("new\n"));
    await sink.close();
    assert.equal(rotatedFiles(dir).length, 1);
    assert.equal(allOutput(dir), `${"x".repeat(99)}\nnew\n`);
  });

  it("gzips rotated files: valid gzip, originals and temporaries removed, content exact", async () => {
    const dir = tempDir();
    const sink = await FileSink.open(join(dir, "events.json"), {
      rotateBytes: 1000,
      gzip: true,
      now: tickingClock(),
    });
    const writer = new LineWriter([sink], { batchBytes: 300 });
    const lines = sampleLines(500);
    for (const line of lines) await writer.add(line);
    await writer.flush();
    await sink.close();

    const rotated = rotatedFiles(dir);
    assert.ok(rotated.length >= 5);
    for (const name of rotated) assert.match(name, /\.json\.gz$/);
    assert.deepEqual(readdirSync(dir).sort(), [...rotated, "events.json"].sort());
    assert.equal(allOutput(dir), `${lines.join("\n")}\n`);
  });

  it("never reuses a name: a counter is added when the timestamp is taken (also by a .gz)", async () => {
    const dir = tempDir();
    const at = Date.UTC(2026, 10, 28, 7, 12, 3, 123);
    const stamp = timestampLabel(at);
    assert.equal(stamp, "2026-11-28T07-12-03.123Z");
    writeFileSync(join(dir, `events.${stamp}.json`), "earlier run\n");
    writeFileSync(join(dir, `events.${stamp}_1.json.gz`), "earlier run, compressed\n");
    // A frozen clock: every rotation happens "at the same millisecond".
    for (const gzip of [false, true]) {
      const sink = await FileSink.open(join(dir, "events.json"), { rotateBytes: 10, gzip, now: () => at });
      for (let i = 0; i < 4; i++) await sink.write(Buffer.from(`${gzip ? "gz" : "pl"} line ${i}\n`));
      await sink.close();
    }
    assert.equal(readFileSync(join(dir, `events.${stamp}.json`), "utf8"), "earlier run\n");
    assert.equal(readFileSync(join(dir, `events.${stamp}_1.json.gz`), "utf8"), "earlier run, compressed\n");
    assert.deepEqual(readdirSync(dir).sort(), [
      `events.${stamp}.json`,
      `events.${stamp}_1.json.gz`,
      `events.${stamp}_2.json`,
      `events.${stamp}_3.json`,
      `events.${stamp}_4.json`,
      `events.${stamp}_5.json.gz`,
      `events.${stamp}_6.json.gz`,
      `events.${stamp}_7.json.gz`,
      `events.${stamp}_8.json.gz`,
      "events.json",
    ]);
    const fromRuns = rotatedFiles(dir)
      .slice(2)
      .map((n) => readText(join(dir, n)))
      .join("");
    assert.equal(
      fromRuns + readFileSync(join(dir, "events.json"), "utf8"),
      "pl line 0\npl line 1\npl line 2\npl line 3\ngz line 0\ngz line 1\ngz line 2\ngz line 3\n",
    );
  });

  it("names rotated files sensibly whatever the extension", async () => {
    const dir = tempDir();
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    assert.equal(
      await rotatedPath(join(dir, "events.leef"), at),
      join(dir, "events.2026-01-02T03-04-05.006Z.leef"),
    );
    assert.equal(await rotatedPath(join(dir, "events"), at), join(dir, "events.2026-01-02T03-04-05.006Z"));
    assert.equal(
      await rotatedPath(join(dir, "a.b", "events.tar"), at),
      join(dir, "a.b", "events.2026-01-02T03-04-05.006Z.tar"),
    );
  });

  it("reports an unwritable path as a SinkError naming the path", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "plain-file"), "");
    const path = join(dir, "plain-file", "sub", "events.json");
    await assert.rejects(FileSink.open(path), (err: unknown) => {
      assert.ok(err instanceof SinkError);
      assert.ok(err.message.includes(path), err.message);
      return true;
    });
  });

  it("reports a failed rotation as a SinkError naming the file", async () => {
    const dir = tempDir();
    const path = join(dir, "events.json");
    const sink = await FileSink.open(path, { rotateBytes: 5, now: tickingClock() });
    await sink.write(Buffer.from("12345\n"));
    // The folder vanishes under the sink (as when a disk is unmounted): the rename fails.
    rmSync(dir, { recursive: true });
    await assert.rejects(sink.write(Buffer.from("more\n")), (err: unknown) => {
      assert.ok(err instanceof SinkError);
      assert.ok(err.message.includes(path), err.message);
      return true;
    });
    await sink.close();
  });

  it("rejects rotation options no caller means", async () => {
    const path = join(tempDir(), "events.json");
    await assert.rejects(FileSink.open(path, { rotateBytes: 0 }), RangeError);
    await assert.rejects(FileSink.open(path, { rotateSeconds: Number.NaN }), RangeError);
    assert.equal(existsSync(path), false);
  });
});

describe("gzipFile", () => {
  it("replaces a stale .gz.tmp left by a crash and keeps nothing else", async () => {
    const dir = tempDir();
    const path = join(dir, "events.x.json");
    writeFileSync(path, "one\ntwo\n");
    writeFileSync(`${path}.gz.tmp`, "half a gzip from a crashed run");
    assert.equal(await gzipFile(path), `${path}.gz`);
    assert.deepEqual(readdirSync(dir), ["events.x.json.gz"]);
    assert.equal(readText(`${path}.gz`), "one\ntwo\n");
  });

  it("leaves the original intact when compression fails", async () => {
    const dir = tempDir();
    const path = join(dir, "events.x.json");
    writeFileSync(path, "keep me\n");
    // A folder in the way of the final name: the rename of the finished .gz.tmp fails.
    mkdirSync(join(dir, "events.x.json.gz", "blocker"), { recursive: true });
    await assert.rejects(gzipFile(path));
    assert.equal(readFileSync(path, "utf8"), "keep me\n");
  });
});
