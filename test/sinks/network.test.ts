// `cbexport export` to HTTP, TCP and UDP receivers written in the tests: a destination that answers 503,
// stalls, goes away mid-stream or is down at the start still gets every event exactly once; one that stays
// down ends the export with exit 1 after --retry-for.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { ROOT } from "../helpers/fixtures.js";
import {
  type BackgroundCli,
  expectedLines,
  freePort,
  generatedArchive,
  HttpReceiver,
  sorted,
  startCli,
  stopProcess,
  tempDir,
  waitFor,
} from "./support.js";

const SMALL = join(ROOT, "examples", "archive");

/** Every line of `part` is in `whole`, no more often than there (nothing written twice). */
function assertSubset(part: readonly string[], whole: readonly string[]): void {
  const left = new Map<string, number>();
  for (const line of whole) left.set(line, (left.get(line) ?? 0) + 1);
  for (const line of part) {
    const n = left.get(line) ?? 0;
    assert.ok(n > 0, `received a line not expected (or once too often): ${line.slice(0, 120)}`);
    left.set(line, n - 1);
  }
}

describe("http output", () => {
  let archive: string;
  let expected: string[];
  const receivers: HttpReceiver[] = [];
  const processes: BackgroundCli[] = [];

  before(async () => {
    archive = await generatedArchive(3000);
    expected = await expectedLines(archive);
  });

  after(async () => {
    for (const p of processes) await stopProcess(p.child);
    for (const r of receivers) await r.stop();
  });

  it("gets every event once through 503, 429, a slow answer, a hang and a receiver that goes away", async () => {
    const receiver = await HttpReceiver.start((n) => {
      if (n === 2) return { kind: "status", status: 503 };
      if (n === 4) return { kind: "status", status: 429, retryAfter: "1" };
      if (n === 6) return { kind: "slow", ms: 1500 };
      if (n === 8) return { kind: "hang" };
      if (n === 11) return { kind: "away", ms: 2000 };
      if (n === 14) return { kind: "status", status: 500 };
      return { kind: "ok" };
    });
    receivers.push(receiver);
    const url = `http://127.0.0.1:${receiver.port}/ingest?batch_bytes=40000&timeout=3&gzip=true&header=X-Api-Key:%20k1`;
    const result = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(receiver.requests >= 14, `only ${receiver.requests} requests`);
    assert.deepEqual(sorted(receiver.lines()), sorted(expected));
    for (const request of receiver.accepted) {
      assert.equal(request.path, "/ingest");
      assert.equal(request.headers["x-api-key"], "k1");
      assert.equal(request.headers["content-encoding"], "gzip");
      assert.equal(request.headers["content-type"], "application/x-ndjson");
    }
    assert.match(result.stderr, /output http:\/\/127\.0\.0\.1:\d+\/ingest: HTTP 503: try later; retrying/);
    assert.match(result.stderr, /delivering again after/);
  });

  it("waits for a destination that is down at the start, then delivers everything", async () => {
    const port = await freePort();
    const cli = startCli([
      "export",
      "--server-name",
      "cbtest",
      "--output",
      `http://127.0.0.1:${port}/`,
      archive,
    ]);
    processes.push(cli);
    await waitFor("the export to report the outage", () => cli.stderr().includes("retrying for up to 300 s"));
    const receiver = await HttpReceiver.start(undefined, { port });
    receivers.push(receiver);
    assert.equal(await cli.exited, 0, cli.stderr());
    assert.deepEqual(sorted(receiver.lines()), sorted(expected));
  });

  it("gives up after --retry-for with exit 1 and a message naming the output, having written nothing twice", async () => {
    // The receiver takes three batches, then goes away for good.
    const receiver = await HttpReceiver.start((n) =>
      n === 4 ? { kind: "away", ms: 3_600_000 } : { kind: "ok" },
    );
    receivers.push(receiver);
    const url = `http://127.0.0.1:${receiver.port}/x?batch_bytes=40000`;
    const result = await runCli([
      "export",
      "--server-name",
      "cbtest",
      "--retry-for",
      "2",
      "--output",
      url,
      archive,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /cbexport export: output http:\/\/127\.0\.0\.1:\d+\/x: gave up after 2 s of failed deliveries \(--retry-for\): /,
    );
    assert.equal(receiver.accepted.length, 3);
    assertSubset(receiver.lines(), expected);
  });

  it("fails at once on an answer that retrying cannot fix, without showing the credentials", async () => {
    const receiver = await HttpReceiver.start(() => ({ kind: "status", status: 401 }));
    receivers.push(receiver);
    const url = `http://user:s3cret@127.0.0.1:${receiver.port}/x?header=Authorization:%20Bearer%20t0ken`;
    const result = await runCli(["export", "--output", url, SMALL]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /output http:\/\/127\.0\.0\.1:\d+\/x: HTTP 401: try later/);
    assert.doesNotMatch(result.stderr, /s3cret|t0ken|retrying/);
    assert.equal(receiver.requests, 1);
  });
});

describe("tcp and udp outputs", () => {
  let server: Server | undefined;

  after(() => server?.close());

  it("writes newline-delimited events over TCP, in a format of the output's own", async () => {
    const received: Buffer[] = [];
    server = createServer((socket) => socket.on("data", (d: Buffer) => received.push(d)));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const file = join(tempDir("tcp-file"), "events.json");
    const result = await runCli([
      "export",
      "--server-name",
      "cbtest",
      "--output",
      file,
      "--output",
      `tcp://127.0.0.1:${port}?format=leef`,
      SMALL,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const leef = await expectedLines(SMALL, ["--format", "leef"]);
    await waitFor(
      "all LEEF lines",
      () => Buffer.concat(received).toString("utf8").split("\n").length > leef.length,
    );
    assert.deepEqual(Buffer.concat(received).toString("utf8").split("\n").slice(0, -1), leef);
    assert.deepEqual(readFileSync(file, "utf8").split("\n").slice(0, -1), await expectedLines(SMALL));
  });

  it("sends one event per UDP datagram and counts (never truncates) the ones too large", async () => {
    const socket = createSocket("udp4");
    const datagrams: string[] = [];
    socket.on("message", (m) => datagrams.push(m.toString("utf8")));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    try {
      const { port } = socket.address();
      const expected = await expectedLines(SMALL);
      const max = 600;
      const small = expected.filter((line) => Buffer.byteLength(line) <= max);
      assert.ok(small.length > 0 && small.length < expected.length);
      const url = `udp://127.0.0.1:${port}?max_datagram=${max}`;
      const result = await runCli(["export", "--server-name", "cbtest", "--output", url, SMALL]);
      // Events that could not be sent make the run "finished with losses" (exit 3), and say so.
      assert.equal(result.code, 3, result.stderr);
      const tooLarge = expected.length - small.length;
      assert.match(
        result.stderr,
        new RegExp(`${tooLarge} event\\(s\\) larger than ${max} bytes were not sent`),
      );
      assert.match(result.stderr, /best effort/);
      await waitFor("the datagrams", () => datagrams.length >= small.length);
      assert.deepEqual(sorted(datagrams), sorted(small));
    } finally {
      socket.close();
    }
  });
});

describe("spool", () => {
  const receivers: HttpReceiver[] = [];
  after(async () => {
    for (const r of receivers) await r.stop();
  });

  it("takes a whole export while the destination is down and delivers it first, in order, on the next run", async () => {
    const spool = join(tempDir("spool"), "http");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/?spool=${encodeURIComponent(spool)}&batch_bytes=2000`;
    const first = await runCli([
      "export",
      "--server-name",
      "cbtest",
      "--retry-for",
      "1",
      "--output",
      url,
      SMALL,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /byte\(s\) stay in spool .* and are delivered first by the next run with this spool/,
    );
    assert.ok(readdirSync(spool).some((name) => name.endsWith(".seg")));

    const receiver = await HttpReceiver.start(undefined, { port });
    receivers.push(receiver);
    const archive = await generatedArchive(200);
    const second = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /delivering \d+ byte\(s\) left in spool/);
    const expected = [...(await expectedLines(SMALL)), ...(await expectedLines(archive))];
    assert.deepEqual(receiver.lines(), expected);
    assert.deepEqual(
      readdirSync(spool).filter((name) => name !== "lock"),
      [],
    );
    assert.equal(existsSync(join(spool, "lock")), false);
  });
});
