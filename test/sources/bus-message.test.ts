import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { SensorEvent } from "../../src/decode/event.js";
import { frameBuffer } from "../../src/decode/framing.js";
import {
  BusHeaderError,
  type BusMessage,
  decodeBusMessage,
  parseBusHeaders,
  parsePropertiesCapture,
  RAW_SENSOR_EXCHANGE,
} from "../../src/sources/bus-message.js";
import { readZip } from "../../src/sources/zip.js";
import { CORPUS, fixture } from "../helpers/fixtures.js";
import { buildZip, ZIP_VECTOR } from "./zip-helpers.js";

const BUS = join(CORPUS, "bus");
const HEADERS = { sensorId: 1, hostId: 0, nodeId: 0, sensorHostName: "HYPERV-WIN7-X86" };
const ARCHIVE_LOG = readFileSync(fixture("corpus", "archive", "2013-02-08_17-12-24-277.log"));
const VECTOR_MEMBER = "EventLog_45f2535d.1--2017-01-19-04-17-11.log";

function rawBundle(body: Buffer, extra: Partial<BusMessage> = {}): BusMessage {
  return { body, routingKey: "", exchange: RAW_SENSOR_EXCHANGE, headers: HEADERS, ...extra };
}

function countKinds(events: SensorEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.kind] = (counts[e.kind] ?? 0) + 1;
  return counts;
}

