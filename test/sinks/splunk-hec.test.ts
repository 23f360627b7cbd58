// Splunk HEC output. Splunk itself cannot run here: the HTTP server below is a protocol-level stand-in for the
// HEC event and ack endpoints (Authorization: Splunk <token>, envelopes, gzip, channels and ackIds as Splunk's
// documentation describes them), not Splunk.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hecEncoder, topLevelNumber } from "../../src/sinks/splunk-hec.js";
import { runCli } from "../helpers/cli.js";
import {
  expectedLines,
  generatedArchive,
  HttpReceiver,
  type ReceivedRequest,
  sorted,
  tempDir,
} from "./support.js";

describe("topLevelNumber", () => {
  it("finds a top-level number by scanning, ignoring nested objects, arrays and string values", () => {
    const doc = (text: string) => Buffer.from(text);
    assert.equal(topLevelNumber(doc('{"a":1,"timestamp":1360293403,"z":2}'), "timestamp"), "1360293403");
    assert.equal(
      topLevelNumber(doc('{"timestamp" : 1447697423.6713495}'), "timestamp"),
      "1447697423.6713495",
    );
    assert.equal(
      topLevelNumber(doc('{"docs":[{"timestamp":1}],"n":{"timestamp":2},"timestamp":3}'), "timestamp"),
      "3",
    );
    assert.equal(topLevelNumber(doc('{"k":"timestamp","s":"a\\"timestamp\\":9"}'), "timestamp"), undefined);
    assert.equal(topLevelNumber(doc('{"timestamp":"2024-01-01"}'), "timestamp"), undefined);
    assert.equal(topLevelNumber(doc('{"docs":[{"timestamp":1}]}'), "timestamp"), undefined);
  });
});

describe("hecEncoder", () => {
  it("embeds the JSON text as it is, with time from the document and the configured fields", () => {
    const encode = hecEncoder(
      {
        token: "t",
        sourcetype: "bit9:carbonblack:json",
        index: "edr",
        host: "cb1",
        source: "cbexport",
        ack: false,
      },
      true,
    );
    const text = '{"parent_guid":-8915740139778150230,"timestamp":1360293403,"type":"x"}';
    assert.equal(
      encode(Buffer.from(text)).toString(),
      `{"time":1360293403,"host":"cb1","source":"cbexport","sourcetype":"bit9:carbonblack:json","index":"edr","event":${text}}\n`,
    );
  });

  it("embeds other formats as a JSON string, without time", () => {
    const encode = hecEncoder({ token: "t", sourcetype: "cb:leef", ack: false }, false);
    assert.equal(
      encode(Buffer.from('LEEF:1.0|CB|CB|5.1|x|a="b"\tc=1')).toString(),
      '{"sourcetype":"cb:leef","event":"LEEF:1.0|CB|CB|5.1|x|a=\\"b\\"\\tc=1"}\n',
    );
  });
});

/** A stand-in for HEC with acknowledgements: ackIds per accepted batch, each acknowledged on its second poll. */
function hecStandIn() {
  let nextAck = 0;
  const polls = new Map<number, number>();
  const issued: number[] = [];
  const acked = new Set<number>();
  const ackRequests: ReceivedRequest[] = [];
  return {
    issued,
    acked,
    ackRequests,
    answer: () => {
      const ackId = nextAck++;
      issued.push(ackId);
      return { text: "Success", code: 0, ackId };
    },
    handle: (request: ReceivedRequest, res: import("node:http").ServerResponse) => {
      if (!request.path.startsWith("/services/collector/ack")) return false;
      ackRequests.push(request);
      const { acks } = JSON.parse(request.body.toString("utf8")) as { acks: number[] };
      const result: Record<string, boolean> = {};
      for (const id of acks) {
        const n = (polls.get(id) ?? 0) + 1;
        polls.set(id, n);
        result[id] = n >= 2;
        if (n >= 2) acked.add(id);
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ acks: result }));
      return true;
    },
  };
}

describe("splunk+http output against a HEC stand-in", () => {
  let archive: string;
  let expected: string[];
  const receivers: HttpReceiver[] = [];

  before(async () => {
    archive = await generatedArchive(1500);
    expected = await expectedLines(archive);
  });
  after(async () => {
    for (const r of receivers) await r.stop();
  });

  it("sends envelopes with the token, gzip and channel, and finishes only once every batch is acknowledged", async () => {
    const hec = hecStandIn();
    const receiver = await HttpReceiver.start(
      (n) => (n === 2 ? { kind: "status", status: 503 } : { kind: "ok" }),
      { handle: hec.handle, answer: hec.answer },
    );
    receivers.push(receiver);
    const tokenFile = join(tempDir("hec"), "token");
    writeFileSync(tokenFile, "0000-TEST-TOKEN\n");
    const url =
      `splunk+http://127.0.0.1:${receiver.port}/services/collector/event?token_file=${encodeURIComponent(tokenFile)}` +
      "&index=edr&ack=true&ack_interval=0.05&gzip=true&batch_bytes=100000";
    const result = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /TEST-TOKEN/);

    // Every batch HEC accepted was acknowledged before cbexport finished.
    assert.ok(hec.issued.length > 3);
    assert.deepEqual(
      [...hec.acked].sort((a, b) => a - b),
      hec.issued,
    );
    const channel = receiver.accepted[0]?.headers["x-splunk-request-channel"];
    assert.match(String(channel), /^[0-9a-f-]{36}$/);
    for (const request of [...receiver.accepted, ...hec.ackRequests]) {
      assert.equal(request.headers.authorization, "Splunk 0000-TEST-TOKEN");
      assert.equal(request.headers["x-splunk-request-channel"], channel);
    }
    for (const request of receiver.accepted) {
      assert.equal(request.path, "/services/collector/event");
      assert.equal(request.headers["content-encoding"], "gzip");
    }

    // Each envelope's event is exactly the line the file output writes; time is its timestamp.
    const events: string[] = [];
    for (const envelope of receiver.lines()) {
      const parsed = JSON.parse(envelope) as Record<string, unknown>;
      assert.deepEqual(Object.keys(parsed), ["time", "sourcetype", "index", "event"]);
      assert.equal(parsed.sourcetype, "bit9:carbonblack:json");
      assert.equal(parsed.index, "edr");
      const text = envelope.slice(envelope.indexOf(',"event":') + ',"event":'.length, -1);
      assert.equal(parsed.time, (JSON.parse(text) as { timestamp: number }).timestamp);
      events.push(text);
    }
    assert.deepEqual(sorted(events), sorted(expected));
  });

  it("fails with HEC's reason when the token is refused, naming the output but not the token", async () => {
    const receiver = await HttpReceiver.start(() => ({ kind: "status", status: 403 }));
    receivers.push(receiver);
    const url = `splunk+http://127.0.0.1:${receiver.port}?token=SECRET-TOKEN&sourcetype=cb`;
    const result = await runCli(["export", "--output", url, archive]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /output splunk\+http:\/\/127\.0\.0\.1:\d+: HTTP 403/);
    assert.doesNotMatch(result.stderr, /SECRET-TOKEN/);
    assert.equal(receiver.accepted.length, 0);
  });
});
