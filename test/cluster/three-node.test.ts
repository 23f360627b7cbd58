// Three nodes of a CB cluster, each with its own archive and its own `cbexport follow`, publish into one stream.
// Mid-stream one publisher is killed (SIGKILL) and started again, and the broker goes away and comes back. The
// consumer side must see every event at least once; on JetStream exactly once (Nats-Msg-Id de-duplication); on
// RabbitMQ the duplicates are counted and bounded by what the killed node had exported after its last
// checkpoint plus one delivery batch per cut connection. No step waits for a time: each waits for a condition.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { after, describe, it } from "node:test";
import { type FollowProcess, startFollow } from "../helpers/follow.js";
import { expectedLines, stopProcess, tempDir, waitUntil } from "../sinks/support.js";
import { closeConnections } from "../sources/bus/amqp-helpers.js";
import { counts, NatsServer, RabbitQueue, StagedArchive, unique } from "./support.js";

const EVENTS = 20_000;
const NODES = [1, 2, 3];

interface Node {
  n: number;
  archive: StagedArchive;
  state: string;
  expected: string[];
  process?: FollowProcess;
}

async function makeNodes(): Promise<Node[]> {
  return Promise.all(
    NODES.map(async (n) => {
      const archive = await StagedArchive.generate(n, EVENTS);
      const expected = await expectedLines(archive.staged, ["--server-name", `node${n}`]);
      return { n, archive, state: tempDir(`state${n}`), expected };
    }),
  );
}

function follow(node: Node, output: string): FollowProcess {
  const args = [node.archive.live, "--state", node.state, "--settle", "0", "--rescan", "0.1"];
  return startFollow([...args, "--server-name", `node${node.n}`, "--output", output]);
}

async function stopAll(nodes: readonly Node[]): Promise<void> {
  for (const node of nodes) {
    if (node.process === undefined) continue;
    node.process.child.kill("SIGTERM");
    const code = await node.process.exited;
    assert.equal(code, 0, `node ${node.n}: ${node.process.stderr()}`);
  }
}

describe("three-node cluster publishing into one stream", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it("NATS JetStream: every event exactly once through a SIGKILL and a broker restart", async () => {
    const nats = await NatsServer.start();
    cleanup.push(() => nats.stop());
    const admin = await nats.admin();
    cleanup.push(() => admin.close());
    const id = unique();
    const stream = `CBEXPORT_TEST_${id}`;
    await admin.addStream(stream, [`cbx.${id}.>`]);
    const nodes = await makeNodes();
    const url = (n: number) => `nats://${nats.url}/cbx.${id}.node${n}.{kind}?stream=${stream}&timeout=5`;
    const start = (node: Node) => {
      node.process = follow(node, `${url(node.n)}&retry_for=forever`);
      cleanup.push(() => stopProcess(node.process?.child));
    };
    for (const node of nodes) node.archive.copy(Math.ceil(node.archive.total / 2));
    for (const node of nodes) start(node);

    const [, second] = nodes as [Node, Node, Node];
    await waitUntil(
      "node 2 to publish",
      async () => (await admin.subjectCount(stream, `cbx.${id}.node2.>`)) > 0,
    );
    second.process?.child.kill("SIGKILL");
    await second.process?.exited;
    start(second);

    // The broker goes away while the rest of the archives arrive, and comes back as it was.
    await nats.stop();
    for (const node of nodes) node.archive.copy();
    await nats.start();

    const total = nodes.reduce((sum, node) => sum + node.expected.length, 0);
    // The admin connection reconnects after the restart too: a request that fails meanwhile is asked again.
    const stored = () => admin.count(stream).catch(() => 0);
    await waitUntil("every event in the stream", async () => (await stored()) >= total, 300_000);
    await stopAll(nodes);
    const bodies = await admin.bodies(stream);
    // Some generated events are byte-identical to another of their node (the same write twice in a second):
    // each must arrive as often as it was exported, neither merged with its twin nor repeated.
    const expected = counts(nodes.flatMap((node) => node.expected));
    const seen = counts(bodies);
    const duplicates = bodies.length - total;
    process.stdout.write(`# nats: ${total} events, ${bodies.length} messages, ${duplicates} duplicate(s)\n`);
    for (const [line, n] of expected) assert.equal(seen.get(line), n, line.slice(0, 120));
    assert.equal(bodies.length, total);
    await admin.jsm.streams.delete(stream);
  });

  it("RabbitMQ: every event at least once through a SIGKILL and cut connections, duplicates counted", async () => {
    const queue = await RabbitQueue.create("cluster");
    cleanup.push(() => queue.delete());
    const nodes = await makeNodes();
    const url = `amqp://127.0.0.1:5672/?exchange=${queue.exchange}&routing_key=ingress.event.{kind}&timeout=5`;
    const start = (node: Node) => {
      node.process = follow(node, `${url}&retry_for=forever`);
      cleanup.push(() => stopProcess(node.process?.child));
    };
    for (const node of nodes) node.archive.copy(Math.ceil(node.archive.total / 2));
    for (const node of nodes) start(node);

    const [, second] = nodes as [Node, Node, Node];
    const received: string[] = [];
    const collect = async () => {
      for (const m of await queue.drain()) received.push(m.body);
      return received;
    };
    await waitUntil("node 2 to publish", async () =>
      (await collect()).some((line) => line.includes('"cb_server":"node2"')),
    );
    second.process?.child.kill("SIGKILL");
    await second.process?.exited;
    start(second);

    // The broker drops every publisher's connection (as a restart does) while the rest of the archives arrive.
    for (const node of nodes) node.archive.copy();
    let cuts = 0;
    for (const node of nodes)
      cuts += await closeConnections(`cbexport output ${hostname()}:${node.process?.child.pid}`);
    const total = nodes.reduce((sum, node) => sum + node.expected.length, 0);
    const expected = counts(nodes.flatMap((node) => node.expected));
    const complete = () => [...expected].every(([line, n]) => (seen.get(line) ?? 0) >= n);
    let seen = counts(received);
    await waitUntil(
      "every event in the queue",
      async () => {
        seen = counts(await collect());
        return complete();
      },
      300_000,
    );
    await stopAll(nodes);
    seen = counts(await collect());
    for (const [line, n] of expected) assert.ok((seen.get(line) ?? 0) >= n, `lost: ${line.slice(0, 120)}`);
    const duplicates = received.length - total;
    const perNode = nodes.map(
      (node) => node.expected.filter((line) => (seen.get(line) ?? 0) > (expected.get(line) ?? 0)).length,
    );
    process.stdout.write(
      `# rabbitmq: ${total} events, ${received.length} messages, ${duplicates} duplicate(s) ` +
        `(per node ${perNode.join("/")}), ${cuts} connection(s) cut, 1 kill\n`,
    );
    // At most what node 2 exported since its last checkpoint, plus one delivery batch per cut connection.
    const shortest = Math.min(...nodes.flatMap((node) => node.expected.map((l) => l.length + 1)));
    const bound = second.expected.length + cuts * Math.ceil((1024 * 1024) / shortest);
    assert.ok(duplicates <= bound, `${duplicates} duplicates > ${bound}`);
  });
});
