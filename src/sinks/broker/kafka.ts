// Kafka output: each delivery batch is one produce call (kafkajs sendBatch) acknowledged by all in-sync replicas
// (acks=-1), compressed, with the sensor id as message key so that each sensor's events stay in order on one
// partition. The producer is idempotent unless turned off: kafkajs's own retries of a request then never write
// a batch twice. A batch is accepted once every partition leader has answered.
import type { ConnectionOptions } from "node:tls";
import type { Kafka, Message, Producer, SASLOptions } from "kafkajs";
import { DeliveryError, type Transport } from "../delivery/transport.js";
import type { RouteTemplate } from "../route-template.js";
import { isCertificateError } from "../tls.js";
import { unpackMessage } from "./message.js";

export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface KafkaSettings {
  kind: "kafka";
  /** host:port of the bootstrap brokers. */
  brokers: string[];
  topic: RouteTemplate;
  /** Message key; undefined: no key (round robin). Default {sensor_id}. */
  key: RouteTemplate | undefined;
  clientId: string;
  idempotent: boolean;
  compression: "gzip" | "none";
  /** TLS to the brokers (tls=true or any TLS option). */
  tls: boolean;
  /** The password is read from passwordFile when the output opens. */
  sasl?:
    | {
        mechanism: SaslMechanism;
        username: string;
        password?: string | undefined;
        passwordFile?: string | undefined;
      }
    | undefined;
}

/** Errors of the cluster that retrying cannot fix: authentication, authorisation, records it refuses. */
const FATAL =
  /AUTHORIZATION_FAILED|SASL_AUTHENTICATION|MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE|INVALID_RECORD|INVALID_TOPIC_EXCEPTION|UNSUPPORTED_SASL_MECHANISM|ILLEGAL_SASL_STATE/;

export class KafkaTransport implements Transport {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;

  private constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly timeoutMs: number,
  ) {}

  static async create(
    settings: KafkaSettings,
    tls: ConnectionOptions | undefined,
    timeoutMs: number,
  ): Promise<KafkaTransport> {
    // Loaded only when a Kafka output is used.
    const { Kafka, logLevel } = await import("kafkajs");
    const kafka = new Kafka({
      clientId: settings.clientId,
      brokers: settings.brokers,
      ssl: settings.tls ? (tls ?? true) : false,
      sasl: settings.sasl === undefined ? undefined : (settings.sasl as SASLOptions),
      connectionTimeout: Math.min(timeoutMs, 10_000),
      requestTimeout: timeoutMs,
      // Outages are reported by the delivery layer, once, naming the output.
      logLevel: logLevel.NOTHING,
      // A few quick retries inside the client (leader changes); longer outages are the delivery layer's.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    return new KafkaTransport(kafka, settings, timeoutMs);
  }

  async send(records: readonly Buffer[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const record of records) {
      const message = unpackMessage(record);
      let messages = byTopic.get(message.route);
      if (messages === undefined) {
        messages = [];
        byTopic.set(message.route, messages);
      }
      messages.push({
        key: message.key ?? null,
        value: message.body,
        headers: { "cbexport-id": message.id },
      });
    }
    const { CompressionTypes } = await import("kafkajs");
    try {
      const producer = await this.connected();
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        acks: -1,
        timeout: this.timeoutMs,
        compression: this.settings.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
      });
    } catch (err) {
      throw kafkaError(err);
    }
  }

  async close(): Promise<void> {
    const producer = this.producer ?? (await this.connecting?.catch(() => undefined));
    this.producer = undefined;
    this.connecting = undefined;
    await producer?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (this.producer !== undefined) return Promise.resolve(this.producer);
    if (this.connecting === undefined) {
      const producer = this.kafka.producer({
        idempotent: this.settings.idempotent,
        // The idempotent producer keeps order with one request in flight per connection.
        maxInFlightRequests: this.settings.idempotent ? 1 : undefined,
        allowAutoTopicCreation: false,
      });
      this.connecting = producer.connect().then(
        () => {
          this.producer = producer;
          return producer;
        },
        (err: unknown) => {
          this.connecting = undefined;
          throw err;
        },
      );
    }
    return this.connecting;
  }
}

/** A kafkajs error as a DeliveryError; the message names the first cause (kafkajs nests them). */
function kafkaError(err: unknown): DeliveryError {
  const chain: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && chain.length < 8; ) {
    chain.push(e);
    const next = e as { originalError?: unknown; cause?: unknown; errors?: unknown[] };
    e = next.originalError ?? next.cause ?? next.errors?.[0];
  }
  const text = chain
    .map((e) => {
      const { name, type, message } = e as { name?: string; type?: string; message?: string };
      return `${name ?? ""} ${type ?? ""} ${message ?? ""}`;
    })
    .join(" ");
  const last = chain[chain.length - 1] as { message?: string } | undefined;
  const message = `Kafka: ${last?.message ?? String(err)}`;
  if (chain.some(isCertificateError)) return new DeliveryError(`Kafka TLS refused: ${last?.message}`, false);
  return new DeliveryError(message, !FATAL.test(text), { cause: err });
}
