// Three nodes of a CB cluster, each with its own archive and its own `cbexport follow`, publish into one stream.
// Mid-stream one publisher is killed (SIGKILL) and started again, and the broker restarts (the nats-server process
// stops and starts; RabbitMQ's application is stopped and started with rabbitmqctl stop_app / start_app). The
// consumer side must see every event at least once; on JetStream exactly once (Nats-Msg-Id de-duplication); on
// RabbitMQ the duplicates are counted and bounded by what the killed node had exported after its last
// checkpoint plus one delivery batch per connection the restart cut. No step waits for a time: each waits for a
// condition.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type FollowProcess, startFollow } from "../helpers/follow.js";
import { expectedLines, stopProcess, tempDir, waitFor, waitUntil } from "../sinks/support.js";
import {
  counts,
  NatsServer,
  type RabbitMessage,
  RabbitQueue,
  StagedArchive,
  startRabbit,
  stopRabbit,
  unique,
} from "./support.js";

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

  it("RabbitMQ: every event at least once through a SIGKILL and a broker restart, duplicates counted", async (t) => {
    // Whatever happens, the broker is started again: in the finally below, and here should that fail too.
    let brokerDown = false;
    t.after(async () => {
      if (brokerDown) await startRabbit();
    });
    // Durable exchange and queue, bound before anything is published: the persistent messages the publishers
    // send outlive the restart in the queue.
    const queue = await RabbitQueue.create("cluster");
    cleanup.push(() => queue.delete());
    const nodes = await makeNodes();
    const url = `amqp://127.0.0.1:5672/?exchange=${queue.exchange}&routing_key=ingress.event.{kind}&timeout=5`;
    const start = (node: Node) => {
      node.process = follow(node, `${url}&retry_for=forever`);
      cleanup.push(() => stopProcess(node.process?.child));
    };
    const quarter = (node: Node) => Math.ceil(node.archive.total / 4);
    for (const node of nodes) node.archive.copy(2 * quarter(node));
    for (const node of nodes) start(node);

    const [, second] = nodes as [Node, Node, Node];
    const messages: RabbitMessage[] = [];
    const bodies = () => messages.map((m) => m.body);
    await waitUntil("node 2 to publish", async () => {
      await queue.drain(messages);
      return messages.some((m) => m.body.includes('"cb_server":"node2"'));
    });
    second.process?.child.kill("SIGKILL");
    await second.process?.exited;
    start(second);

    // Mid-stream, the broker restarts: the third quarter of every archive arrives and, while the publishers
    // deliver, the broker's application stops; the last quarter arrives while it is down, so every publisher has
    // events to deliver then and says it is retrying. The consumer lets go of its connection first (no message
    // in flight to it is lost) and reads again once the broker is back.
    const before = messages.length + (await queue.count());
    for (const node of nodes) node.archive.copy(quarter(node));
    await waitUntil(
      "the publishers delivering",
      async () => messages.length + (await queue.count()) > before,
    );
    await queue.disconnect();
    brokerDown = true;
    try {
      await stopRabbit();
      for (const node of nodes) node.archive.copy();
      await waitFor("every publisher to retry", () =>
        nodes.every((node) => / retrying\b/.test(node.process?.stderr() ?? "")),
      );
    } finally {
      await startRabbit();
      brokerDown = false;
    }
    // Every publisher lost its connection to the restart (it was retrying): one batch each may come twice.
    const cuts = nodes.length;

    const total = nodes.reduce((sum, node) => sum + node.expected.length, 0);
    const expected = counts(nodes.flatMap((node) => node.expected));
    let seen = new Map<string, number>();
    const complete = () => [...expected].every(([line, n]) => (seen.get(line) ?? 0) >= n);
    await waitUntil(
      "every event in the queue",
      async () => {
        await queue.drain(messages);
        if (messages.length < total) return false;
        seen = counts(bodies());
        return complete();
      },
      300_000,
    );
    await stopAll(nodes);
    await queue.drain(messages);
    seen = counts(bodies());
    for (const [line, n] of expected) assert.ok((seen.get(line) ?? 0) >= n, `lost: ${line.slice(0, 120)}`);
    const duplicates = messages.length - total;
    // Extra copies per node (each node's lines name it, so no line belongs to two nodes).
    const perNode = nodes.map((node) =>
      [...counts(node.expected)].reduce((sum, [line, n]) => sum + Math.max(0, (seen.get(line) ?? 0) - n), 0),
    );
    const again = nodes.filter((node) => /delivering again/.test(node.process?.stderr() ?? "")).length;
    t.diagnostic(
      `rabbitmq: ${total} events, ${messages.length} messages, ${duplicates} duplicate(s) ` +
        `(per node ${perNode.join("/")}), 1 kill, 1 broker restart cutting ${cuts} publisher connection(s), ` +
        `${again} delivering again`,
    );
    // At most what node 2 exported since its last checkpoint, plus one delivery batch per cut connection.
    const shortest = Math.min(...nodes.flatMap((node) => node.expected.map((l) => l.length + 1)));
    const bound = second.expected.length + cuts * Math.ceil((1024 * 1024) / shortest);
    t.diagnostic(`rabbitmq: duplicate bound ${bound}`);
    assert.ok(duplicates <= bound, `${duplicates} duplicates > ${bound}`);
  });
});
