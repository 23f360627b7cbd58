// The delivery rules shared by every network output, with a transport the test controls: back-pressure,
// retries, giving up, failing at once, and the disk spool.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DeliverySink } from "../../src/sinks/delivery/delivery-sink.js";
import { Spool } from "../../src/sinks/delivery/spool.js";
import { DeliveryError, type Transport } from "../../src/sinks/delivery/transport.js";
import { SinkError } from "../../src/sinks/sink.js";

/** A transport whose outcome per call the test decides; records what it delivered. */
class FakeTransport implements Transport {
  readonly delivered: string[] = [];
  calls = 0;
  /** Called per send: throw to fail it, await to hold it. */
  behaviour: (call: number) => Promise<void> | void = () => undefined;

  async send(records: readonly Buffer[]): Promise<void> {
    this.calls++;
    await this.behaviour(this.calls);
    for (const r of records) this.delivered.push(r.toString());
  }

  async close(): Promise<void> {}
}

const lines = (...texts: string[]) => Buffer.from(`${texts.join("\n")}\n`);
const quiet = () => undefined;
const fast = { initialMs: 1, maxMs: 5 };
/** Lets pending promise callbacks and I/O run (not a timing assumption: the checked state cannot change). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function open(transport: Transport, options: Partial<Parameters<typeof DeliverySink.open>[0]> = {}) {
  return DeliverySink.open({
    name: "test://dest",
    transport,
    encode: (line) => Buffer.from(`<${line.toString()}>`),
    retryForMs: 60_000,
    log: quiet,
    backoff: fast,
    ...options,
  });
}

describe("DeliverySink", () => {
  it("splits batches into events, encodes each and delivers them in order; flush waits for delivery", async () => {
    const transport = new FakeTransport();
    let release: () => void = () => undefined;
    transport.behaviour = () => new Promise((resolve) => (release = resolve));
    const sink = await open(transport);
    await sink.write(lines("a", "b"));
    let flushed = false;
    const flush = sink.flush().then(() => (flushed = true));
    await settle();
    assert.equal(flushed, false);
    transport.behaviour = () => undefined;
    release();
    await flush;
    await sink.write(lines("c"));
    await sink.close();
    assert.deepEqual(transport.delivered, ["<a>", "<b>", "<c>"]);
  });

  it("applies back-pressure: write() waits while the buffer is full", async () => {
    const transport = new FakeTransport();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    transport.behaviour = (call) => (call === 1 ? held : undefined);
    const sink = await open(transport, { bufferBytes: 10, batchBytes: 3 });
    await sink.write(lines("1")); // in flight, held
    let written = false;
    const write = sink.write(lines("22", "33", "44", "55")).then(() => (written = true));
    await settle();
    assert.equal(written, false, "write must wait while the buffer is over its limit");
    release();
    await write;
    await sink.close();
    assert.deepEqual(transport.delivered, ["<1>", "<22>", "<33>", "<44>", "<55>"]);
  });

  it("retries retryable failures with the same records, in order, and says when delivery resumes", async () => {
    const transport = new FakeTransport();
    transport.behaviour = (call) => {
      if (call <= 3) throw new DeliveryError("HTTP 503", true);
    };
    const log: string[] = [];
    const sink = await open(transport, { log: (l) => log.push(l) });
    await sink.write(lines("a", "b", "c"));
    await sink.close();
    assert.deepEqual(transport.delivered, ["<a>", "<b>", "<c>"]);
    assert.equal(transport.calls, 4);
    assert.match(log[0] as string, /output test:\/\/dest: HTTP 503; retrying for up to 60 s/);
    assert.match(log[1] as string, /output test:\/\/dest: delivering again after \d+ s/);
  });

  it("gives up after the retry time: flush and later writes fail with the output's name", async () => {
    const transport = new FakeTransport();
    transport.behaviour = () => {
      throw new Error("connect ECONNREFUSED");
    };
    const sink = await open(transport, { retryForMs: 50 });
    await sink.write(lines("a"));
    await assert.rejects(sink.flush(), (err: unknown) => {
      assert.ok(err instanceof SinkError);
      assert.match(
        err.message,
        /^output test:\/\/dest: gave up after 0 s of failed deliveries \(--retry-for\): connect/,
      );
      return true;
    });
    await assert.rejects(sink.write(lines("b")), SinkError);
    await assert.rejects(sink.close(), SinkError);
    assert.deepEqual(transport.delivered, []);
  });

  it("fails at once on an error retrying cannot fix", async () => {
    const transport = new FakeTransport();
    transport.behaviour = () => {
      throw new DeliveryError("HTTP 401: invalid token", false);
    };
    const sink = await open(transport, { retryForMs: Number.POSITIVE_INFINITY });
    await sink.write(lines("a"));
    await assert.rejects(sink.flush(), /output test:\/\/dest: HTTP 401: invalid token/);
    assert.equal(transport.calls, 1);
  });

  it("counts and reports records too large to send instead of cutting them", async () => {
    const transport = new FakeTransport();
    const log: string[] = [];
    const sink = await open(transport, { maxRecordBytes: 4, bestEffort: true, log: (l) => log.push(l) });
    await sink.write(lines("ab", "abcdef", "c"));
    await sink.close();
    assert.deepEqual(transport.delivered, ["<ab>", "<c>"]);
    const report = sink.report();
    assert.equal(report.lost, 1);
    assert.match(report.lines.join("\n"), /2 event\(s\) sent \(best effort/);
    assert.match(report.lines.join("\n"), /1 event\(s\) larger than 4 bytes were not sent/);
    assert.match(log[0] as string, /an event of 8 bytes exceeds 4 bytes; not sent/);
  });

  it("with a spool: flush means fsynced to disk, even while the destination is down", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "cbexport-delivery-")), "spool");
    const down = new FakeTransport();
    down.behaviour = () => {
      throw new DeliveryError("down", true);
    };
    const log: string[] = [];
    const sink = await open(down, { spool: { dir }, retryForMs: 30, log: (l) => log.push(l) });
    await sink.write(lines("1", "2"));
    await sink.flush();
    await sink.write(lines("3"));
    await sink.close();
    assert.deepEqual(down.delivered, []);
    assert.match(log.join("\n"), /stay in spool .* delivered first by the next run/);

    const up = new FakeTransport();
    const next = await open(up, { spool: { dir } });
    await next.write(lines("4"));
    await next.close();
    assert.deepEqual(up.delivered, ["<1>", "<2>", "<3>", "<4>"]);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe("Spool", () => {
  const records = (...texts: string[]) => texts.map((t) => Buffer.from(t));
  const text = (batch: { records: Buffer[] } | undefined) => batch?.records.map((r) => r.toString());

  it("reads back in order across segments and deletes a segment once all of it is delivered", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-spool-"));
    const spool = await Spool.open({ dir, segmentBytes: 10 });
    await spool.append(records("aaaa", "bbbb"));
    await spool.append(records("cccc"));
    await spool.sync();
    assert.equal(readdirSync(dir).filter((n) => n.endsWith(".seg")).length, 2);
    const first = await spool.read(100);
    assert.deepEqual(text(first), ["aaaa", "bbbb"]);
    // Not committed: the same records again.
    assert.deepEqual(text(await spool.read(100)), ["aaaa", "bbbb"]);
    await spool.commit(first as NonNullable<typeof first>);
    assert.equal(readdirSync(dir).filter((n) => n.endsWith(".seg")).length, 1);
    const second = await spool.read(100);
    assert.deepEqual(text(second), ["cccc"]);
    await spool.commit(second as NonNullable<typeof second>);
    assert.equal(spool.isEmpty(), true);
    assert.equal(await spool.read(100), undefined);
    await spool.close();
    assert.deepEqual(readdirSync(dir), []);
  });

  it("resumes after the delivered position and drops a record cut by a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-spool-"));
    const spool = await Spool.open({ dir });
    await spool.append(records("one", "two", "three"));
    await spool.sync();
    const batch = await spool.read(7);
    assert.deepEqual(text(batch), ["one"]);
    await spool.commit(batch as NonNullable<typeof batch>);
    // A crash: no close, and half a record at the end of the segment.
    const segment = join(dir, readdirSync(dir).find((n) => n.endsWith(".seg")) as string);
    writeFileSync(segment, Buffer.concat([readFileSync(segment), Buffer.from([0, 0, 0, 9, 0x61])]));
    writeFileSync(join(dir, "lock"), "999999999");
    const again = await Spool.open({ dir });
    assert.deepEqual(text(await again.read(1000)), ["two", "three"]);
    await again.close();
  });

  it("refuses a spool folder another live process holds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-spool-"));
    writeFileSync(join(dir, "lock"), String(process.ppid));
    await assert.rejects(Spool.open({ dir }), /is in use by process/);
  });
});
