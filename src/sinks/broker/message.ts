// A broker message as the delivery layer holds it (in memory or in the disk spool): the event's text plus what
// was derived from it when it was written (topic, subject or routing key; message key; message id), packed into
// one record. A record spooled by one run is therefore published by the next exactly as it would have been.
//
// Layout: u16 route length, route, u16 key length + 1 (0: no key), key, u8 id length, id, then the text.

export interface BrokerMessage {
  /** Kafka topic, NATS subject, AMQP routing key (S3 does not route). */
  route: string;
  /** Kafka message key (the sensor id), if any. */
  key: string | undefined;
  /** The message id: JetStream's de-duplication id, AMQP message-id, a Kafka header. */
  id: string;
  body: Buffer;
}

export function packMessage(route: string, key: string | undefined, id: string, body: Buffer): Buffer {
  const r = Buffer.from(route, "utf8");
  const k = key === undefined ? undefined : Buffer.from(key, "utf8");
  const i = Buffer.from(id, "latin1");
  const head = Buffer.allocUnsafe(2 + r.length + 2 + (k?.length ?? 0) + 1 + i.length);
  let at = head.writeUInt16BE(r.length, 0);
  at += r.copy(head, at);
  at = head.writeUInt16BE(k === undefined ? 0 : k.length + 1, at);
  if (k !== undefined) at += k.copy(head, at);
  at = head.writeUInt8(i.length, at);
  i.copy(head, at);
  return Buffer.concat([head, body], head.length + body.length);
}

export function unpackMessage(record: Buffer): BrokerMessage {
  let at = 0;
  const routeLength = record.readUInt16BE(at);
  at += 2;
  const route = record.toString("utf8", at, at + routeLength);
  at += routeLength;
  const keyLength = record.readUInt16BE(at);
  at += 2;
  const key = keyLength === 0 ? undefined : record.toString("utf8", at, at + keyLength - 1);
  at += Math.max(0, keyLength - 1);
  const idLength = record.readUInt8(at);
  at += 1;
  const id = record.toString("latin1", at, at + idLength);
  at += idLength;
  return { route, key, id, body: record.subarray(at) };
}
