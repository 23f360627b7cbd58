// Opens a network output: the transport and record encoding its scheme needs, behind the shared DeliverySink.
import { readFile } from "node:fs/promises";
import type { OutputFormat } from "../formats/formatter.js";
import { openBroker } from "./broker/broker.js";
import { DeliverySink } from "./delivery/delivery-sink.js";
import type { Transport } from "./delivery/transport.js";
import { HttpTransport } from "./http.js";
import type { NetworkDestination } from "./network-url.js";
import { SinkError } from "./sink.js";
import { SocketTransport } from "./socket.js";
import { HecTransport, hecEncoder } from "./splunk-hec.js";
import { syslogEncoder } from "./syslog.js";
import { tlsConnectionOptions } from "./tls.js";
import { UdpTransport } from "./udp.js";

export interface NetworkOpenOptions {
  /** --retry-for in ms (Infinity = forever), unless the URL says otherwise. */
  retryForMs: number;
  /** The format this output's events are written in (its own, or --format). */
  format: OutputFormat;
  log?: ((line: string) => void) | undefined;
}

const LF = Buffer.from("\n");

/** An event as a line: the text and a line feed. */
function line(text: Buffer): Buffer {
  return Buffer.concat([text, LF], text.length + 1);
}

/** The event text alone, copied: a record must not keep the whole batch it came from in memory. */
function copy(text: Buffer): Buffer {
  return Buffer.from(text);
}

export async function openNetwork(d: NetworkDestination, options: NetworkOpenOptions): Promise<DeliverySink> {
  // Kafka, AMQP, NATS, S3 (broker/).
  if (d.broker !== undefined) return openBroker(d, options);
  let transport: Transport;
  let encode: (text: Buffer) => Buffer;
  try {
    const tls = d.tls === undefined ? undefined : await tlsConnectionOptions(d.tls, d.host);
    const timeoutMs = d.delivery.timeoutMs;
    const socket = () => new SocketTransport({ host: d.host, port: d.port, tls, timeoutMs });
    switch (d.scheme) {
      case "syslog+udp":
      case "udp":
        transport = new UdpTransport(d.host, d.port);
        encode = d.syslog === undefined ? copy : syslogEncoder(d.syslog, "none");
        break;
      case "syslog+tcp":
      case "syslog+tls":
        transport = socket();
        encode = syslogEncoder(d.syslog as NonNullable<typeof d.syslog>, d.syslog?.framing ?? "octet");
        break;
      case "tcp":
      case "tls":
        transport = socket();
        encode = line;
        break;
      case "http":
      case "https": {
        const http = d.http as NonNullable<typeof d.http>;
        const type = http.contentType ?? (options.format === "json" ? "application/x-ndjson" : "text/plain");
        transport = new HttpTransport({ ...http, timeoutMs, tls }, type);
        encode = line;
        break;
      }
      case "splunk+http":
      case "splunk+https": {
        const http = d.http as NonNullable<typeof d.http>;
        const hec = d.hec as NonNullable<typeof d.hec>;
        const token = hec.token ?? (await readToken(hec.tokenFile as string));
        const settings = { ...hec, token };
        transport = new HecTransport({ ...http, timeoutMs, tls }, settings);
        encode = hecEncoder(settings, options.format === "json");
        break;
      }
      default:
        throw new Error(`${d.scheme} outputs are opened by openBroker`);
    }
  } catch (err) {
    throw new SinkError(d.name, err);
  }
  const udp = d.scheme === "udp" || d.scheme === "syslog+udp";
  return DeliverySink.open({
    name: d.name,
    transport,
    encode,
    bufferBytes: d.delivery.bufferBytes,
    batchBytes: d.delivery.batchBytes,
    retryForMs: d.delivery.retryForMs ?? options.retryForMs,
    spool: d.delivery.spool,
    bestEffort: udp,
    maxRecordBytes: udp ? d.maxDatagram : undefined,
    log: options.log,
  });
}

async function readToken(path: string): Promise<string> {
  let token: string;
  try {
    token = (await readFile(path, "utf8")).trim();
  } catch (err) {
    throw new Error(`cannot read the HEC token file ${path}: ${(err as Error).message}`);
  }
  if (token === "") throw new Error(`the HEC token file ${path} is empty`);
  return token;
}
