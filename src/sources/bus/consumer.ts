// The bus consumer: connect, set up the queue, consume with manual acknowledgement and a bounded prefetch,
// hand deliveries over in batches, and acknowledge a batch (multiple=true up to its last tag) only once the
// batch writer says every output holds it durably. Reconnects with backoff after any loss; a message in hand
// on a lost channel is never acked there (its tag died with the channel): the broker redelivers it.

import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import * as amqp from "amqplib";
import { Backoff, type BackoffOptions, sleep } from "../../pipeline/backoff.js";
import type { BatchDelivery } from "./batch.js";
import type { BrokerConnection } from "./broker.js";
import type { Selection } from "./selection.js";
import { BusSetupError, removeStaleBindings, setUpQueue, step } from "./topology.js";

export interface ConsumerOptions {
  broker: BrokerConnection;
  queue: string;
  selection: Selection;
  /** basic.qos: unacked messages the broker lets this consumer hold; also the largest batch. */
  prefetch: number;
  /** How long the first message of a batch may wait for more. Default 200 ms. */
  batchWaitMs?: number | undefined;
  /** Stop once no message came for this long and the queue is empty. */
  idleExitMs?: number | undefined;
  backoff?: BackoffOptions | undefined;
  /** A connection that lasted this long resets the backoff. Default 10 s. */
  stableMs?: number | undefined;
  log: (line: string) => void;
  /** Makes a batch durable (throws when an output fails, then nothing is acked and the consumer stops). */
  write: (batch: BatchDelivery[]) => Promise<void>;
}

export interface ConsumerStats {
  connections: number;
  acked: number;
  /** Written to the outputs but not acked because the channel died first: they come again (duplicates). */
  writtenNotAcked: number;
  /** Delivered on a channel that died before they were written: the broker redelivers them. */
  droppedInHand: number;
}

export type StopReason = "signal" | "idle";

interface Pending {
  msg: ConsumeMessage;
  at: number;
  session: Session;
}

/** One connection with its consuming channel; dead for good once lost. */
class Session {
  alive = true;
  lossReason = "";
  consumerTag: string | undefined;
  readonly openedAt = Date.now();
  private genericLoss = false;
  private consuming: Channel | undefined;

  constructor(
    readonly model: ChannelModel,
    private readonly onLoss: () => void,
  ) {}

  get channel(): Channel {
    if (this.consuming === undefined) throw new Error("no channel yet");
    return this.consuming;
  }

  set channel(channel: Channel) {
    this.consuming = channel;
  }

  /** `generic` reasons (a channel closing) give way to the connection's own error, which comes after. */
  lose(reason: string, generic = false): void {
    if (!this.alive) {
      if (this.genericLoss && !generic) this.lossReason = reason;
      this.genericLoss &&= generic;
      return;
    }
    this.alive = false;
    this.lossReason = reason;
    this.genericLoss = generic;
    this.onLoss();
  }

  /**
   * Closes what is left. The channel first: its close goes out after the last ack on the same channel, so
   * the broker has applied the ack before anything closes (a connection close could overtake it).
   */
  async close(): Promise<void> {
    const graceful = this.alive;
    this.lose("closed by cbexport", true);
    try {
      if (graceful && this.consuming !== undefined) await this.consuming.close();
    } catch {
      // lost meanwhile: unacked messages are redelivered
    }
    try {
      await this.model.close();
    } catch {
      // already closed
    }
  }
}

export class BusConsumer {
  readonly stats: ConsumerStats = { connections: 0, acked: 0, writtenNotAcked: 0, droppedInHand: 0 };
  private stopping: StopReason | undefined;
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | undefined;
  private pending: Pending[] = [];
  private session: Session | undefined;
  private lastDeliveryAt = 0;
  private readonly batchWaitMs: number;

  constructor(private readonly options: ConsumerOptions) {
    this.batchWaitMs = options.batchWaitMs ?? 200;
  }

  /** Whether a connection is up and consuming (for status reports and tests). */
  get connected(): boolean {
    return this.session?.alive ?? false;
  }

  /** Deliveries received and not yet written (the batch being collected). */
  get inHand(): number {
    return this.pending.length;
  }

