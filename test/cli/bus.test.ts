// `cbexport bus` against the real RabbitMQ on this machine: the real captures go through the broker and come
// out as the forwarder (or `convert`) writes them; a consumer killed with SIGKILL, a connection cut by the
// broker and two consumers on one queue lose nothing; a malformed message ends in the dead-letter folder.
// Each test has its own exchanges and queue (amqp-helpers.ts). No assertion depends on timing.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parsePropertiesCapture } from "../../src/sources/bus-message.js";
import { runCli } from "../helpers/cli.js";
import { rawPath } from "../helpers/corpus.js";
import { CORPUS, expectedLines } from "../helpers/fixtures.js";
import {
  BROKER_URL,
  Consumer,
  checkAtLeastOnce,
  closeConnections,
  createTestBus,
  outputLines,
  type TestBus,
  waitFor,
  waitForConsumers,
} from "../sources/bus/amqp-helpers.js";
import { buildZip } from "../sources/zip-helpers.js";

const TEST_TIMEOUT = 240_000;
const BUS_DIR = join(CORPUS, "bus");

/** One real message of api.events with the forwarder lines it must become (notifications: one per doc). */
interface RawCase {
  routingKey: string;
  body: Buffer;
  output: string;
}

function linesOf(cases: readonly RawCase[]): string[] {
  return cases.flatMap((c) => c.output.split("\n"));
}

function rawCases(): RawCase[] {
  return expectedLines("forwarder-3.7.json").map((line) => ({
    routingKey: line.key.slice(0, line.key.lastIndexOf("/")),
    body: readFileSync(rawPath("protobuf", line.key)),
    output: line.output,
  }));
}

function notificationCases(): RawCase[] {
  return expectedLines("forwarder.jsonbus").map((line) => ({
    routingKey: line.key.slice(0, line.key.lastIndexOf("/")),
    body: readFileSync(rawPath("json", line.key)),
    output: line.output,
  }));
}

/** Header values typed as the server sends them (BUS.md §4.1): ids as AMQP long, nodeId as int. */
function serverHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === "number" && (key === "sensorId" || key === "hostId"))
      out[key] = { "!": "long", value };
    else if (typeof value === "number" && key === "nodeId") out[key] = { "!": "int", value };
    else out[key] = value;
  }
  return out;
}

/** What `cbexport convert` writes for a bundle body with these headers (the reference for the bus). */
async function convertBundle(
  body: Buffer,
  contentType: string,
  headers: Record<string, unknown>,
  expectCode = 0,
): Promise<string[]> {
  const file = join(tempDir("convert"), "body");
  writeFileSync(file, body);
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ["--header", `${k}=${String(v)}`]);
  const result = await runCli([
    "convert",
    "--routing-key",
    "",
    "--exchange",
    "api.rawsensordata",
    "--content-type",
    contentType,
    "--server-name",
    "cbserver",
    ...headerArgs,
    file,
  ]);
  assert.equal(result.code, expectCode, result.stderr);
  return result.stdout === "" ? [] : result.stdout.replace(/\n$/, "").split("\n");
}

function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `cbexport-bus-${label}-`));
}

function publishRaw(bus: TestBus, cases: readonly RawCase[], contentType = "application/protobuf"): void {
  for (const c of cases) bus.publisher.publish(bus.eventsExchange, c.routingKey, c.body, { contentType });
}

/** "N message(s) (M redelivered)" from a consumer's closing summary. */
function redeliveredCount(stderr: string): number {
  const match = /(\d+) message\(s\) \((\d+) redelivered\)/.exec(stderr);
  return match === null ? 0 : Number(match[2]);
}

