// BusConsumer against the real RabbitMQ: the acknowledgement rules, observed through the broker. A batch is
// acked only after `write` resolved and only on the channel it came from; a stop writes and acks what is in
// hand; a failing output acks nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BatchDelivery } from "../../../src/sources/bus/batch.js";
import { resolveBroker } from "../../../src/sources/bus/broker.js";
import { BusConsumer, type ConsumerOptions } from "../../../src/sources/bus/consumer.js";
import { planSelection } from "../../../src/sources/bus/selection.js";
import { BROKER_URL, closeConnections, createTestBus, type TestBus, waitFor } from "./amqp-helpers.js";

const TIMEOUT = 120_000;

async function consumerFor(
  bus: TestBus,
  write: (batch: BatchDelivery[]) => Promise<void>,
  options: Partial<ConsumerOptions> = {},
): Promise<{ consumer: BusConsumer; logs: string[] }> {
  const logs: string[] = [];
  const consumer = new BusConsumer({
    broker: await resolveBroker({ url: BROKER_URL, connectionName: `test ${bus.queue}` }),
    queue: bus.queue,
    selection: planSelection({
      events: "raw",
      rawSource: "events",
      eventsExchange: bus.eventsExchange,
      rawExchange: bus.rawExchange,
    }),
    prefetch: 20,
    backoff: { initialMs: 50, maxMs: 500 },
    log: (line) => logs.push(line),
    write,
    ...options,
  });
  return { consumer, logs };
}

function publishNumbered(bus: TestBus, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    bus.publisher.publish(bus.eventsExchange, "ingress.event.netconn", Buffer.from(String(i)));
  }
}

/** The message numbers in a batch. */
function numbers(batch: readonly BatchDelivery[]): number[] {
  return batch.map((d) => Number(d.body.toString()));
}

/** Takes one message off the queue (false when none is left, acked or unacked-and-requeued alike). */
async function leftOnQueue(bus: TestBus): Promise<number> {
  let n = 0;
  while ((await bus.publisher.channel.get(bus.queue, { noAck: true })) !== false) n++;
  return n;
}

describe("BusConsumer (real RabbitMQ)", { timeout: TIMEOUT * 4 }, () => {
  it("never acks a batch whose channel died while it was written: the broker redelivers it", {
    timeout: TIMEOUT,
  }, async () => {
    const bus = await createTestBus("deadchannel");
    try {
      const written: number[][] = [];
      let cut = false;
      const { consumer, logs } = await consumerFor(bus, async (batch) => {
        written.push(numbers(batch));
        if (!cut) {
          cut = true;
          // The connection dies while this batch is being written (as if the output were slow).
          assert.equal(await closeConnections(`test ${bus.queue}`), 1);
          await waitFor("the consumer to notice the cut", () => !consumer.connected);
        }
      });
      const running = consumer.run();
      await waitFor("the consumer", () => consumer.connected);
      publishNumbered(bus, 0, 100);
      await bus.publisher.confirm();
      await waitFor("every message written", () => new Set(written.flat()).size === 100);
      consumer.stop();
      assert.equal(await running, "signal");
      const firstBatch = written[0];
      assert.ok(firstBatch.length > 0);
      assert.equal(consumer.stats.writtenNotAcked, firstBatch.length);
      // Exactly the unacked batch came twice; everything else once.
      assert.equal(written.flat().length, 100 + firstBatch.length);
      assert.equal(consumer.stats.acked, 100);
      assert.equal(consumer.stats.connections, 2);
      assert.ok(logs.some((l) => /written but not acknowledged/.test(l)));
      assert.ok(logs.some((l) => /connection lost: .*CONNECTION_FORCED/.test(l)));
      assert.equal(await leftOnQueue(bus), 0);
    } finally {
      await bus.cleanup();
    }
  });

  it("on stop, writes and acks the messages in hand before closing", { timeout: TIMEOUT }, async () => {
    const bus = await createTestBus("stop");
    try {
      const written: number[] = [];
      // A batch wait longer than the test: nothing is written until the stop.
      const { consumer } = await consumerFor(bus, async (batch) => void written.push(...numbers(batch)), {
        prefetch: 1000,
        batchWaitMs: 3_600_000,
      });
      const running = consumer.run();
      await waitFor("the consumer", () => consumer.connected);
      publishNumbered(bus, 0, 30);
      await bus.publisher.confirm();
      await waitFor("all 30 delivered", async () => (await bus.queueState())?.messageCount === 0);
      assert.deepEqual(written, []);
      consumer.stop();
      assert.equal(await running, "signal");
      assert.deepEqual(
        written,
        Array.from({ length: 30 }, (_, i) => i),
      );
      assert.equal(consumer.stats.acked, 30);
      // Had any been left unacked, closing the connection would have put them back on the queue.
      assert.equal(await leftOnQueue(bus), 0);
    } finally {
      await bus.cleanup();
    }
  });

  it("acks nothing when an output fails, and stops with the error", { timeout: TIMEOUT }, async () => {
    const bus = await createTestBus("fail");
    try {
      const { consumer } = await consumerFor(bus, async () => {
        throw new Error("output /var/log/x: disk full");
      });
      const running = consumer.run();
      await waitFor("the consumer", () => consumer.connected);
      publishNumbered(bus, 0, 5);
      await bus.publisher.confirm();
      await assert.rejects(running, /disk full/);
      assert.equal(consumer.stats.acked, 0);
      assert.equal(await leftOnQueue(bus), 5);
    } finally {
      await bus.cleanup();
    }
  });

  it("gives up at once on a configuration error at start (missing exchange), naming it", {
    timeout: TIMEOUT,
  }, async () => {
    const bus = await createTestBus("missing");
    try {
      const { consumer } = await consumerFor(bus, async () => {}, {
        selection: planSelection({
          rawExchange: `${bus.rawExchange}.nope`,
          eventsExchange: bus.eventsExchange,
        }),
      });
      await assert.rejects(consumer.run(), /exchange ".*\.nope" is not there.*404/);
    } finally {
      await bus.cleanup();
    }
  });
});
