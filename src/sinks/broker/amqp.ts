// RabbitMQ (AMQP 0-9-1) output: events are published to an exchange as persistent messages on a confirm
// channel, one message per event, with a routing key made from the event (ingress.event.{kind}). A batch counts as
// accepted once the broker has confirmed every message of it (publisher confirms: for persistent messages routed
// to durable queues, after they are written to disk). Messages are published mandatory: one that no queue takes
// comes back, and the batch fails instead of vanishing (mandatory=false turns that off).
import type { ConnectionOptions } from "node:tls";
import type { ChannelModel, ConfirmChannel, Message, Options } from "amqplib";
import { DeliveryError, type Transport } from "../delivery/transport.js";
import type { RouteTemplate } from "../route-template.js";
import { isCertificateError } from "../tls.js";
import { unpackMessage } from "./message.js";

export const EXCHANGE_TYPES = ["topic", "direct", "fanout", "headers"] as const;

export interface AmqpSettings {
  kind: "amqp";
  tls: boolean;
  host: string;
  port: number;
  vhost: string;
  user: string;
  password?: string | undefined;
  passwordFile?: string | undefined;
  exchange: string;
  routingKey: RouteTemplate;
  /** Unroutable messages fail the batch (default) instead of being dropped by the broker. */
  mandatory: boolean;
  /** Declare the exchange (durable) with this type; otherwise it must exist (checked passively). */
  declare?: (typeof EXCHANGE_TYPES)[number] | undefined;
  /** Shown by the broker (rabbitmqctl list_connections user_provided_name). */
  connectionName: string;
}

/** TLS options for amqps (tls.ts's, passed on to tls.connect). */
export type AmqpSocket = ConnectionOptions;

interface Open {
  model: ChannelModel;
  channel: ConfirmChannel;
  /** Message ids the broker returned as unroutable. */
  returned: Set<string>;
  /** Why the connection or channel ended, once it has. */
  lost?: Error | undefined;
  drained: (() => void)[];
}

export class AmqpTransport implements Transport {
  private open: Open | undefined;
  private opening: Promise<Open> | undefined;

  constructor(
    private readonly settings: AmqpSettings,
    private readonly socket: AmqpSocket,
    private readonly password: string,
    private readonly contentType: string,
    private readonly timeoutMs: number,
  ) {}

  async send(records: readonly Buffer[]): Promise<void> {
    const open = await this.connected();
    const { channel } = open;
    const confirms: Promise<void>[] = [];
    const ids: string[] = [];
    const timestamp = Math.floor(Date.now() / 1000);
    for (const record of records) {
      const message = unpackMessage(record);
      const options: Options.Publish = {
        persistent: true,
        mandatory: this.settings.mandatory,
        contentType: this.contentType,
        messageId: message.id,
        appId: "cbexport",
        timestamp,
      };
      ids.push(message.id);
      let ready = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          ready = channel.publish(this.settings.exchange, message.route, message.body, options, (err) =>
            err === null || err === undefined ? resolve() : reject(new Error("the broker refused (nack)")),
          );
        }),
      );
      // The channel's write buffer is full: wait for it to drain (or the connection to go) before more.
      if (!ready) await new Promise<void>((resolve) => open.drained.push(resolve));
      if (open.lost !== undefined) break;
    }
    try {
      await withTimeout(Promise.all(confirms), this.timeoutMs);
    } catch (err) {
      this.drop(open, err as Error);
      throw amqpError(open.lost ?? err);
    }
    if (open.lost !== undefined) throw amqpError(open.lost);
    const returned = ids.filter((id) => open.returned.has(id));
    for (const id of ids) open.returned.delete(id);
    if (returned.length > 0)
      throw new DeliveryError(
        `${returned.length} message(s) were returned unroutable: no queue is bound to exchange ` +
          `"${this.settings.exchange}" for their routing key (bind one, or set mandatory=false to let the ` +
          "broker drop them)",
        true,
      );
  }

  async close(): Promise<void> {
    const open = this.open ?? (await this.opening?.catch(() => undefined));
    this.open = undefined;
    if (open === undefined) return;
    await open.channel.close().catch(() => undefined);
    await open.model.close().catch(() => undefined);
  }

  private connected(): Promise<Open> {
    if (this.open !== undefined && this.open.lost === undefined) return Promise.resolve(this.open);
    this.opening ??= this.connect().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async connect(): Promise<Open> {
    // Loaded only when an AMQP output is used.
    const amqp = await import("amqplib");
    const s = this.settings;
    let model: ChannelModel;
    try {
      model = await amqp.connect(
        {
          protocol: s.tls ? "amqps" : "amqp",
          hostname: s.host,
          port: s.port,
          username: s.user,
          password: this.password,
          // amqplib percent-decodes the vhost of a connect object once more.
          vhost: encodeURIComponent(s.vhost),
          heartbeat: 30,
        },
        { ...this.socket, timeout: this.timeoutMs, clientProperties: { connection_name: s.connectionName } },
      );
    } catch (err) {
      throw amqpError(err);
    }
    const open: Open = {
      model,
      channel: undefined as unknown as ConfirmChannel,
      returned: new Set(),
      drained: [],
    };
    const lose = (err: Error) => this.drop(open, err);
    model.on("error", lose);
    model.on("close", (err?: Error) => lose(err ?? new Error("connection closed")));
    try {
      open.channel = await model.createConfirmChannel();
      open.channel.on("error", lose);
      open.channel.on("close", () => lose(new Error("channel closed")));
      open.channel.on("drain", () => {
        for (const resolve of open.drained.splice(0)) resolve();
      });
      open.channel.on("return", (message: Message) => {
        const id = message.properties.messageId as string | undefined;
        if (id !== undefined) open.returned.add(id);
      });
      if (s.declare !== undefined)
        await open.channel.assertExchange(s.exchange, s.declare, { durable: true });
      else if (s.exchange !== "") await open.channel.checkExchange(s.exchange);
    } catch (err) {
      await model.close().catch(() => undefined);
      throw amqpError(open.lost ?? err, s.exchange);
    }
    this.open = open;
    return open;
  }

  private drop(open: Open, err: Error): void {
    if (open.lost !== undefined) return;
    open.lost = err;
    for (const resolve of open.drained.splice(0)) resolve();
    if (this.open === open) this.open = undefined;
    open.model.close().catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no confirmation within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Refused credentials or rights (403 ACCESS_REFUSED) and a missing exchange cannot be fixed by waiting; the rest
 * is retried (530 NOT_ALLOWED included: a vhost is "down" for a moment while the broker starts).
 */
function amqpError(err: unknown, exchange?: string): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  if (isCertificateError(err)) return new DeliveryError(`TLS refused: ${message}`, false, { cause: err });
  if (code === 404 && exchange !== undefined)
    return new DeliveryError(
      `exchange "${exchange}" does not exist (create it, or add declare=topic to declare it)`,
      false,
      { cause: err },
    );
  if (code === 403 || /ACCESS_REFUSED/.test(message))
    return new DeliveryError(message, false, { cause: err });
  return new DeliveryError(message, true, { cause: err });
}