describe("decodeBusMessage", () => {
  it("decodes the BUS.md §4.3 zip vector to one netconn event with the identity of the headers", () => {
    const result = decodeBusMessage(
      rawBundle(ZIP_VECTOR, { contentType: "application/zip", name: "4.zip", exchange: "api.rawsensordata" }),
    );
    assert.deepEqual(result.damages, []);
    assert.equal(result.decoder, "zip");
    assert.equal(result.events.length, 1);
    const [event] = result.events;
    assert.equal(event.kind, "netconn");
    assert.equal(event.sensorId, 1);
    assert.equal(event.sensorIdSource, "bus-header");
    assert.equal(event.computerName, "HYPERV-WIN7-X86");
    assert.equal(event.file, `4.zip!${VECTOR_MEMBER}`);
    assert.equal(event.offset, 0);
    assert.equal(event.msg.env, undefined);
  });

  it("decodes all 11 captured zip bundles completely, with their captured properties", () => {
    // Per file, as counted independently (Python zipfile + struct) when the fixtures were added.
    const expected = [63, 14, 12, 12, 1, 1, 6, 4, 14, 58, 66];
    const counts: number[] = [];
    for (let n = 0; n <= 10; n++) {
      const body = readFileSync(join(BUS, `${n}.zip`));
      const props = parsePropertiesCapture(readFileSync(join(BUS, `${n}.txt`), "utf8"));
      const zip = readZip(body);
      assert.ok(zip.ok);
      const framed = frameBuffer(zip.members[0].data);
      assert.deepEqual(framed.damages, []);
      const result = decodeBusMessage({
        body,
        routingKey: "",
        exchange: RAW_SENSOR_EXCHANGE,
        contentType: props.contentType,
        headers: props.headers,
        name: `${n}.zip`,
      });
      assert.deepEqual(result.damages, [], `${n}.zip`);
      assert.equal(framed.frames.length, expected[n], `${n}.zip`);
      assert.equal(result.events.length, framed.frames.length, `${n}.zip`);
      assert.ok(result.events.every((e) => e.sensorId === 1 && e.computerName === "HYPERV-WIN7-X86"));
      assert.deepEqual(
        result.events.map((e) => e.offset),
        framed.frames.map((f) => f.offset),
      );
      counts.push(result.events.length);
    }
    assert.deepEqual(
      counts.sort((a, b) => a - b),
      [1, 1, 4, 6, 12, 12, 14, 14, 58, 63, 66],
    );
  });

  it("decodes bundleone.bin as application/protobuf on api.rawsensordata (not a zip → plain bundle)", () => {
    const body = readFileSync(join(BUS, "bundleone.bin"));
    const result = decodeBusMessage(
      rawBundle(body, { contentType: "application/protobuf", name: "bundleone" }),
    );
    assert.deepEqual(result.damages, []);
    assert.equal(result.decoder, "bundle");
    assert.equal(result.events.length, 716);
    const kinds = countKinds(result.events);
    const sum = (...keys: string[]) => keys.reduce((n, k) => n + (kinds[k] ?? 0), 0);
    assert.equal(sum("modload"), 310);
    assert.equal(sum("filemod"), 220);
    assert.equal(sum("regmod"), 99);
    assert.equal(sum("crossprocopen", "remotethread"), 41);
    assert.equal(sum("childproc"), 25);
    assert.equal(sum("netconn", "netconnv2"), 12);
    assert.equal(sum("procstart", "procend"), 9);
    assert.ok(result.events.every((e) => e.sensorId === 1 && e.sensorIdSource === "bus-header"));
  });

  it("decodes a single raw event on api.events with its env identity", () => {
    const body = readFileSync(join(CORPUS, "raw", "protobuf", "ingress.event.netconn", "1.protobuf"));
    const result = decodeBusMessage({
      body,
      routingKey: "ingress.event.netconn",
      exchange: "api.events",
      contentType: "application/protobuf",
      name: "ingress.event.netconn/1",
    });
    assert.deepEqual(result.damages, []);
    assert.equal(result.decoder, "event");
    assert.equal(result.events.length, 1);
    const [event] = result.events;
    assert.ok(event.kind === "netconn" || event.kind === "netconnv2");
    assert.equal(event.sensorId, 7);
    assert.equal(event.sensorIdSource, "env");
    assert.equal(event.computerName, event.msg.env?.endpoint?.SensorHostName);
    assert.equal(event.file, "ingress.event.netconn/1");
  });

  it("prefers env over headers for a single event, and ignores bad headers when env is there", () => {
    const body = readFileSync(join(CORPUS, "raw", "protobuf", "ingress.event.netconn", "1.protobuf"));
    const message = { body, routingKey: "k", exchange: "api.events", contentType: "application/protobuf" };
    const withHeaders = decodeBusMessage({ ...message, headers: { sensorId: 99, sensorHostName: "other" } });
    assert.equal(withHeaders.events[0].sensorId, 7);
    const badHeaders = decodeBusMessage({ ...message, headers: { sensorId: 1.5 } });
    assert.deepEqual(badHeaders.damages, []);
    assert.equal(badHeaders.events[0].sensorId, 7);
  });

  it("gives a bare event without env the header identity, or bad-message if the headers are unusable", () => {
    const record = ARCHIVE_LOG.subarray(4, 4 + ARCHIVE_LOG.readUInt32LE(0));
    const message = {
      body: record,
      routingKey: "k",
      exchange: "api.events",
      contentType: "application/protobuf",
    };
    const good = decodeBusMessage({ ...message, headers: { sensorId: "42" } });
    assert.equal(good.events[0].sensorId, 42);
    assert.equal(good.events[0].sensorIdSource, "bus-header");
    const bad = decodeBusMessage({ ...message, headers: { sensorId: true }, name: "m1" });
    assert.equal(bad.events.length, 0);
    assert.equal(bad.damages.length, 1);
    assert.equal(bad.damages[0].kind, "bad-message");
    assert.equal(bad.damages[0].file, "m1");
  });

  it("reports an undecodable single event as damage", () => {
    const result = decodeBusMessage({
      body: Buffer.from([0xff, 0xff, 0xff]),
      routingKey: "ingress.event.process",
      exchange: "api.events",
      contentType: "application/protobuf",
      name: "m2",
    });
    assert.equal(result.events.length, 0);
    assert.equal(result.damages.length, 1);
    assert.equal(result.damages[0].kind, "garbage");
    assert.equal(result.damages[0].file, "m2");
  });

  it("keeps the good member's events when another member of the zip is corrupt", () => {
    const body = buildZip([
      { name: "good.log", data: ARCHIVE_LOG },
      { name: "bad.log", data: ARCHIVE_LOG, corruptAt: 10 },
    ]);
    const result = decodeBusMessage(rawBundle(body, { contentType: "application/zip", name: "two.zip" }));
    assert.equal(result.events.length, 20);
    assert.ok(result.events.every((e) => e.file === "two.zip!good.log"));
    assert.equal(result.damages.length, 1);
    assert.equal(result.damages[0].kind, "bad-message");
    assert.equal(result.damages[0].file, "two.zip!bad.log");
    assert.match(result.damages[0].message, /zip member cannot be read/);
  });

  it("reports damage inside a zip member with offsets within that member", () => {
    const body = buildZip([{ name: "cut.log", data: ARCHIVE_LOG.subarray(0, 3000) }]);
    const result = decodeBusMessage(rawBundle(body, { contentType: "application/zip", name: "cut.zip" }));
    assert.equal(result.events.length, 17);
    assert.equal(result.damages.length, 1);
    assert.equal(result.damages[0].kind, "truncated-record");
    assert.equal(result.damages[0].file, "cut.zip!cut.log");
    assert.equal(result.damages[0].offset, 2942);
  });

  it("falls back to the plain-bundle reader for a non-zip body labelled zip", () => {
    const result = decodeBusMessage(rawBundle(ARCHIVE_LOG, { contentType: "application/zip", name: "old" }));
    assert.equal(result.decoder, "bundle");
    assert.deepEqual(result.damages, []);
    assert.equal(result.events.length, 20);
    assert.ok(result.events.every((e) => e.sensorId === 1 && e.file === "old"));
    assert.equal(result.events[5].offset, 898);
  });

  it("reports a damaged ZIP (it starts like one) instead of framing it as a bundle", () => {
    const result = decodeBusMessage(
      rawBundle(ZIP_VECTOR.subarray(0, 200), { contentType: "application/zip" }),
    );
    assert.equal(result.events.length, 0);
    assert.equal(result.damages.length, 1);
    assert.equal(result.damages[0].kind, "bad-message");
    assert.match(result.damages[0].message, /damaged ZIP/);
  });

  it("reports an unknown content type as one bad-message", () => {
    const result = decodeBusMessage(rawBundle(ARCHIVE_LOG, { contentType: "text/plain", name: "m3" }));
    assert.equal(result.decoder, "none");
    assert.equal(result.events.length, 0);
    assert.equal(result.damages.length, 1);
    assert.equal(result.damages[0].kind, "bad-message");
    assert.equal(result.damages[0].file, "m3");
    assert.match(result.damages[0].message, /unknown content type "text\/plain"/);
  });

  it("hands JSON notifications back untouched", () => {
    const body = Buffer.from('{"type":"watchlist.hit.process","docs":[]}');
    const result = decodeBusMessage({
      body,
      routingKey: "watchlist.hit.process",
      exchange: "api.events",
      contentType: "application/json",
    });
    assert.equal(result.decoder, "json");
    assert.deepEqual(result.events, []);
    assert.deepEqual(result.damages, []);
    assert.equal(result.notification?.body, body);
    assert.equal(result.notification?.routingKey, "watchlist.hit.process");
  });

  it("accepts content types case-insensitively and with parameters", () => {
    const result = decodeBusMessage(rawBundle(ZIP_VECTOR, { contentType: "Application/ZIP; x=y" }));
    assert.equal(result.decoder, "zip");
    assert.equal(result.events.length, 1);
  });

  it("drops a bundle whose headers are unusable, with one bad-message", () => {
    const result = decodeBusMessage(
      rawBundle(ZIP_VECTOR, { contentType: "application/zip", headers: { sensorId: 1.5 }, name: "m4" }),
    );
    assert.equal(result.events.length, 0);
    assert.equal(result.damages.length, 1);
    assert.equal(result.damages[0].kind, "bad-message");
    assert.match(result.damages[0].message, /header sensorId/);
  });

  it("reports an empty bundle body", () => {
    const result = decodeBusMessage(rawBundle(Buffer.alloc(0), { contentType: "application/protobuf" }));
    assert.equal(result.events.length, 0);
    assert.equal(result.damages[0].kind, "bad-message");
  });

  it("leaves the identity unknown when the headers are missing", () => {
    const result = decodeBusMessage(
      rawBundle(ARCHIVE_LOG, { contentType: "application/protobuf", headers: {} }),
    );
    assert.equal(result.events.length, 20);
    assert.ok(
      result.events.every((e) => e.sensorId === 0 && e.sensorIdSource === "unknown" && e.computerName === ""),
    );
  });

  describe("without a content type", () => {
    const guess = (body: Buffer): ReturnType<typeof decodeBusMessage> =>
      decodeBusMessage({ body, routingKey: "", headers: HEADERS, name: "file" });

    it("takes a body starting with { as JSON", () => {
      assert.equal(guess(Buffer.from(' \n\t{"a":1}')).decoder, "json");
      assert.equal(guess(Buffer.from("\ufeff{ }")).decoder, "json");
    });

    it("does not mistake a record starting 0a 7b (newline, brace) for JSON", () => {
      const body = readFileSync(join(CORPUS, "raw", "protobuf", "ingress.event.filemod", "163.protobuf"));
      assert.equal(body.subarray(0, 2).toString("hex"), "0a7b");
      const result = guess(body);
      assert.equal(result.decoder, "event");
      assert.equal(result.events.length, 1);
    });

    it("takes a body starting with PK\\x03\\x04 as a zip", () => {
      const result = guess(ZIP_VECTOR);
      assert.equal(result.decoder, "zip");
      assert.equal(result.events.length, 1);
    });

    it("takes a decodable single message as a bare event", () => {
      const body = readFileSync(join(CORPUS, "raw", "protobuf", "ingress.event.netconn", "1.protobuf"));
      const result = guess(body);
      assert.equal(result.decoder, "event");
      assert.equal(result.events.length, 1);
      assert.equal(result.events[0].sensorId, 7);
    });

    it("takes everything else as a plain bundle", () => {
      const bundle = guess(readFileSync(join(BUS, "bundleone.bin")));
      assert.equal(bundle.decoder, "bundle");
      assert.equal(bundle.events.length, 716);
      const garbage = guess(Buffer.from("garbage, not protobuf"));
      assert.equal(garbage.decoder, "bundle");
      assert.equal(garbage.events.length, 0);
      assert.ok(garbage.damages.length > 0);
    });

    it("treats an application/protobuf body with no exchange by its bytes", () => {
      const bundle = decodeBusMessage({
        body: ARCHIVE_LOG,
        routingKey: "",
        contentType: "application/protobuf",
      });
      assert.equal(bundle.decoder, "bundle");
      assert.equal(bundle.events.length, 20);
    });
  });

  it("decodes every captured single raw event as one event with env", () => {
    const dir = join(CORPUS, "raw", "protobuf", "ingress.event.netconn");
    for (let n = 0; n < 104; n++) {
      const result = decodeBusMessage({
        body: readFileSync(join(dir, `${n}.protobuf`)),
        routingKey: "ingress.event.netconn",
        exchange: "api.events",
        contentType: "application/protobuf",
      });
      assert.deepEqual(result.damages, [], `${n}`);
      assert.equal(result.events.length, 1);
      assert.equal(result.events[0].sensorIdSource, "env");
    }
  });
});

