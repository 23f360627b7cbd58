// Helpers for the tests against the real RabbitMQ on this machine (127.0.0.1:5672, guest/guest; .ci/run
// starts it). Every test gets its own exchanges and queue, declared here as the CB server declares its own
// (api.events: topic, durable; api.rawsensordata: fanout, durable, not auto-delete; BUS.md §3), and deletes
// them afterwards. Nothing is skipped when the broker is missing: the tests fail.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import * as amqp from "amqplib";
import { CLI } from "../../helpers/cli.js";
import { ROOT } from "../../helpers/fixtures.js";

export const BROKER_URL = process.env.CBEXPORT_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/";

const run = promisify(execFile);

export interface TestBus {
  name: string;
  eventsExchange: string;
  rawExchange: string;
  queue: string;
  /** --url and the exchange/queue options for a consumer of this bus. */
  args: string[];
  publisher: Publisher;
  /** Ready messages and consumers of the queue (undefined while it does not exist). */
  queueState(): Promise<{ messageCount: number; consumerCount: number } | undefined>;
  cleanup(): Promise<void>;
}

export interface PublishOptions {
  contentType?: string;
  headers?: Record<string, unknown>;
  /** Fails the publish when no queue is bound for it (basic.return). */
  mandatory?: boolean;
}

export class Publisher {
  private returned = 0;

  private constructor(
    private readonly model: amqp.ChannelModel,
    readonly channel: amqp.ConfirmChannel,
  ) {
    channel.on("return", () => this.returned++);
  }

  static async open(): Promise<Publisher> {
    const model = await amqp.connect(BROKER_URL);
    return new Publisher(model, await model.createConfirmChannel());
  }

  /** Publishes like the server: transient (delivery mode 1). */
  publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions = {}): void {
    this.channel.publish(exchange, routingKey, body, {
      contentType: options.contentType,
      headers: options.headers,
      deliveryMode: 1,
      mandatory: options.mandatory ?? false,
    });
  }

  /** Waits for the broker's confirms; returns how many mandatory messages were unroutable so far. */
  async confirm(): Promise<number> {
    await this.channel.waitForConfirms();
    return this.returned;
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => {});
  }
}

export async function createTestBus(label: string): Promise<TestBus> {
  const name = `cbexport-test-${label}-${randomBytes(4).toString("hex")}`;
  const eventsExchange = `${name}.events`;
  const rawExchange = `${name}.raw`;
  const queue = `${name}.queue`;
  const publisher = await Publisher.open();
  await publisher.channel.assertExchange(eventsExchange, "topic", { durable: true });
  await publisher.channel.assertExchange(rawExchange, "fanout", { durable: true, autoDelete: false });
  const admin = await amqp.connect(BROKER_URL);
  return {
    name,
    eventsExchange,
    rawExchange,
    queue,
    args: [
      "--url",
      BROKER_URL,
      "--queue",
      queue,
      "--events-exchange",
      eventsExchange,
      "--raw-exchange",
      rawExchange,
    ],
    publisher,
    async queueState() {
      // A missing queue closes the channel that asked: use a fresh one each time.
      const channel = await admin.createChannel();
      channel.on("error", () => {});
      try {
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        await channel.close();
        return { messageCount, consumerCount };
      } catch {
        return undefined;
      }
    },
    async cleanup() {
      const channel = await admin.createChannel();
      await channel.deleteQueue(queue);
      await channel.deleteExchange(eventsExchange);
      await channel.deleteExchange(rawExchange);
      await admin.close();
      await publisher.close();
    },
  };
}

/** Polls until `check` returns true; fails with `what` after a generous timeout (never a timing assertion). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A `cbexport bus` process. */
export class Consumer {
  private err = "";
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.on("data", (d: Buffer) => {
      this.err += d.toString("utf8");
    });
    child.stdout.resume();
    this.exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
  }

  static start(args: string[]): Consumer {
    return new Consumer(spawn(process.execPath, [CLI, "bus", ...args], { cwd: ROOT }));
  }

  get stderr(): string {
    return this.err;
  }

  /** SIGTERM, then the exit status. */
  async stop(): Promise<number | null> {
    this.child.kill("SIGTERM");
    return this.exited;
  }
}

/** Waits until the queue has `count` consumers (the bindings exist from then on). */
export async function waitForConsumers(bus: TestBus, count: number): Promise<void> {
  await waitFor(`${count} consumer(s) on ${bus.queue}`, async () => {
    const state = await bus.queueState();
    return state !== undefined && state.consumerCount >= count;
  });
}

/** Closes, on the broker, the connections whose client-given name contains `namePart` (a network cut). */
export async function closeConnections(namePart: string): Promise<number> {
  const { stdout } = await run("rabbitmqctl", [
    "list_connections",
    "pid",
    "client_properties",
    "--quiet",
    "--no-table-headers",
  ]);
  const pids = stdout
    .split("\n")
    .filter((line) => line.includes(namePart))
    .map((line) => line.split("\t")[0]);
  for (const pid of pids)
    await run("rabbitmqctl", ["close_connection", pid, "cbexport test: connection cut"]);
  return pids.length;
}

/** The lines of an output file (none while it does not exist). */
export function outputLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/** Multiset difference helpers: line → count. */
export function countLines(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/**
 * Compares an output with what it must hold: every expected line at least as often as expected, nothing
 * else. Returns the number of extra copies (duplicates from redelivery).
 */
export function checkAtLeastOnce(
  actual: readonly string[],
  expected: readonly string[],
): {
  missing: string[];
  unexpected: string[];
  duplicates: number;
} {
  const want = countLines(expected);
  const got = countLines(actual);
  const missing: string[] = [];
  const unexpected: string[] = [];
  let duplicates = 0;
  for (const [line, n] of want) if ((got.get(line) ?? 0) < n) missing.push(line);
  for (const [line, n] of got) {
    const w = want.get(line) ?? 0;
    if (w === 0) unexpected.push(line);
    else if (n > w) duplicates += n - w;
  }
  return { missing, unexpected, duplicates };
}
