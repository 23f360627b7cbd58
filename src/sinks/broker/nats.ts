// NATS JetStream output: every event is published to its subject through JetStream and counts as accepted once
// the stream's PubAck says it is stored. Each message carries its id as Nats-Msg-Id, so the stream drops what is
// published again within its duplicate window: a batch sent again after a lost ack, or the events a restarted
// cbexport exports a second time (message-ids.ts). A batch's messages are published together and their acks
// awaited together (one connection keeps them in order); a batch with any failed message is sent again whole,
// and the stream drops the ones it already has.
import { readFile } from "node:fs/promises";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection, NodeConnectionOptions } from "@nats-io/transport-node";
import { DeliveryError, type Transport } from "../delivery/transport.js";
import type { RouteTemplate } from "../route-template.js";
import { unpackMessage } from "./message.js";

export interface NatsSettings {
  kind: "nats";
  /** nats://host:port of the servers. */
  servers: string[];
  subject: RouteTemplate;
  /** The stream the subjects must belong to (the server refuses a message otherwise). */
  stream?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  passwordFile?: string | undefined;
  tokenFile?: string | undefined;
  /** A .creds file (JWT and NKey seed). */
  credsFile?: string | undefined;
  /** TLS (tls=true or any TLS option); CA, client certificate and key files. */
  tls?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined } | undefined;
  /** Client name shown by the server (connz). */
  clientName: string;
}

export class NatsTransport implements Transport {
  private connection: NatsConnection | undefined;
  private client: JetStreamClient | undefined;
  private connecting: Promise<JetStreamClient> | undefined;
  private closed = false;

  constructor(
    private readonly settings: NatsSettings,
    private readonly timeoutMs: number,
  ) {}

  async send(records: readonly Buffer[]): Promise<void> {
    const js = await this.connected();
    const expect = this.settings.stream === undefined ? undefined : { streamName: this.settings.stream };
    const acks = records.map((record) => {
      const message = unpackMessage(record);
      return js.publish(message.route, message.body, {
        msgID: message.id,
        timeout: this.timeoutMs,
        ...(expect === undefined ? {} : { expect }),
      });
    });
    const results = await Promise.allSettled(acks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw natsError(failed.reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.client = undefined;
    // Published messages have their acks already (send waited): nothing is left to drain.
    await connection?.close();
  }

  private connected(): Promise<JetStreamClient> {
    if (this.client !== undefined && this.connection?.isClosed() === false)
      return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<JetStreamClient> {
    // Loaded only when a NATS output is used.
    const { connect, credsAuthenticator } = await import("@nats-io/transport-node");
    const { jetstream } = await import("@nats-io/jetstream");
    const s = this.settings;
    const options: NodeConnectionOptions = {
      servers: s.servers,
      name: s.clientName,
      timeout: this.timeoutMs,
      // The client reconnects by itself; publishes made meanwhile wait for their acks until the timeout.
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    };
    if (s.user !== undefined) options.user = s.user;
    const password = s.password ?? (s.passwordFile === undefined ? undefined : await secret(s.passwordFile));
    if (password !== undefined) options.pass = password;
    if (s.tokenFile !== undefined) options.token = await secret(s.tokenFile);
    if (s.credsFile !== undefined) {
      const creds = await readFile(s.credsFile).catch((err: Error) => {
        throw new DeliveryError(`cannot read the NATS creds file ${s.credsFile}: ${err.message}`, false);
      });
      options.authenticator = credsAuthenticator(creds);
    }
    if (s.tls !== undefined) {
      const tls: NonNullable<NodeConnectionOptions["tls"]> = {};
      if (s.tls.ca !== undefined) tls.caFile = s.tls.ca;
      if (s.tls.cert !== undefined) tls.certFile = s.tls.cert;
      if (s.tls.key !== undefined) tls.keyFile = s.tls.key;
      options.tls = tls;
    }
    let connection: NatsConnection;
    try {
      connection = await connect(options);
    } catch (err) {
      throw natsError(err);
    }
    if (this.closed) {
      await connection.close();
      throw new DeliveryError("closed", true);
    }
    this.connection = connection;
    this.client = jetstream(connection, { timeout: this.timeoutMs });
    return this.client;
  }
}

async function secret(path: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(path, "utf8")).trim();
  } catch (err) {
    throw new DeliveryError(`cannot read ${path}: ${(err as Error).message}`, false);
  }
  if (text === "") throw new DeliveryError(`${path} is empty`, false);
  return text;
}

/** Authorisation errors and a stream that refuses the subject cannot be fixed by waiting; the rest can. */
function natsError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const text = `${message} ${(err as { cause?: { message?: string } }).cause?.message ?? ""}`.toLowerCase();
  if (
    /authorization violation|authentication|permissions violation|wrong last stream|expected stream/.test(
      text,
    )
  )
    return new DeliveryError(`NATS: ${message}`, false, { cause: err });
  if (/no responders/.test(text))
    return new DeliveryError(
      `NATS: no JetStream stream takes this subject (no responders): ${message}`,
      true,
      { cause: err },
    );
  return new DeliveryError(`NATS: ${message}`, true, { cause: err });
}