describe("parseBusHeaders", () => {
  it("reads the four headers", () => {
    const identity = parseBusHeaders({
      sensorId: 1,
      hostId: 0,
      nodeId: 0,
      sensorHostName: "HYPERV-WIN7-X86",
    });
    assert.deepEqual(identity, {
      sensorIdSource: "bus-header",
      sensorId: 1,
      hostId: 0n,
      nodeId: 0,
      computerName: "HYPERV-WIN7-X86",
    });
  });

  it("accepts integers as decimal strings and bigints", () => {
    assert.equal(parseBusHeaders({ sensorId: "12" }).sensorId, 12);
    assert.equal(parseBusHeaders({ sensorId: "+12" }).sensorId, 12);
    assert.equal(parseBusHeaders({ sensorId: 12n }).sensorId, 12);
    assert.equal(parseBusHeaders({ hostId: "9223372036854775807" }).hostId, 9223372036854775807n);
    assert.equal(parseBusHeaders({ hostId: -5n }).hostId, -5n);
  });

  it("wraps sensorId and nodeId to int32 like the forwarder", () => {
    assert.equal(parseBusHeaders({ sensorId: 2 ** 32 + 3 }).sensorId, 3);
    assert.equal(parseBusHeaders({ nodeId: "2147483648" }).nodeId, -2147483648);
  });

  it("leaves missing headers unset", () => {
    assert.deepEqual(parseBusHeaders({}), { sensorIdSource: "bus-header" });
    assert.deepEqual(parseBusHeaders(), { sensorIdSource: "bus-header" });
  });

  it("rejects other types", () => {
    const bad: Record<string, unknown>[] = [
      { sensorId: 1.5 },
      { sensorId: "12a" },
      { sensorId: " 12" },
      { sensorId: "" },
      { sensorId: true },
      { sensorId: null },
      { sensorId: Buffer.from("12") },
      { sensorId: 2n ** 63n },
      { hostId: "9223372036854775808" },
      { nodeId: {} },
      { sensorHostName: 5 },
      { sensorHostName: Buffer.from("host") },
    ];
    for (const headers of bad) {
      assert.throws(() => parseBusHeaders(headers), BusHeaderError, JSON.stringify(Object.keys(headers)));
    }
  });
});

