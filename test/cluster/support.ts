// Brokers and stores for the broker-output and cluster tests, all on loopback and private to the test:
//   - a nats-server with JetStream on a free port and its own store folder (never the machine's shared one),
//     which the test may stop and start again exactly as it was;
//   - the RabbitMQ on 127.0.0.1:5672 (guest/guest), with an exchange and queue under names of the test's own;
//     the cluster test stops and starts its application (rabbitmqctl stop_app, start_app) for a broker restart;
//   - librdkafka's mock Kafka cluster (kcat -X test.mock.num.brokers=3): a protocol-level stand-in for Kafka,
//     since no Kafka broker can be installed here; its bootstrap address is the "Mock cluster enabled: ...
//     replaced with HOST:PORT,..." notice kcat prints on stderr;
//   - s3rver, an S3-compatible server from npm (in process), for the S3 output.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect as natsConnect } from "@nats-io/transport-node";
import * as amqp from "amqplib";
import { runCli } from "../helpers/cli.js";
import { freePort, stopProcess, tempDir, waitFor, waitUntil } from "../sinks/support.js";

export const AMQP_URL = process.env.CBEXPORT_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/";

/** A short random name part, so tests never share an exchange, stream, topic or bucket. */
export function unique(): string {
  return randomBytes(4).toString("hex");
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function listening(port: number): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A private nats-server with JetStream; stop() and start() keep its port and store (a broker restart). */
export class NatsServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly store: string,
  ) {}

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), tempDir("nats-store"));
    await server.start();
    return server;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.store];
    const child = spawn("nats-server", args, { stdio: "ignore" });
    this.child = child;
    await waitUntil("nats-server listening", async () => {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      return listening(this.port);
    });
  }

  /** SIGTERM: the server shuts down cleanly (its store is flushed), as a service manager stops it. */
  async stop(): Promise<void> {
    await stopProcess(this.child);
    this.child = undefined;
  }

  async admin(): Promise<NatsAdmin> {
    const connection = await natsConnect({ servers: this.url });
    return new NatsAdmin(connection, await jetstreamManager(connection));
  }
}