  /**
   * Messages waiting in the queue (the broker's count: ready, not delivered), or undefined when not connected.
   * Asked on the consuming channel, as the idle check does; for status reports.
   */
  async queueDepth(): Promise<number | undefined> {
    const session = this.session;
    if (session === undefined || !session.alive) return undefined;
    try {
      return (await session.channel.checkQueue(this.options.queue)).messageCount;
    } catch {
      return undefined;
    }
  }

  /** Stop consuming; the batch in hand is still written and acked. Safe to call more than once. */
  stop(reason: StopReason = "signal"): void {
    if (this.stopping !== undefined) return;
    this.stopping = reason;
    this.abort.abort();
    this.wake();
  }

  /** Consumes until stopped (signal or idle). Rejects on a permanent setup error or an output failure. */
  async run(): Promise<StopReason> {
    const { log, broker } = this.options;
    const backoff = new Backoff(this.options.backoff);
    let everConnected = false;
    while (this.stopping === undefined) {
      let session: Session;
      try {
        session = await this.open();
      } catch (err) {
        if (this.stopping !== undefined) break;
        // Wrong credentials, vhost or exchange at start are configuration errors, not an outage.
        if (!everConnected && err instanceof BusSetupError && err.permanent) throw err;
        const delay = backoff.next();
        log(
          `cbexport bus: ${(err as Error).message}; retrying in ${seconds(delay)} (attempt ${backoff.attempts})`,
        );
        await sleep(delay, this.abort.signal);
        continue;
      }
      this.session = session;
      this.stats.connections++;
      log(
        `cbexport bus: ${everConnected ? "reconnected" : "connected"} to ${broker.display}, consuming queue ` +
          `"${this.options.queue}" (prefetch ${this.options.prefetch}; ${describeBindings(this.options.selection)})`,
      );
      everConnected = true;
      let ended: "lost" | "stopped";
      try {
        ended = await this.serve(session);
      } catch (err) {
        // An output failed: close without acking; the broker hands the batch to the next consumer.
        await session.close();
        throw err;
      }
      if (ended === "stopped") break;
      if (Date.now() - session.openedAt >= (this.options.stableMs ?? 10_000)) backoff.reset();
      await session.close();
      if (this.stopping !== undefined) break;
      const delay = backoff.next();
      log(`cbexport bus: connection lost: ${session.lossReason}; reconnecting in ${seconds(delay)}`);
      await sleep(delay, this.abort.signal);
    }
    return this.stopping ?? "signal";
  }