describe("parsePropertiesCapture", () => {
  it("parses the corpus capture", () => {
    const capture = parsePropertiesCapture(readFileSync(join(BUS, "0.txt"), "utf8"));
    assert.equal(capture.contentType, "application/zip");
    assert.deepEqual(capture.headers, HEADERS);
    assert.equal(capture.properties.delivery_mode, "1");
    assert.equal(capture.properties.priority, "0");
  });

  it("handles Python string escapes, quotes, None, booleans, floats and big longs", () => {
    const text =
      `<BasicProperties(['content_type=application/protobuf', ` +
      `"headers={'a': u'it\\\\'s \\\\xe9\\\\u20ac', 'b': None, 'c': True, 'd': -1.5, ` +
      `'e': 12345678901234567890L, 'f': [1, 2], \\"g\\": 'x\\"y'}"])>`;
    const capture = parsePropertiesCapture(text);
    assert.equal(capture.contentType, "application/protobuf");
    assert.deepEqual(capture.headers, {
      a: "it's é€",
      b: null,
      c: true,
      d: -1.5,
      e: 12345678901234567890n,
      f: [1, 2],
      g: 'x"y',
    });
  });

  it("returns empty headers when there are none", () => {
    const capture = parsePropertiesCapture("<BasicProperties(['content_type=application/json'])>");
    assert.deepEqual(capture, {
      contentType: "application/json",
      headers: {},
      properties: { content_type: "application/json" },
    });
  });

  it("rejects text that is not a capture", () => {
    assert.throws(() => parsePropertiesCapture("content_type=application/zip"));
    assert.throws(() => parsePropertiesCapture("<BasicProperties(['headers={'])>"));
  });
});
