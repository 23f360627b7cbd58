import assert from "node:assert/strict";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { fixture } from "../helpers/fixtures.js";
import { lineCount, sleep, startFollow, waitFor } from "../helpers/follow.js";

const SAMPLE = readFileSync(fixture("corpus", "archive", "2013-02-08_17-12-24-277.log"));
const BUNDLE = readFileSync(fixture("corpus", "bus", "bundleone.bin"));

function dirs() {
  const root = mkdtempSync(join(tmpdir(), "cbexport-follow-"));
  const archive = join(root, "archive");
  mkdirSync(archive);
  return { root, archive, state: join(root, "state"), out: join(root, "out.json") };
}

/** A seeded generator, so a failing run can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines of a single uninterrupted export of the archive, sorted. */
async function exportedLines(archive: string): Promise<string[]> {
  const result = await runCli(["export", "--server-name", "s", archive]);
  assert.ok(result.code === 0 || result.code === 3, result.stderr);
  return result.stdout
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

function outputLines(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

/**
 * Starts `follow`, lets files arrive (whole, or in two parts cut mid-record), kills it with SIGKILL at random
 * moments `kills` times, then lets a last run catch up and stops it with SIGTERM.
 */
async function killAndRestart(
  archive: string,
  state: string,
  kills: number,
  outputArgs: string[],
  mirror?: string,
): Promise<void> {
  const rnd = random(20261128 + kills);
  const arrivals: { path: string; data: Buffer; split: boolean }[] = [];
  for (let i = 0; i < 24; i++) {
    const sensor = 100 + (i % 5);
    const name = `2026-11-28_10-00-${String(i).padStart(2, "0")}-000.log`;
    arrivals.push({
      path: join(archive, String(sensor), name),
      data: i % 3 === 0 ? BUNDLE : SAMPLE,
      split: i % 4 === 1,
    });
  }
  let next = 0;
  const arrive = async () => {
    const a = arrivals[next++];
    mkdirSync(join(a.path, ".."), { recursive: true });
    if (mirror !== undefined) {
      const copy = join(mirror, a.path.slice(archive.length));
      mkdirSync(join(copy, ".."), { recursive: true });
      writeFileSync(copy, a.data);
    }
    if (!a.split) {
      writeFileSync(a.path, a.data);
      return;
    }
    const cut = 1 + Math.floor(rnd() * (a.data.length - 2));
    writeFileSync(a.path, a.data.subarray(0, cut));
    await sleep(20);
    appendFileSync(a.path, a.data.subarray(cut));
  };
  const args = [archive, "--state", state, ...outputArgs, "--settle", "2", ...COMMON];
  for (let k = 0; k < kills; k++) {
    const proc = startFollow(args);
    if (next < arrivals.length) await arrive();
    await sleep(30 + Math.floor(rnd() * 300));
    if (next < arrivals.length && rnd() < 0.5) await arrive();
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
  while (next < arrivals.length) await arrive();
  const removing = outputArgs.includes("--remove");
  const proc = startFollow(args);
  await waitFor("every file exported", () => {
    if (removing) return arrivals.every((a) => !existsSync(a.path));
    const saved = readState(state);
    return saved !== undefined && arrivals.every((a) => saved.files[a.path]?.done === true);
  });
  proc.child.kill("SIGTERM");
  assert.equal(await proc.exited, 0, proc.stderr());
}

function readState(dir: string): { files: Record<string, { done: boolean }> } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
  } catch {
    return undefined;
  }
}

const COMMON = ["--server-name", "s", "--rescan", "0.5"];
/** Reads what is there and stops (--idle-exit 0). */
const CATCH_UP = ["--settle", "0", "--idle-exit", "0", ...COMMON];

/** Follows, with --remove, a sensor folder holding the sample as clean.log and a second file. */
function followRemoving(name: string, bytes: Buffer) {
  const { archive, state, out } = dirs();
  mkdirSync(join(archive, "5"));
  const clean = join(archive, "5", "clean.log");
  const other = join(archive, "5", name);
  writeFileSync(clean, SAMPLE);
  writeFileSync(other, bytes);
  const proc = startFollow([
    archive,
    "--state",
    state,
    "--output",
    out,
    "--settle",
    "0",
    "--remove",
    ...COMMON,
  ]);
  return { proc, clean, other, out };
}

describe("cbexport follow", () => {
  it("survives 20 SIGKILLs while files arrive: the output holds every record exactly once", async () => {
    const { archive, state, out } = dirs();
    await killAndRestart(archive, state, 20, ["--output", out]);
    assert.deepEqual(outputLines(out), await exportedLines(archive));
  });

  it("stays exact with a rotating output: rotated files never hold records a restart writes again", async () => {
    const { root, archive, state } = dirs();
    const out = join(root, "out", "events.json");
    await killAndRestart(archive, state, 8, ["--output", out, "--rotate-bytes", "200000"]);
    const files = readdirSync(join(root, "out"));
    assert.ok(files.length >= 2, `rotated into ${files.join(", ")}`);
    const all = files.flatMap((f) => outputLines(join(root, "out", f))).sort();
    assert.deepEqual(all, await exportedLines(archive));
  });

  it("stays exact when killed while writing past the page cache (outputs past 32 MiB are written directly)", async () => {
    const { archive, state, out } = dirs();
    const generated = await runCli(["generate", "--out", archive, "--events", "150000", "--seed", "3"]);
    assert.equal(generated.code, 0, generated.stderr);
    const args = [archive, "--state", state, "--output", out, "--settle", "0", ...COMMON];
    const first = startFollow(args);
    const size = () => (existsSync(out) ? statSync(out).size : 0);
    await waitFor("34 MiB of output", () => size() > 34 << 20);
    first.child.kill("SIGKILL");
    await first.exited;
    const killedAt = size();
    const last = startFollow(args);
    const files = readdirSync(archive).flatMap((d) =>
      readdirSync(join(archive, d)).map((f) => join(archive, d, f)),
    );
    await waitFor("every file exported", () => {
      const saved = readState(state);
      return saved !== undefined && files.every((f) => saved.files[f]?.done === true);
    });
    last.child.kill("SIGTERM");
    assert.equal(await last.exited, 0, last.stderr());
    const expected = await exportedLines(archive);
    assert.ok(killedAt < expected.join("\n").length, "killed before the end");
    assert.deepEqual(outputLines(out), expected);
  });

  it("with --remove and SIGKILLs, deletes each file only after all its records were written", async () => {
    const { root, archive, state, out } = dirs();
    const mirror = join(root, "mirror");
    await killAndRestart(archive, state, 8, ["--output", out, "--remove"], mirror);
    assert.deepEqual(outputLines(out), await exportedLines(mirror));
  });

  it("formats on worker threads and on the main thread byte for byte as export does, damage included", async () => {
    // One 8 MB file: records cross the 1 MiB reads (whose memory the pool recycles), with a zero-length record
    // and one that frames but does not decode between generated files.
    const { root, archive } = dirs();
    const generated = join(root, "generated");
    const r = await runCli([
      "generate",
      "--out",
      generated,
      "--events",
      "30000",
      "--sensors",
      "1",
      "--seed",
      "5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const sensor = readdirSync(generated)[0];
    const parts = readdirSync(join(generated, sensor))
      .sort()
      .map((name) => readFileSync(join(generated, sensor, name)));
    const zeroLength = Buffer.alloc(4);
    const undecodable = Buffer.from([5, 0, 0, 0, 0x0f, 0xff, 0xff, 0xff, 0xff]);
    mkdirSync(join(archive, sensor));
    const big = join(archive, sensor, "big.log");
    writeFileSync(
      big,
      Buffer.concat([parts[0], zeroLength, ...parts.slice(1, 9), undecodable, ...parts.slice(9)]),
    );
    assert.ok(statSync(big).size > 7 << 20);
    const expected = join(root, "expected.json");
    const exported = await runCli(["export", "--server-name", "s", "--output", expected, archive]);
    assert.equal(exported.code, 3, exported.stderr);
    for (const threads of ["1", "2"]) {
      const state = join(root, `state-${threads}`);
      const out = join(root, `out-${threads}.json`);
      const threadsArgs = ["--threads", threads, ...CATCH_UP];
      const followed = await runCli(["follow", archive, "--state", state, "--output", out, ...threadsArgs]);
      assert.equal(followed.code, 0, followed.stderr);
      assert.ok(
        readFileSync(out).equals(readFileSync(expected)),
        `--threads ${threads}: not the bytes export wrote`,
      );
      assert.match(followed.stderr, /zero-length/);
    }
  });

  it("--idle-exit stops by itself once caught up, checkpointed: a second run adds only what arrived since", async () => {
    const { archive, state, out } = dirs();
    mkdirSync(join(archive, "7"));
    writeFileSync(join(archive, "7", "a.log"), SAMPLE);
    const args = [archive, "--state", state, "--output", out, "--settle", "0", ...COMMON];
    const first = await runCli(["follow", ...args, "--idle-exit", "0"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /caught up, nothing new for 0 s: stopping/);
    assert.equal(lineCount(out), 20);
    // Waits a second without news, while a file arriving meanwhile is still taken.
    const second = startFollow([...args, "--idle-exit", "1"]);
    await sleep(300);
    // Written aside and renamed in: with --settle 0 a file seen half-written would count as complete.
    writeFileSync(join(archive, "..", "b.log"), BUNDLE);
    renameSync(join(archive, "..", "b.log"), join(archive, "7", "b.log"));
    assert.equal(await second.exited, 0, second.stderr());
    const expected = await exportedLines(archive);
    assert.deepEqual(outputLines(out), expected, "every record exactly once");
  });

  it("reads on in a file written to again after it had settled (or was seen empty)", async () => {
    const { archive, state, out } = dirs();
    mkdirSync(join(archive, "7"));
    const file = join(archive, "7", "a.log");
    writeFileSync(file, "");
    const catchUp = async () => {
      const r = await runCli(["follow", archive, "--state", state, "--output", out, ...CATCH_UP]);
      assert.equal(r.code, 0, r.stderr);
    };
    await catchUp();
    assert.equal(readState(state)?.files[file]?.done, true, "seen empty and settled: complete");
    appendFileSync(file, SAMPLE);
    await catchUp();
    assert.equal(lineCount(out), 20);
    appendFileSync(file, BUNDLE);
    await catchUp();
    assert.deepEqual(outputLines(out), await exportedLines(archive), "every record exactly once");
  });

  it("picks up new sensor folders and growing files; SIGTERM checkpoints and exits 0", async () => {
    const { archive, state, out } = dirs();
    const proc = startFollow([archive, "--state", state, "--output", out, "--settle", "1", ...COMMON]);
    mkdirSync(join(archive, "7"));
    const growing = join(archive, "7", "growing.log");
    writeFileSync(growing, SAMPLE.subarray(0, 1000)); // 5 whole records and part of the 6th
    await waitFor("the complete records of the growing file", () => lineCount(out) === 5);
    appendFileSync(growing, SAMPLE.subarray(1000));
    mkdirSync(join(archive, "8"));
    writeFileSync(join(archive, "8", "new.log"), SAMPLE);
    await waitFor("both files", () => lineCount(out) === 40);
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);
    assert.match(proc.stderr(), /SIGTERM: finishing the batch in hand/);
    const saved = JSON.parse(readFileSync(join(state, "state.json"), "utf8"));
    assert.equal(saved.files[growing].offset, SAMPLE.length);
    assert.equal(saved.outputs[out].length, readFileSync(out).length);
    assert.deepEqual(outputLines(out), await exportedLines(archive));
  });

  it("restarts from an older state: only new records, files deleted meanwhile forgotten, replaced files re-read", async () => {
    const { archive, state, out } = dirs();
    mkdirSync(join(archive, "9"));
    writeFileSync(join(archive, "9", "a.log"), SAMPLE);
    writeFileSync(join(archive, "9", "b.log"), SAMPLE);
    let proc = startFollow([archive, "--state", state, "--output", out, "--settle", "0", ...COMMON]);
    await waitFor("first run", () => lineCount(out) === 40);
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);

    unlinkSync(join(archive, "9", "a.log"));
    unlinkSync(join(archive, "9", "b.log"));
    writeFileSync(join(archive, "9", "b.log"), BUNDLE.subarray(0, 4 + BUNDLE.readUInt32LE(0))); // a new file, same name
    writeFileSync(join(archive, "9", "c.log"), SAMPLE);
    proc = startFollow([archive, "--state", state, "--output", out, "--settle", "0", ...COMMON]);
    await waitFor("second run", () => lineCount(out) === 40 + 1 + 20);
    await sleep(600);
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);
    assert.equal(lineCount(out), 61);
    const saved = JSON.parse(readFileSync(join(state, "state.json"), "utf8"));
    assert.deepEqual(Object.keys(saved.files).sort(), [
      join(archive, "9", "b.log"),
      join(archive, "9", "c.log"),
    ]);
  });

  it("copes with a file deleted before it was read", async () => {
    const { archive, state, out } = dirs();
    mkdirSync(join(archive, "3"));
    const doomed = join(archive, "3", "doomed.log");
    writeFileSync(doomed, SAMPLE.subarray(0, 100)); // not even one whole record yet
    const proc = startFollow([archive, "--state", state, "--output", out, "--settle", "60", ...COMMON]);
    await waitFor("the follower to see the file", () => readState(state)?.files[doomed] !== undefined);
    unlinkSync(doomed);
    writeFileSync(join(archive, "3", "next.log"), SAMPLE.subarray(0, 170));
    await waitFor("the next file", () => lineCount(out) === 1);
    await waitFor("the deleted file to leave the state", () => readState(state)?.files[doomed] === undefined);
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0, proc.stderr());
    assert.doesNotMatch(proc.stderr(), /damaged|doomed/);
  });

  it("refuses a state folder it cannot read with a clear message", async () => {
    const { archive, state } = dirs();
    mkdirSync(state);
    writeFileSync(join(state, "state.json"), JSON.stringify({ version: 99, files: {}, outputs: {} }));
    const result = await runCli(["follow", archive, "--state", state]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /state version 99/);
  });

  it("--remove deletes only completely exported files; a damaged one is kept", async () => {
    const { proc, clean, other, out } = followRemoving("damaged.log", SAMPLE.subarray(0, 3000));
    await waitFor("the clean file to be removed", () => !existsSync(clean));
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);
    assert.equal(lineCount(out), 37);
    assert.ok(existsSync(other));
  });

  it("--remove keeps a file with a record that frames but does not decode; its other records are exported", async () => {
    // A whole record (length 5) whose bytes are no CbEventMsg, between two copies of the sample.
    const undecodable = Buffer.concat([
      SAMPLE,
      Buffer.from([5, 0, 0, 0, 0x0f, 0xff, 0xff, 0xff, 0xff]),
      SAMPLE,
    ]);
    const { proc, clean, other, out } = followRemoving("undecodable.log", undecodable);
    await waitFor("the clean file to be removed", () => !existsSync(clean));
    // The sample holds 20 records: 20 from the clean file, 40 from the other.
    await waitFor("every record to be written", () => existsSync(out) && lineCount(out) === 60);
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);
    assert.ok(existsSync(other), "the file with an undecodable record was deleted");
    assert.match(proc.stderr(), /damaged input: .*undecodable\.log/);
  });

  it("--remove deletes nothing when the output fails (/dev/full)", async () => {
    const { archive, state } = dirs();
    mkdirSync(join(archive, "5"));
    const clean = join(archive, "5", "clean.log");
    writeFileSync(clean, SAMPLE);
    const result = await runCli([
      "follow",
      archive,
      "--state",
      state,
      "--output",
      "/dev/full",
      "--settle",
      "0",
      "--remove",
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\/dev\/full/);
    assert.ok(existsSync(clean));
    // The run may have recorded where its outputs start, but never progress in the archive file.
    assert.equal(readState(state)?.files[clean]?.done ?? false, false);
  });

  it("retention deletes exported files past the age or size limit, never unexported ones", async () => {
    const { archive, state, out } = dirs();
    mkdirSync(join(archive, "6"));
    const files = ["a.log", "b.log", "c.log"].map((n) => join(archive, "6", n));
    for (const f of files) writeFileSync(f, SAMPLE);
    const proc = startFollow([
      archive,
      "--state",
      state,
      "--output",
      out,
      "--settle",
      "0",
      "--max-archive-bytes",
      String(SAMPLE.length),
      ...COMMON,
    ]);
    await waitFor("two files deleted by size", () => files.filter((f) => existsSync(f)).length === 1);
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);
    assert.equal(lineCount(out), 60);
    // Stopping (its final checkpoint) must not delete more than the size limit asks for.
    assert.equal(files.filter((f) => existsSync(f)).length, 1);

    const proc2 = startFollow([
      archive,
      "--state",
      state,
      "--output",
      out,
      "--settle",
      "0",
      "--retain-hours",
      "0",
      ...COMMON,
    ]);
    await waitFor("the last file deleted by age", () => files.every((f) => !existsSync(f)));
    proc2.child.kill("SIGTERM");
    assert.equal(await proc2.exited, 0);
    assert.equal(lineCount(out), 60);
  });
});