  private async open(): Promise<Session> {
    const { broker, queue, selection, prefetch } = this.options;
    const model = await step(`cannot connect to ${broker.display}`, () =>
      amqp.connect(broker.connect, broker.socket),
    );
    const session = new Session(model, () => this.wake());
    model.on("error", (err: Error) => session.lose(`connection error: ${err.message}`));
    model.on("close", (err?: Error) => session.lose(err?.message ?? "connection closed", err === undefined));
    model.on("blocked", (reason: string) =>
      this.options.log(`cbexport bus: the broker blocks this connection (${reason}); waiting`),
    );
    try {
      const channel = await step("opening a channel", () => model.createChannel());
      session.channel = channel;
      channel.on("error", (err: Error) => session.lose(`channel error: ${err.message}`));
      channel.on("close", () => session.lose("channel closed", true));
      await step("setting the prefetch", () => channel.prefetch(prefetch));
      await setUpQueue(channel, queue, selection);
      await removeStaleBindings(model, queue, selection);
      const reply = await step(`consuming queue "${queue}"`, () =>
        channel.consume(queue, (msg) => this.deliver(session, msg), { noAck: false }),
      );
      session.consumerTag = reply.consumerTag;
      if (!session.alive) throw new BusSetupError("setting up the consumer", new Error(session.lossReason));
      return session;
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  private deliver(session: Session, msg: ConsumeMessage | null): void {
    if (msg === null) {
      session.lose("the broker cancelled the consumer (queue deleted?)");
      return;
    }
    if (!session.alive) return; // its tag is dead; the broker redelivers it
    this.lastDeliveryAt = Date.now();
    this.pending.push({ msg, at: this.lastDeliveryAt, session });
    if (this.pending.length === 1 || this.pending.length >= this.options.prefetch) this.wake();
  }

  /** Batches until the session is lost ("lost") or the consumer stops ("stopped", batch in hand written). */
  private async serve(session: Session): Promise<"lost" | "stopped"> {
    const { prefetch, idleExitMs } = this.options;
    let idleSince = Date.now();
    for (;;) {
      if (!session.alive) {
        this.dropPending();
        return "lost";
      }
      if (this.stopping !== undefined) {
        await this.drain(session);
        return "stopped";
      }
      const now = Date.now();
      const first = this.pending[0];
      if (first !== undefined && (this.pending.length >= prefetch || now - first.at >= this.batchWaitMs)) {
        await this.writeBatch(session);
        idleSince = Date.now();
        continue;
      }
      let waitMs: number | undefined;
      if (first !== undefined) waitMs = this.batchWaitMs - (now - first.at);
      else if (idleExitMs !== undefined) {
        const idleFor = now - Math.max(idleSince, this.lastDeliveryAt);
        if (idleFor >= idleExitMs) {
          if (await this.queueIsEmpty(session)) {
            this.options.log(
              `cbexport bus: queue "${this.options.queue}" empty for ${seconds(idleFor)}; stopping`,
            );
            this.stop("idle");
          }
          idleSince = Date.now();
          continue;
        }
        waitMs = idleExitMs - idleFor;
      }
      await this.waitForWake(waitMs);
    }
  }

  private async writeBatch(session: Session): Promise<void> {
    const batch = this.pending.filter((p) => p.session === session);
    this.pending = [];
    if (batch.length === 0) return;
    await this.options.write(batch.map((p) => toBatchDelivery(p.msg)));
    const last = batch[batch.length - 1].msg;
    if (session.alive) {
      try {
        // One ack for the whole batch: tags on a channel only grow and the batch is in delivery order.
        session.channel.ack(last, true);
        this.stats.acked += batch.length;
        return;
      } catch (err) {
        session.lose(`acknowledging failed: ${(err as Error).message}`);
      }
    }
    this.stats.writtenNotAcked += batch.length;
    this.options.log(
      `cbexport bus: ${batch.length} message(s) written but not acknowledged (${session.lossReason}); ` +
        "the broker redelivers them, so they appear twice in the output",
    );
  }

  /** Stop: no new deliveries (cancel), then write and ack what is in hand, then close. */
  private async drain(session: Session): Promise<void> {
    if (session.alive && session.consumerTag !== undefined) {
      try {
        // After cancel-ok no delivery follows on this channel: everything in hand is in `pending`.
        await session.channel.cancel(session.consumerTag);
      } catch (err) {
        session.lose(`cancelling the consumer failed: ${(err as Error).message}`);
      }
    }
    while (session.alive && this.pending.length > 0) await this.writeBatch(session);
    this.dropPending();
    await session.close();
  }

  private dropPending(): void {
    if (this.pending.length === 0) return;
    this.stats.droppedInHand += this.pending.length;
    this.options.log(
      `cbexport bus: ${this.pending.length} message(s) in hand dropped with the lost channel; the broker redelivers them`,
    );
    this.pending = [];
  }

  private async queueIsEmpty(session: Session): Promise<boolean> {
    try {
      const { messageCount } = await session.channel.checkQueue(this.options.queue);
      return messageCount === 0;
    } catch (err) {
      session.lose(`checking the queue failed: ${(err as Error).message}`);
      return false;
    }
  }

  private waitForWake(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, Math.max(0, ms));
      this.wakeUp = done;
    });
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}

function toBatchDelivery(msg: ConsumeMessage): BatchDelivery {
  const { properties, fields } = msg;
  return {
    body: msg.content,
    exchange: fields.exchange,
    routingKey: fields.routingKey,
    contentType: typeof properties.contentType === "string" ? properties.contentType : undefined,
    headers: properties.headers,
    redelivered: fields.redelivered,
    properties,
  };
}

function describeBindings(selection: Selection): string {
  return selection.bindings.map((b) => `${b.exchange} "${b.pattern}"`).join(", ");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
