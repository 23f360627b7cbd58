// What broker outputs derive from a line (fields, templates, message ids, packed records), their URLs, and the
// delivery layer's linger that S3 objects are built with.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBrokerDestination } from "../../../src/sinks/broker/broker-url.js";
import { packMessage, unpackMessage } from "../../../src/sinks/broker/message.js";
import { MessageIds } from "../../../src/sinks/broker/message-ids.js";
import { DeliverySink } from "../../../src/sinks/delivery/delivery-sink.js";
import { eventFields } from "../../../src/sinks/event-fields.js";
import { RouteTemplate } from "../../../src/sinks/route-template.js";

const JSON_LINE = Buffer.from(
  '{"cb_server":"x","computer_name":"WIN 7.lab","nested":{"type":"no"},"sensor_id":42,"type":"ingress.event.procstart"}',
);
const LEEF_LINE = Buffer.from(
  "LEEF:1.0|CB|CB|5.1|ingress.event.netconn|cb_server=x\tcomputer_name=HOST1\tsensor_id=7\ttype=ingress.event.netconn",
);

describe("broker routing", () => {
  it("reads type, sensor id and host from JSON and LEEF lines, nothing from others", () => {
    assert.deepEqual(eventFields(JSON_LINE), {
      computerName: "WIN 7.lab",
      sensorId: "42",
      type: "ingress.event.procstart",
    });
    assert.deepEqual(eventFields(LEEF_LINE), {
      type: "ingress.event.netconn",
      computerName: "HOST1",
      sensorId: "7",
    });
    assert.deepEqual(eventFields(Buffer.from("2013-02-08 03:16:43 ;  ; proc ; ...")), {});
  });

  it("renders templates with safe tokens and refuses unknown placeholders", () => {
    const fields = eventFields(JSON_LINE);
    assert.equal(RouteTemplate.parse("ingress.event.{kind}").render(fields), "ingress.event.procstart");
    assert.equal(RouteTemplate.parse("cb.{computer_name}.{sensor_id}").render(fields), "cb.WIN_7_lab.42");
    assert.equal(RouteTemplate.parse("cb.{type}").render({}), "cb.unknown");
    assert.throws(() => RouteTemplate.parse("cb.{host}"), /unknown placeholder \{host\}/);
  });

  it("message ids repeat after a flush for the same lines, and differ for identical lines", () => {
    const ids = new MessageIds("node1");
    const a = [ids.next(JSON_LINE), ids.next(JSON_LINE)];
    assert.notEqual(a[0], a[1]);
    ids.restart();
    assert.deepEqual([ids.next(JSON_LINE), ids.next(JSON_LINE)], a);
    assert.notEqual(new MessageIds("node2").next(JSON_LINE), a[0]);
  });

  it("packs route, key and id with the text", () => {
    const packed = unpackMessage(packMessage("t.é", "42", "id1", JSON_LINE));
    assert.deepEqual(
      { ...packed, body: packed.body.toString() },
      {
        route: "t.é",
        key: "42",
        id: "id1",
        body: JSON_LINE.toString(),
      },
    );
    assert.equal(unpackMessage(packMessage("t", undefined, "i", Buffer.alloc(0))).key, undefined);
  });

  it("parses broker URLs and names them without credentials or query", () => {
    const k = parseBrokerDestination(
      "kafka://u:secret@k1:9093,k2/cb.{kind}?sasl=scram-sha-512&compression=none&tls=true",
    );
    assert.equal(k.name, "kafka://k1:9093,k2/cb.{kind}");
    assert.equal(k.broker?.kind, "kafka");
    if (k.broker?.kind === "kafka") {
      assert.deepEqual(k.broker.brokers, ["k1:9093", "k2:9092"]);
      assert.equal(k.broker.sasl?.password, "secret");
      assert.equal(k.broker.tls, true);
    }
    const a = parseBrokerDestination("amqps://cb:pw@mq/%2Fprod?exchange=cb&routing_key=ingress.event.{kind}");
    assert.equal(a.name, "amqps://mq/%2Fprod");
    if (a.broker?.kind === "amqp") assert.equal(a.broker.vhost, "/prod");
    const s = parseBrokerDestination("s3://bucket/archive?region=eu-west-1&object_seconds=60");
    if (s.broker?.kind === "s3")
      assert.deepEqual([s.broker.prefix, s.broker.objectSeconds], ["archive/", 60]);
    assert.throws(() => parseBrokerDestination("kafka://k1/t?user=u"), /need sasl=/);
    assert.throws(() => parseBrokerDestination("amqp://mq/"), /needs exchange=NAME/);
    assert.throws(() => parseBrokerDestination("nats://n/"), /needs a subject/);
    assert.throws(() => parseBrokerDestination("s3://b/p?bogus=1"), /unknown option "bogus"/);
  });

  it("linger holds a batch back until it is full or someone flushes", async () => {
    const sent: number[] = [];
    const sink = await DeliverySink.open({
      name: "test",
      transport: { send: async (records) => void sent.push(records.length), close: async () => undefined },
      encode: (line) => Buffer.from(line),
      batchBytes: 10,
      retryForMs: 1000,
      lingerMs: 3_600_000,
    });
    await sink.write(Buffer.from("a\nb\n"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sent, [], "held back: 2 of 10 bytes, an hour to go");
    await sink.write(Buffer.from("cccc\ndddd\neeee\n"));
    await new Promise((r) => setImmediate(r));
    await sink.flush();
    assert.deepEqual(sent, [4, 1], "a full batch (10 bytes) went at once, the rest with the flush");
    await sink.close();
  });
});