export class NatsAdmin {
  constructor(
    readonly connection: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  async addStream(name: string, subjects: string[]): Promise<void> {
    await this.jsm.streams.add({ name, subjects });
  }

  async count(stream: string): Promise<number> {
    return (await this.jsm.streams.info(stream)).state.messages;
  }

  /** Messages per subject matching `filter`. */
  async subjectCount(stream: string, filter: string): Promise<number> {
    const info = await this.jsm.streams.info(stream, { subjects_filter: filter });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  }

  /** Every stored message's body, in stream order. */
  async bodies(stream: string): Promise<string[]> {
    const { state } = await this.jsm.streams.info(stream);
    const out: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const message = await this.jsm.streams.getMessage(stream, { seq });
      if (message !== null) out.push(message.string());
    }
    return out;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

export interface RabbitMessage {
  body: string;
  routingKey: string;
  messageId: string | undefined;
}

/**
 * A topic exchange and a durable queue bound to it with `#`, on the shared RabbitMQ, under unique names. Both
 * are durable and bound before anything is published, so persistent messages in the queue outlive a broker
 * restart; disconnect() before the restart and the next call connects again.
 */
export class RabbitQueue {
  private open: Promise<{ connection: amqp.ChannelModel; channel: amqp.Channel }> | undefined;

  private constructor(
    readonly exchange: string,
    readonly queue: string,
  ) {}

  static async create(label: string): Promise<RabbitQueue> {
    const name = `cbexport-test-${label}-${unique()}`;
    const queue = new RabbitQueue(name, name);
    const channel = await queue.channel();
    await channel.assertExchange(name, "topic", { durable: true });
    await channel.assertQueue(name, { durable: true });
    await channel.bindQueue(name, name, "#");
    return queue;
  }

  /** The channel, connecting (again) when there is none or the last one was lost. */
  private async channel(): Promise<amqp.Channel> {
    this.open ??= (async () => {
      const connection = await amqp.connect(AMQP_URL);
      const forget = () => {
        this.open = undefined;
      };
      connection.on("error", forget);
      connection.on("close", forget);
      const channel = await connection.createChannel();
      channel.on("error", forget);
      channel.on("close", forget);
      return { connection, channel };
    })();
    const pending = this.open;
    try {
      return (await pending).channel;
    } catch (err) {
      if (this.open === pending) this.open = undefined;
      throw err;
    }
  }

  async count(): Promise<number> {
    return (await (await this.channel()).checkQueue(this.queue)).messageCount;
  }

  /**
   * Takes every message now in the queue (acknowledging it) into `into`, one by one as it comes: a message taken
   * is never lost with a call that fails half-way.
   */
  async drain(into: RabbitMessage[] = []): Promise<RabbitMessage[]> {
    const channel = await this.channel();
    for (;;) {
      const message = await channel.get(this.queue, { noAck: true });
      if (message === false) return into;
      into.push({
        body: message.content.toString("utf8"),
        routingKey: message.fields.routingKey,
        messageId: message.properties.messageId as string | undefined,
      });
    }
  }

  /** Closes the connection (before the broker is stopped: no message is then in flight to it). */
  async disconnect(): Promise<void> {
    const open = await this.open?.catch(() => undefined);
    this.open = undefined;
    await open?.connection.close().catch(() => undefined);
  }

  async delete(): Promise<void> {
    const channel = await this.channel().catch(() => undefined);
    await channel?.deleteQueue(this.queue).catch(() => undefined);
    await channel?.deleteExchange(this.exchange).catch(() => undefined);
    await this.disconnect();
  }
}

const execFileAsync = promisify(execFile);

/** `rabbitmqctl ARGS` on the shared RabbitMQ. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("rabbitmqctl", args, { timeout: 120_000 });
  return stdout;
}

/**
 * Stops the RabbitMQ application (the Erlang node stays up: every client connection is closed and the port stops
 * listening, as in a broker restart). Test files run one at a time, so no other test is using it meanwhile.
 */
export async function stopRabbit(): Promise<void> {
  await rabbitmqctl("stop_app");
}

/** Starts the RabbitMQ application again and waits until it is fully up (queues recovered). */
export async function startRabbit(): Promise<void> {
  await rabbitmqctl("start_app");
  await rabbitmqctl("await_startup");
}

/** librdkafka's mock cluster of three brokers, held by a kcat consumer that prints what it receives. */
export class MockKafka {
  private out = "";
  private err = "";
  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on("data", (d: Buffer) => {
      this.out += d.toString("utf8");
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.err += d.toString("utf8");
    });
  }

  /** Starts the cluster, consuming `topic` from the beginning: key, headers and value per line. */
  static async start(topic: string): Promise<MockKafka> {
    const args = ["-b", "localhost:1", "-X", "test.mock.num.brokers=3", "-u", "-C", "-t", topic];
    const child = spawn("kcat", [...args, "-o", "beginning", "-f", "%k\\t%h\\t%s\\n"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const mock = new MockKafka(child);
    await waitFor("the mock cluster's bootstrap address", () => mock.bootstrap !== undefined);
    return mock;
  }

  get bootstrap(): string | undefined {
    return /replaced with (\S+)/.exec(this.err)?.[1];
  }

  /** Messages received so far: [key, headers, value]. */
  messages(): [string, string, string][] {
    return this.out
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [key, headers, ...value] = line.split("\t");
        return [key ?? "", headers ?? "", value.join("\t")];
      });
  }

  async stop(): Promise<void> {
    await stopProcess(this.child);
  }
}

/** A generated archive kept aside, copied into the followed folder file by file (an archive that grows). */
export class StagedArchive {
  readonly live: string;
  private readonly files: string[];
  private copied = 0;

  private constructor(
    readonly staged: string,
    root: string,
  ) {
    this.live = join(root, "live");
    mkdirSync(this.live, { recursive: true });
    this.files = listFiles(staged).sort();
  }

  static async generate(seed: number, events: number): Promise<StagedArchive> {
    const root = tempDir(`node${seed}`);
    const staged = join(root, "staged");
    const args = ["generate", "--out", staged, "--events", String(events), "--seed", String(seed)];
    const result = await runCli([...args, "--sensors", "2"]);
    if (result.code !== 0) throw new Error(`generate failed: ${result.stderr}`);
    return new StagedArchive(staged, root);
  }

  get total(): number {
    return this.files.length;
  }

  /** Copies the next `n` files (all that are left by default) into the live archive. */
  copy(n = this.files.length - this.copied): void {
    for (const file of this.files.slice(this.copied, this.copied + n)) {
      const target = join(this.live, relative(this.staged, file));
      mkdirSync(join(target, ".."), { recursive: true });
      // Copied beside the archive and renamed into place: the follower never sees a half-copied file.
      const part = join(this.live, "..", "copying");
      copyFileSync(file, part);
      renameSync(part, target);
    }
    this.copied = Math.min(this.files.length, this.copied + n);
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Line → how many times it was received. */
export function counts(lines: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of lines) map.set(line, (map.get(line) ?? 0) + 1);
  return map;
}
