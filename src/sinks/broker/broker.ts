// Opens a broker or store output: its transport behind the shared DeliverySink, with records that carry what
// each event is routed by. The fields a topic, key, subject or routing key needs are read from the event's line
// as it is written (event-fields.ts), and the message id is assigned then too (message-ids.ts): a spooled record
// is published later exactly as it would have been at once.
import { readFile } from "node:fs/promises";
import type { OutputFormat } from "../../formats/formatter.js";
import { DeliverySink } from "../delivery/delivery-sink.js";
import type { Transport } from "../delivery/transport.js";
import { eventFields } from "../event-fields.js";
import type { NetworkDestination } from "../network-url.js";
import type { RouteTemplate } from "../route-template.js";
import { SinkError } from "../sink.js";
import { tlsConnectionOptions } from "../tls.js";
import { AmqpTransport } from "./amqp.js";
import type { BrokerSettings } from "./broker-url.js";
import { KafkaTransport } from "./kafka.js";
import { packMessage } from "./message.js";
import { MessageIds } from "./message-ids.js";
import { NatsTransport } from "./nats.js";
import { S3Transport } from "./s3.js";

export interface BrokerOpenOptions {
  retryForMs: number;
  format: OutputFormat;
  log?: ((line: string) => void) | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const LF = Buffer.from("\n");

export async function openBroker(d: NetworkDestination, options: BrokerOpenOptions): Promise<DeliverySink> {
  const broker = d.broker as BrokerSettings;
  const timeoutMs = d.delivery.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ids = new MessageIds();
  let transport: Transport;
  let encode: (line: Buffer) => Buffer;
  try {
    switch (broker.kind) {
      case "kafka": {
        const tls = d.tls === undefined ? undefined : await tlsConnectionOptions(d.tls, d.host);
        const sasl = broker.sasl && { ...broker.sasl, password: await secret(broker.sasl, "SASL password") };
        transport = await KafkaTransport.create({ ...broker, sasl }, tls, timeoutMs);
        encode = routed(broker.topic, broker.key, ids);
        break;
      }
      case "amqp": {
        const tls = d.tls === undefined ? {} : await tlsConnectionOptions(d.tls, d.host);
        const password = await secret(broker, "AMQP password");
        const type = options.format === "json" ? "application/json" : "text/plain";
        transport = new AmqpTransport(broker, tls, password, type, timeoutMs);
        encode = routed(broker.routingKey, undefined, ids);
        break;
      }
      case "nats":
        transport = new NatsTransport(broker, timeoutMs);
        encode = routed(broker.subject, undefined, ids);
        break;
      case "s3":
        transport = new S3Transport(broker, options.format, timeoutMs);
        // An object holds the lines as a file output would.
        encode = (line) => Buffer.concat([line, LF], line.length + 1);
        break;
    }
  } catch (err) {
    throw new SinkError(d.name, err);
  }
  const s3 = broker.kind === "s3" ? broker : undefined;
  return DeliverySink.open({
    name: d.name,
    transport,
    encode,
    bufferBytes: d.delivery.bufferBytes ?? (s3 === undefined ? undefined : 2 * s3.objectBytes),
    batchBytes: s3?.objectBytes ?? d.delivery.batchBytes,
    retryForMs: d.delivery.retryForMs ?? options.retryForMs,
    spool:
      d.delivery.spool === undefined
        ? undefined
        : // An object is read from one spool segment: segments as large as an object.
          { ...d.delivery.spool, segmentBytes: Math.max(8 * 1024 * 1024, s3?.objectBytes ?? 0) },
    lingerMs: s3 === undefined ? undefined : s3.objectSeconds * 1000,
    onFlush: () => ids.restart(),
    log: options.log,
  });
}

/** Records carrying the event's route (topic, subject, routing key), key and message id. */
function routed(
  route: RouteTemplate,
  key: RouteTemplate | undefined,
  ids: MessageIds,
): (line: Buffer) => Buffer {
  const needsFields = !route.fixed || (key !== undefined && !key.fixed);
  return (line) => {
    const fields = needsFields ? eventFields(line) : {};
    const keyText = key?.render(fields);
    // An event without a sensor id has no key (Kafka then spreads such events over the partitions).
    return packMessage(
      route.render(fields),
      keyText === "unknown" ? undefined : keyText,
      ids.next(line),
      line,
    );
  };
}

async function secret(
  from: { password?: string | undefined; passwordFile?: string | undefined },
  what: string,
): Promise<string> {
  if (from.password !== undefined) return from.password;
  const path = from.passwordFile as string;
  let text: string;
  try {
    text = (await readFile(path, "utf8")).trim();
  } catch (err) {
    throw new Error(`cannot read the ${what} file ${path}: ${(err as Error).message}`);
  }
  if (text === "") throw new Error(`the ${what} file ${path} is empty`);
  return text;
}
