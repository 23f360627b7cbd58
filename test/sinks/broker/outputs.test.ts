// The broker and store outputs against real servers on loopback: a private JetStream nats-server, the RabbitMQ
// on 127.0.0.1:5672, librdkafka's mock Kafka cluster (through kcat: a protocol-level stand-in, as no Kafka broker
// can be installed here; it speaks the Kafka protocol but is not Kafka, and reports no controller, so the
// idempotent producer, which asks the controller for a producer id, is turned off for it) and s3rver (an
// S3-compatible server from npm, which checks SigV4 signatures). Each test uses names of its own and removes them.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { counts, MockKafka, NatsServer, RabbitQueue, unique } from "../../cluster/support.js";
import { runCli } from "../../helpers/cli.js";
import { expectedLines, generatedArchive, sorted, tempDir, waitFor } from "../support.js";
import { getObject, listObjects } from "./s3-client.js";

describe("broker and store outputs", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it("kafka: every event, keyed by sensor id, with a message id header", async () => {
    const topic = `cbexport-test-${unique()}`;
    const kafka = await MockKafka.start(topic);
    cleanup.push(() => kafka.stop());
    const archive = await generatedArchive(2000);
    const expected = await expectedLines(archive);
    const url = `kafka://${kafka.bootstrap}/${topic}?idempotent=false`;
    const result = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
    assert.equal(result.code, 0, result.stderr);
    await waitFor("every message", () => kafka.messages().length >= expected.length);
    const messages = kafka.messages();
    assert.deepEqual(sorted(messages.map(([, , value]) => value)), sorted(expected));
    for (const [key, headers, value] of messages) {
      assert.equal(key, /"sensor_id":(\d+)/.exec(value)?.[1]);
      assert.match(headers, /^cbexport-id=[A-Za-z0-9_-]{24}$/);
    }
  });

  it("amqp: persistent messages routed by kind, confirmed; unroutable ones fail the output", async () => {
    const queue = await RabbitQueue.create("output");
    cleanup.push(() => queue.delete());
    const archive = await generatedArchive(1000);
    const expected = await expectedLines(archive);
    const base = `amqp://guest:guest@127.0.0.1:5672/?exchange=${queue.exchange}`;
    const url = `${base}&routing_key=ingress.event.{kind}`;
    const result = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
    assert.equal(result.code, 0, result.stderr);
    const messages = await queue.drain();
    assert.deepEqual(sorted(messages.map((m) => m.body)), sorted(expected));
    for (const m of messages) assert.equal(m.routingKey, (JSON.parse(m.body) as { type: string }).type);

    const missing = `amqp://127.0.0.1:5672/?exchange=cbexport-test-none-${unique()}`;
    const refused = await runCli(["export", "--output", missing, archive]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /exchange "cbexport-test-none-\w+" does not exist/);
  });

  it("nats: a second export of the same archive is dropped by JetStream's de-duplication", async () => {
    const nats = await NatsServer.start();
    cleanup.push(() => nats.stop());
    const admin = await nats.admin();
    cleanup.push(() => admin.close());
    const id = unique();
    await admin.addStream(`T${id}`, [`t${id}.>`]);
    const archive = await generatedArchive(1000);
    const expected = await expectedLines(archive);
    const url = `nats://${nats.url}/t${id}.{sensor_id}.{kind}?stream=T${id}`;
    for (let run = 0; run < 2; run++) {
      const result = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
      assert.equal(result.code, 0, result.stderr);
    }
    const bodies = await admin.bodies(`T${id}`);
    assert.deepEqual(counts(bodies), counts(expected));
  });

  it("s3: gzipped objects named by host and time, rolled by size, multipart when large", async () => {
    const { default: S3rver } = await import("s3rver");
    const dir = tempDir("s3");
    const bucket = `cbexport-test-${unique()}`;
    const server = new S3rver({
      port: 0,
      address: "127.0.0.1",
      silent: true,
      directory: dir,
      configureBuckets: [{ name: bucket }],
    });
    const { port } = (await server.run()) as { port: number };
    cleanup.push(() => server.close());
    const archive = await generatedArchive(6000);
    const expected = await expectedLines(archive);
    // s3rver's fixed keys; cbexport (a child process) takes them from the environment.
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    const endpoint = `endpoint=http://127.0.0.1:${port}`;
    // Small objects, and objects stored uncompressed above the 5 MiB part size: both upload paths.
    const small = `s3://${bucket}/cb/?${endpoint}&object_bytes=400000&host=node1`;
    const large = `s3://${bucket}/big?${endpoint}&gzip=false&object_bytes=8000000&part_bytes=5242880&host=node1`;
    for (const url of [small, large]) {
      const result = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
      assert.equal(result.code, 0, result.stderr);
    }
    const keys = await listObjects(port, bucket);
    const smallKeys = keys.filter((k) => k.startsWith("cb/node1/"));
    const largeKeys = keys.filter((k) => k.startsWith("big/node1/"));
    assert.ok(smallKeys.length > 3, `${smallKeys.length} small objects`);
    for (const key of smallKeys)
      assert.match(key, /^cb\/node1\/\d{4}\/\d\d\/\d\d\/node1-\d{8}T\d{9}Z-\d+-\d+\.jsonl\.gz$/);
    const lines = async (list: string[], gz: boolean) =>
      (
        await Promise.all(
          list.map(async (k) => {
            const body = await getObject(port, bucket, k);
            return (gz ? gunzipSync(body) : body)
              .toString("utf8")
              .split("\n")
              .filter((l) => l !== "");
          }),
        )
      ).flat();
    assert.deepEqual(sorted(await lines(smallKeys, true)), sorted(expected));
    assert.deepEqual(sorted(await lines(largeKeys, false)), sorted(expected));
  });
});
