import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EventFormatter, type FormatterOptions } from "../../../src/formats/formatter.js";
import { LineWriter } from "../../../src/pipeline/line-writer.js";
import { RecordRunFormatter } from "../../../src/pipeline/record-batch-formatter.js";
import { RunSummary } from "../../../src/pipeline/summary.js";
import type { Sink } from "../../../src/sinks/sink.js";
import { BatchWriter } from "../../../src/sources/bus/batch.js";
import { type DeadLetter, DeadLetterBox } from "../../../src/sources/bus/dead-letter.js";
import { type Delivery, MessageExporter } from "../../../src/sources/bus/message-export.js";
import { planSelection, type SelectionInput } from "../../../src/sources/bus/selection.js";
import { rawPath } from "../../helpers/corpus.js";
import { CORPUS, expectedLines } from "../../helpers/fixtures.js";

class MemorySink implements Sink {
  readonly name = "memory";
  data = "";
  flushes = 0;
  async write(data: Buffer): Promise<void> {
    this.data += data.toString("utf8");
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
  async close(): Promise<void> {}
  lines(): string[] {
    return this.data === "" ? [] : this.data.replace(/\n$/, "").split("\n");
  }
}

/** Records dead letters instead of writing files. */
class MemoryBox extends DeadLetterBox {
  readonly letters: DeadLetter[] = [];
  flushed = 0;
  constructor() {
    super("/nonexistent");
  }
  override async add(letter: DeadLetter): Promise<string> {
    this.letters.push(letter);
    return `letter-${this.letters.length}.json`;
  }
  override async flush(): Promise<void> {
    this.flushed++;
  }
}

/** `direct`: bundles' records go straight to the direct writer (the default of `cbexport bus` for one format). */
function setup(selection: SelectionInput = {}, direct = false, format: "json" | "leef" = "json") {
  const sink = new MemorySink();
  const writer = new LineWriter([sink], { restoreInvalidBytes: format === "leef" });
  const summary = new RunSummary(() => {});
  const plan = planSelection(selection);
  const options: FormatterOptions = {
    format,
    profile: "forwarder",
    serverName: "cbserver",
    timeFloat: false,
    rawEvents: plan.rawEventNames === undefined ? undefined : new Set(plan.rawEventNames.split(",")),
  };
  const formatter = new EventFormatter(options);
  const records = direct ? new RecordRunFormatter(options) : undefined;
  const exporter = new MessageExporter(formatter, writer, summary, { selection: plan, records });
  const box = new MemoryBox();
  const logs: string[] = [];
  const batches = new BatchWriter(exporter, writer, box, "q", (l) => logs.push(l));
  return { sink, writer, summary, exporter, box, logs, batches };
}

const NETCONN = expectedLines("forwarder-3.7.json").find((l) => l.key.startsWith("ingress.event.netconn/"));
const FEED = expectedLines("forwarder.jsonbus").find((l) => l.key.startsWith("feed.24.ingress.hit.process/"));

function single(key: string, body: Buffer, contentType = "application/protobuf"): Delivery {
  return { body, exchange: "api.events", routingKey: key.slice(0, key.lastIndexOf("/")), contentType };
}

describe("bus messages to lines", () => {
  it("writes single events and notifications as the forwarder does", async () => {
    assert.ok(NETCONN !== undefined && FEED !== undefined);
    const { sink, writer, exporter } = setup({ rawSource: "events" });
    const a = await exporter.export(single(NETCONN.key, readFileSync(rawPath("protobuf", NETCONN.key))));
    const b = await exporter.export(
      single(FEED.key, readFileSync(rawPath("json", FEED.key)), "application/json"),
    );
    assert.deepEqual(a, { events: 1, lines: 1, problems: [] });
    assert.deepEqual(b.problems, []);
    await writer.flush();
    assert.deepEqual(sink.lines(), [NETCONN.output, ...FEED.output.split("\n")]);
  });

  it("bundles straight to the direct writer: the lines, counts and problems of decoding every record", async () => {
    const bundle = readFileSync(join(CORPUS, "bus", "bundleone.bin"));
    const first = 4 + bundle.readUInt32LE(0);
    // A zero-length record and one that frames but does not decode after the first record; the last cut short.
    const damaged = Buffer.concat([
      bundle.subarray(0, first),
      Buffer.alloc(4),
      Buffer.from([5, 0, 0, 0, 0x0f, 0xff, 0xff, 0xff, 0xff]),
      bundle.subarray(first, bundle.length - 3),
    ]);
    const zipped = readFileSync(join(CORPUS, "bus", "3.zip"));
    for (const format of ["json", "leef"] as const) {
      const results = [false, true].map(async (direct) => {
        const run = setup({}, direct, format);
        const outcomes = [];
        for (const [body, contentType] of [
          [bundle, "application/protobuf"],
          [damaged, "application/protobuf"],
          [zipped, "application/zip"],
        ] as const) {
          const delivery = { body, exchange: "api.rawsensordata", routingKey: "", contentType };
          outcomes.push(
            await run.exporter.export({ ...delivery, headers: { sensorId: 5, sensorHostName: "H" } }),
          );
        }
        await run.writer.flush();
        return { outcomes, data: run.sink.data, records: run.summary.records, damaged: run.summary.damaged };
      });
      const [decoding, direct] = await Promise.all(results);
      assert.ok(decoding.outcomes[0].events > 700);
      assert.equal(direct.data, decoding.data, format);
      assert.equal(direct.records, decoding.records);
      assert.equal(direct.damaged, 3);
      assert.deepEqual(
        direct.outcomes.map((o) => [o.events, o.lines, [...o.problems].sort()]),
        decoding.outcomes.map((o) => [o.events, o.lines, [...o.problems].sort()]),
      );
    }
  });

  it("treats a bundle on a renamed raw exchange as a bundle, with identity from the headers", async () => {
    const { sink, writer, exporter } = setup({ rawExchange: "relay.raw" });
    const outcome = await exporter.export({
      body: readFileSync(join(CORPUS, "bus", "bundleone.bin")),
      exchange: "relay.raw",
      routingKey: "",
      contentType: "application/protobuf",
      headers: { sensorId: 5, sensorHostName: "H" },
    });
    assert.deepEqual(outcome.problems, []);
    assert.ok(outcome.events > 700);
    await writer.flush();
    assert.ok(sink.lines().every((l) => l.includes('"sensor_id":5,')));
  });

  it("skips what the selection leaves out without calling it a problem", async () => {
    assert.ok(NETCONN !== undefined && FEED !== undefined);
    const onlyNotes = setup({ events: "notifications" });
    const raw = await onlyNotes.exporter.export(
      single(NETCONN.key, readFileSync(rawPath("protobuf", NETCONN.key))),
    );
    assert.deepEqual(raw, { events: 0, lines: 0, problems: [] });
    assert.equal(onlyNotes.summary.skipped.get("netconn"), 1);
    const onlyRaw = setup({ events: "raw" });
    const note = await onlyRaw.exporter.export(
      single(FEED.key, readFileSync(rawPath("json", FEED.key)), "application/json"),
    );
    assert.deepEqual(note, { events: 0, lines: 0, problems: [] });
    const onlyFilemod = setup({ events: "ingress.event.filemod", rawSource: "events" });
    const other = await onlyFilemod.exporter.export(
      single(NETCONN.key, readFileSync(rawPath("protobuf", NETCONN.key))),
    );
    assert.deepEqual(other.problems, []);
    assert.equal(other.lines, 0);
  });

  it("dead-letters damaged messages, keeps their good events, and flushes before returning", async () => {
    const { sink, box, logs, batches } = setup();
    const bundle = readFileSync(join(CORPUS, "bus", "bundleone.bin"));
    await batches.write([
      {
        body: Buffer.from("garbage"),
        exchange: "api.events",
        routingKey: "feed.x",
        contentType: "application/protobuf",
        redelivered: false,
        properties: {},
      },
      {
        body: Buffer.from("{"),
        exchange: "api.events",
        routingKey: "watchlist.hit.process",
        contentType: "application/json",
        redelivered: true,
        properties: {},
      },
      {
        body: bundle.subarray(0, 500),
        exchange: "api.rawsensordata",
        routingKey: "",
        contentType: "application/protobuf",
        headers: { sensorId: 1 },
        redelivered: false,
        properties: {},
      },
      {
        body: bundle,
        exchange: "api.rawsensordata",
        routingKey: "",
        contentType: "application/protobuf",
        headers: { sensorId: {} },
        redelivered: false,
        properties: {},
      },
    ]);
    assert.equal(box.letters.length, 4);
    assert.equal(box.flushed, 1);
    assert.equal(sink.flushes, 1);
    assert.deepEqual(batches.stats, { messages: 4, redelivered: 1, deadLettered: 4 });
    const truncated = box.letters[2];
    assert.ok(truncated.exportedEvents > 0);
    assert.equal(sink.lines().length, truncated.exportedEvents);
    assert.match(truncated.reasons[0], /truncated-record/);
    assert.match(box.letters[1].reasons[0], /notification cannot be converted/);
    assert.match(box.letters[3].reasons[0], /headers are unusable/);
    assert.equal(logs.length, 4);
    assert.match(
      logs[0],
      /dead letter: message from api\.events with routing key "feed\.x" \(7 bytes, 0 event\(s\) still exported\) saved as letter-1\.json: garbage/,
    );
  });
});