describe("cbexport bus (real RabbitMQ at 127.0.0.1:5672)", { timeout: TEST_TIMEOUT * 8 }, () => {
  const raw = rawCases();
  const notifications = notificationCases();
  const buses: TestBus[] = [];
  const consumers: Consumer[] = [];

  async function newBus(label: string): Promise<TestBus> {
    const bus = await createTestBus(label);
    buses.push(bus);
    return bus;
  }

  function start(args: string[]): Consumer {
    const consumer = Consumer.start(args);
    consumers.push(consumer);
    return consumer;
  }

  before(async () => {
    // Fail loudly (not skip) when there is no broker: .ci/run is responsible for starting it.
    const probe = await createTestBus("probe").catch((err: Error) => {
      throw new Error(`no RabbitMQ at ${BROKER_URL.replace(/:[^:@/]*@/, ":***@")}: ${err.message}`);
    });
    await probe.cleanup();
  });

  after(async () => {
    for (const c of consumers)
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
    await Promise.all(consumers.map((c) => c.exited));
    for (const bus of buses) await bus.cleanup().catch(() => {});
  });

  it("exports every single raw event and notification of the corpus as cb-event-forwarder 3.7 does", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const bus = await newBus("corpus");
    const dir = tempDir("corpus");
    const out = join(dir, "out.json");
    const consumer = start([
      ...bus.args,
      "--raw-source",
      "events",
      "--bind",
      "#",
      "--server-name",
      "cbserver",
      "--output",
      out,
      "--dead-letter",
      join(dir, "dead"),
    ]);
    await waitForConsumers(bus, 1);
    publishRaw(bus, raw);
    publishRaw(bus, notifications, "application/json");
    await bus.publisher.confirm();
    const expected = linesOf([...raw, ...notifications]);
    await waitFor(
      "every corpus line",
      () => checkAtLeastOnce(outputLines(out), expected).missing.length === 0,
    );
    assert.equal(await consumer.stop(), 0, consumer.stderr);
    const check = checkAtLeastOnce(outputLines(out), expected);
    assert.deepEqual(check, { missing: [], unexpected: [], duplicates: 0 });
    assert.match(
      consumer.stderr,
      new RegExp(`${raw.length + notifications.length} message\\(s\\) \\(0 redelivered\\)`),
    );
    assert.deepEqual(readdirSync(dir), ["out.json"], "no dead letters");
  });

  it("exports the captured zip bundles and a plain bundle as `convert` does, with the default bindings", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const bus = await newBus("bundles");
    const dir = tempDir("bundles");
    const out = join(dir, "out.json");
    const consumer = start([
      ...bus.args,
      "--server-name",
      "cbserver",
      "--output",
      out,
      "--dead-letter",
      join(dir, "dead"),
    ]);
    await waitForConsumers(bus, 1);
    const expected: string[] = [];
    for (let n = 0; n <= 10; n++) {
      const body = readFileSync(join(BUS_DIR, `${n}.zip`));
      const props = parsePropertiesCapture(readFileSync(join(BUS_DIR, `${n}.txt`), "utf8"));
      const contentType = props.contentType ?? "application/zip";
      bus.publisher.publish(bus.rawExchange, "", body, {
        contentType,
        headers: serverHeaders(props.headers),
      });
      expected.push(...(await convertBundle(body, contentType, props.headers)));
    }
    const bundle = readFileSync(join(BUS_DIR, "bundleone.bin"));
    const bundleHeaders = { sensorId: 7, hostId: 70, nodeId: 0, sensorHostName: "BUNDLE-HOST" };
    bus.publisher.publish(bus.rawExchange, "", bundle, {
      contentType: "application/protobuf",
      headers: serverHeaders(bundleHeaders),
    });
    expected.push(...(await convertBundle(bundle, "application/protobuf", bundleHeaders)));
    // Default bindings: feed.# is bound, cmd.* (internal book-keeping) is not.
    const feed = notifications.find((c) => c.routingKey === "feed.24.ingress.hit.process");
    const cmd = notifications.find((c) => c.routingKey === "cmd.feed.synchronize");
    assert.ok(feed !== undefined && cmd !== undefined);
    bus.publisher.publish(bus.eventsExchange, cmd.routingKey, cmd.body, {
      contentType: "application/json",
      mandatory: true,
    });
    bus.publisher.publish(bus.eventsExchange, feed.routingKey, feed.body, {
      contentType: "application/json",
      mandatory: true,
    });
    assert.equal(await bus.publisher.confirm(), 1, "only cmd.feed.synchronize is unroutable");
    expected.push(...linesOf([feed]));
    assert.ok(expected.length > 700);
    await waitFor(
      "every bundle line",
      () => checkAtLeastOnce(outputLines(out), expected).missing.length === 0,
    );
    assert.equal(await consumer.stop(), 0, consumer.stderr);
    assert.deepEqual(checkAtLeastOnce(outputLines(out), expected), {
      missing: [],
      unexpected: [],
      duplicates: 0,
    });
    assert.ok(
      outputLines(out).some(
        (l) => l.includes('"computer_name":"BUNDLE-HOST"') && l.includes('"sensor_id":7,'),
      ),
    );
  });

  it("loses nothing when the consumer is killed with SIGKILL mid-stream and started again", {
    timeout: TEST_TIMEOUT,
  }, async (t) => {
    const bus = await newBus("kill");
    const dir = tempDir("kill");
    const out = join(dir, "out.json");
    const prefetch = 50;
    const args = [...bus.args, "--raw-source", "events", "--events", "raw", "--prefetch", String(prefetch)];
    const first = start([...args, "--server-name", "cbserver", "--output", out]);
    await waitForConsumers(bus, 1);
    publishRaw(bus, raw);
    publishRaw(bus, raw);
    await bus.publisher.confirm();
    await waitFor("the first 300 lines", () => outputLines(out).length >= 300);
    first.child.kill("SIGKILL");
    assert.equal(await first.exited, null);
    const atKill = outputLines(out).length;
    // The rest of the stream is published while no consumer runs: the durable queue keeps it.
    publishRaw(bus, raw);
    await bus.publisher.confirm();
    const second = start([...args, "--server-name", "cbserver", "--output", out]);
    const expected = linesOf([...raw, ...raw, ...raw]);
    await waitFor(
      "every line after the restart",
      () => checkAtLeastOnce(outputLines(out), expected).missing.length === 0,
    );
    assert.equal(await second.stop(), 0, second.stderr);
    const check = checkAtLeastOnce(outputLines(out), expected);
    assert.deepEqual(check.missing, []);
    assert.deepEqual(check.unexpected, []);
    // Only the batch in hand at the kill (at most --prefetch messages, one line each) can come twice.
    assert.ok(check.duplicates <= prefetch, `${check.duplicates} duplicates`);
    const redelivered = redeliveredCount(second.stderr);
    assert.ok(check.duplicates <= redelivered, `${check.duplicates} duplicates, ${redelivered} redelivered`);
    t.diagnostic(
      `messages ${expected.length}, lines at kill ${atKill}, redelivered ${redelivered}, duplicates ${check.duplicates}`,
    );
  });

  it("reconnects by itself when the broker cuts the connection, losing nothing", {
    timeout: TEST_TIMEOUT,
  }, async (t) => {
    const bus = await newBus("cut");
    const dir = tempDir("cut");
    const out = join(dir, "out.json");
    const prefetch = 50;
    const consumer = start([
      ...bus.args,
      "--raw-source",
      "events",
      "--events",
      "raw",
      "--prefetch",
      String(prefetch),
      "--server-name",
      "cbserver",
      "--output",
      out,
    ]);
    await waitForConsumers(bus, 1);
    publishRaw(bus, raw);
    publishRaw(bus, raw);
    await bus.publisher.confirm();
    await waitFor("the first 300 lines", () => outputLines(out).length >= 300);
    assert.equal(await closeConnections(bus.queue), 1);
    await waitFor("the reconnection", () => /reconnected to/.test(consumer.stderr));
    publishRaw(bus, raw);
    await bus.publisher.confirm();
    const expected = linesOf([...raw, ...raw, ...raw]);
    await waitFor(
      "every line after the cut",
      () => checkAtLeastOnce(outputLines(out), expected).missing.length === 0,
    );
    assert.equal(await consumer.stop(), 0, consumer.stderr);
    assert.match(consumer.stderr, /connection lost: .*CONNECTION_FORCED/);
    assert.match(consumer.stderr, /2 connection\(s\)/);
    const check = checkAtLeastOnce(outputLines(out), expected);
    assert.deepEqual(check.missing, []);
    assert.deepEqual(check.unexpected, []);
    assert.ok(check.duplicates <= prefetch, `${check.duplicates} duplicates`);
    t.diagnostic(
      `messages ${expected.length}, redelivered ${redeliveredCount(consumer.stderr)}, duplicates ${check.duplicates}`,
    );
  });

  it("shares one queue between two consumers, which together deliver every event once", {
    timeout: TEST_TIMEOUT,
  }, async (t) => {
    const bus = await newBus("pair");
    const dir = tempDir("pair");
    const outs = [join(dir, "a.json"), join(dir, "b.json")];
    const pair = outs.map((out) =>
      start([
        ...bus.args,
        "--raw-source",
        "events",
        "--prefetch",
        "10",
        "--server-name",
        "cbserver",
        "--output",
        out,
      ]),
    );
    await waitForConsumers(bus, 2);
    publishRaw(bus, raw);
    publishRaw(bus, notifications.slice(0, 50), "application/json");
    await bus.publisher.confirm();
    const expected = linesOf([...raw, ...notifications.slice(0, 50)]);
    const union = () => outs.flatMap((o) => outputLines(o));
    await waitFor("every line from the pair", () => checkAtLeastOnce(union(), expected).missing.length === 0);
    for (const c of pair) assert.equal(await c.stop(), 0, c.stderr);
    assert.deepEqual(checkAtLeastOnce(union(), expected), { missing: [], unexpected: [], duplicates: 0 });
    const [a, b] = outs.map((o) => outputLines(o).length);
    assert.ok(a > 0 && b > 0, `both consumers took a share (${a} + ${b})`);
    t.diagnostic(`consumer A ${a} lines, consumer B ${b} lines`);
  });

  it("puts malformed messages into the dead-letter folder, exports their good events, and goes on", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const bus = await newBus("dead");
    const dir = tempDir("dead");
    const out = join(dir, "out.json");
    const dead = join(dir, "dead-letter");
    const consumer = start([
      ...bus.args,
      "--server-name",
      "cbserver",
      "--output",
      out,
      "--dead-letter",
      dead,
    ]);
    await waitForConsumers(bus, 1);
    const headers = { sensorId: 3, hostId: 30, nodeId: 0, sensorHostName: "DAMAGED-HOST" };
    const sample = readFileSync(join(CORPUS, "archive", "2013-02-08_17-12-24-277.log"));
    const bundle = readFileSync(join(BUS_DIR, "bundleone.bin"));
    const truncated = bundle.subarray(0, bundle.length - 10);
    const halfBadZip = buildZip([
      { name: "good.log", data: sample },
      { name: "bad.log", data: sample, badCrc: true },
    ]);
    const bad = [
      {
        exchange: bus.eventsExchange,
        key: "watchlist.hit.process",
        type: "application/protobuf",
        body: Buffer.from("not protobuf at all"),
      },
      {
        exchange: bus.eventsExchange,
        key: "feed.ingress.hit.process",
        type: "application/json",
        body: Buffer.from('{"broken": '),
      },
      {
        exchange: bus.eventsExchange,
        key: "alert.watchlist.hit.query.process",
        type: "text/plain",
        body: Buffer.from("hello"),
      },
      { exchange: bus.rawExchange, key: "", type: "application/zip", body: halfBadZip, headers },
      { exchange: bus.rawExchange, key: "", type: "application/protobuf", body: truncated, headers },
      {
        exchange: bus.rawExchange,
        key: "",
        type: "application/zip",
        body: readFileSync(join(BUS_DIR, "4.zip")),
        headers: { sensorId: "not a number" },
      },
    ];
    for (const m of bad) {
      bus.publisher.publish(m.exchange, m.key, m.body, {
        contentType: m.type,
        headers: m.headers === undefined ? undefined : serverHeaders(m.headers),
      });
    }
    const good = notifications.find((c) => c.routingKey === "watchlist.hit.process");
    assert.ok(good !== undefined);
    bus.publisher.publish(bus.eventsExchange, good.routingKey, good.body, {
      contentType: "application/json",
    });
    await bus.publisher.confirm();
    const expected = [
      ...(await convertBundle(halfBadZip, "application/zip", headers, 3)),
      ...(await convertBundle(truncated, "application/protobuf", headers, 3)),
      ...linesOf([good]),
    ];
    assert.ok(expected.length > 700);
    await waitFor("the good lines", () => checkAtLeastOnce(outputLines(out), expected).missing.length === 0);
    assert.equal(await consumer.stop(), 0, consumer.stderr);
    assert.deepEqual(checkAtLeastOnce(outputLines(out), expected), {
      missing: [],
      unexpected: [],
      duplicates: 0,
    });
    // Every malformed message: its body and a JSON record naming where it came from and why.
    const files = readdirSync(dead).sort();
    const records = files
      .filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(readFileSync(join(dead, f), "utf8")));
    assert.equal(records.length, bad.length);
    assert.equal(files.length, bad.length * 2);
    for (const [i, m] of bad.entries()) {
      const record = records.find((r) => readFileSync(join(dead, r.bodyFile)).equals(m.body));
      assert.ok(record !== undefined, `dead letter ${i} kept with its body`);
      assert.equal(record.exchange, m.exchange);
      assert.equal(record.routingKey, m.key);
      assert.equal(record.queue, bus.queue);
      assert.equal(record.properties.contentType, m.type);
      assert.ok(record.reasons.length > 0);
    }
    const byKey = (key: string) => records.find((r) => r.routingKey === key);
    assert.match(byKey("feed.ingress.hit.process").reasons[0], /notification cannot be converted/);
    assert.match(byKey("alert.watchlist.hit.query.process").reasons[0], /unknown content type "text\/plain"/);
    assert.equal(consumer.stderr.match(/dead letter: message from/g)?.length, bad.length);
    assert.match(consumer.stderr, new RegExp(`dead letters: ${bad.length} in `));
  });

  it("stops by itself with --idle-exit, taking the credentials from --cb-conf", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const bus = await newBus("idle");
    const dir = tempDir("idle");
    const conf = join(dir, "cb.conf");
    const url = new URL(BROKER_URL);
    writeFileSync(
      conf,
      `# CB server settings\nDatastoreBroadcastEventTypes=*\nRabbitMQUser=${decodeURIComponent(url.username)}\n` +
        `RabbitMQPassword = ${decodeURIComponent(url.password)}\n`,
    );
    const noUser = `amqp://${url.host}${url.pathname}`;
    const args = bus.args.map((a) => (a === BROKER_URL ? noUser : a));
    const consumer = start([
      ...args,
      "--cb-conf",
      conf,
      "--idle-exit",
      "1",
      "--output",
      join(dir, "out.json"),
    ]);
    assert.equal(await consumer.exited, 0, consumer.stderr);
    assert.match(consumer.stderr, new RegExp(`connected to amqp://guest:\\*\\*\\*@${url.host}/`));
    assert.match(consumer.stderr, /empty for \d+\.\d s; stopping/);
    assert.ok(
      !consumer.stderr.includes(`:${decodeURIComponent(url.password)}@`),
      "the password is not logged",
    );
  });

  it("removes the standard bindings an earlier selection left on the durable queue", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const bus = await newBus("rebind");
    const single = start([...bus.args, "--raw-source", "events", "--events", "raw", "--idle-exit", "1"]);
    assert.equal(await single.exited, 0, single.stderr);
    const netconn = raw.find((c) => c.routingKey === "ingress.event.netconn");
    assert.ok(netconn !== undefined);
    bus.publisher.publish(bus.eventsExchange, netconn.routingKey, netconn.body, { mandatory: true });
    assert.equal(await bus.publisher.confirm(), 0, "routed while single events are selected");
    await bus.publisher.channel.purgeQueue(bus.queue);
    const bundles = start([...bus.args, "--idle-exit", "1"]);
    assert.equal(await bundles.exited, 0, bundles.stderr);
    bus.publisher.publish(bus.eventsExchange, netconn.routingKey, netconn.body, { mandatory: true });
    bus.publisher.publish(bus.rawExchange, "", readFileSync(join(BUS_DIR, "4.zip")), { mandatory: true });
    assert.equal(await bus.publisher.confirm(), 1, "single events no longer routed, bundles are");
  });

  it("fails clearly on configuration errors", { timeout: TEST_TIMEOUT }, async () => {
    const bus = await newBus("config");
    const missing = await runCli([
      "bus",
      ...bus.args.map((a) => (a === bus.rawExchange ? `${a}.missing` : a)),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /exchange ".*\.raw\.missing" is not there .*NOT_FOUND/);
    const url = new URL(BROKER_URL);
    url.password = "wrong-password";
    const refused = await runCli(["bus", ...bus.args.map((a) => (a === BROKER_URL ? url.href : a))]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cannot connect to amqp:\/\/.*:\*\*\*@.*ACCESS.REFUSED/);
    assert.doesNotMatch(refused.stderr, /wrong-password/);
    const usage = [
      [["--bind", "#"], /--bind "#" also routes single raw events/],
      [["--events", "bogus"], /--events: unknown name "bogus"/],
      [["--raw-source", "both"], /--raw-source must be one of bundles, events/],
      [["--tls-ca", "/nonexistent"], /--tls-\* options need an amqps:\/\/ --url/],
      [["--prefetch", "0"], /--prefetch must be between 1 and 65535/],
      [["--events", "raw", "--bind", "feed.#"], /--events does not select notifications/],
    ] as const;
    for (const [extra, message] of usage) {
      const result = await runCli(["bus", ...bus.args, ...extra]);
      assert.equal(result.code, 2, `${extra.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
