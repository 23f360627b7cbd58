// Broker and store outputs named as URLs (docs/cluster.md lists every option):
//   kafka://HOST:PORT[,HOST:PORT...]/TOPIC?key={sensor_id}&sasl=scram-sha-512&user=U&password_file=F&tls=true
//   amqp://USER:PASSWORD@HOST:PORT/VHOST?exchange=X&routing_key=ingress.event.{kind}   (amqps:// for TLS)
//   nats://HOST:PORT[,HOST:PORT...]/SUBJECT?stream=S                                   (JetStream)
//   s3://BUCKET/PREFIX?region=R&endpoint=http://127.0.0.1:9000&object_bytes=N&object_seconds=S
// Topics, subjects and routing keys may hold placeholders (route-template.ts). As for every network output,
// everything is checked here, before anything is opened, and messages name the output without credentials or
// query.
import { hostname } from "node:os";
import { OUTPUT_FORMATS } from "../../formats/formatter.js";
import {
  COMMON,
  DestinationError,
  type NetworkDestination,
  type NetworkScheme,
  Query,
  redact,
  TLS,
  tlsSettings,
} from "../network-url.js";
import { RouteTemplate } from "../route-template.js";
import { type AmqpSettings, EXCHANGE_TYPES } from "./amqp.js";
import { type KafkaSettings, SASL_MECHANISMS } from "./kafka.js";
import type { NatsSettings } from "./nats.js";
import type { S3Settings } from "./s3.js";
import type { BrokerScheme } from "./schemes.js";

export type BrokerSettings = KafkaSettings | AmqpSettings | NatsSettings | S3Settings;

const MIB = 1024 * 1024;
/** S3's smallest part (all parts but the last). */
const MIN_PART_BYTES = 5 * MIB;

/** The query keys each scheme takes (a function: network-url.ts, which owns COMMON and TLS, imports this module). */
function known(scheme: BrokerScheme): readonly string[] {
  switch (scheme) {
    case "kafka":
      return [
        ...COMMON,
        ...TLS,
        "tls",
        "key",
        "client_id",
        "idempotent",
        "compression",
        "sasl",
        "user",
        "password_file",
      ];
    case "amqp":
      return [...COMMON, "exchange", "routing_key", "mandatory", "declare", "password_file"];
    case "amqps":
      return [...COMMON, ...TLS, "exchange", "routing_key", "mandatory", "declare", "password_file"];
    case "nats":
      return [
        ...COMMON,
        "ca",
        "cert",
        "key",
        "tls",
        "stream",
        "user",
        "password_file",
        "token_file",
        "creds",
      ];
    case "s3":
      return [
        ...COMMON.filter((k) => k !== "batch_bytes"),
        "region",
        "endpoint",
        "path_style",
        "gzip",
        "object_bytes",
        "object_seconds",
        "part_bytes",
        "profile",
        "host",
      ];
  }
}

const DEFAULT_PORTS: Record<Exclude<BrokerScheme, "s3">, number> = {
  kafka: 9092,
  amqp: 5672,
  amqps: 5671,
  nats: 4222,
};

interface Parts {
  scheme: BrokerScheme;
  name: string;
  user?: string | undefined;
  password?: string | undefined;
  hosts: { host: string; port: number }[];
  /** The path without its leading "/", percent-decoded. */
  path: string;
  q: Query;
}

export function parseBrokerDestination(destination: string): NetworkDestination {
  const p = parts(destination);
  const { q, name } = p;
  const spoolMax = q.integer("spool_max_bytes", 1);
  const spoolDir = q.text("spool");
  if (spoolMax !== undefined && spoolDir === undefined)
    throw new DestinationError(`output ${name}: spool_max_bytes needs spool=DIR`);
  const first = p.hosts[0] ?? { host: "", port: 443 };
  const result: NetworkDestination = {
    kind: "network",
    scheme: p.scheme as NetworkScheme,
    name,
    host: first.host,
    port: first.port,
    format: q.choice("format", OUTPUT_FORMATS),
    delivery: {
      bufferBytes: q.integer("buffer_bytes", 1),
      batchBytes: p.scheme === "s3" ? undefined : q.integer("batch_bytes", 1),
      spool: spoolDir === undefined ? undefined : { dir: spoolDir, maxBytes: spoolMax },
      retryForMs: q.seconds("retry_for", true),
      timeoutMs: q.seconds("timeout", false),
    },
  };
  switch (p.scheme) {
    case "kafka":
      result.broker = kafka(p);
      if (result.broker.tls) result.tls = tlsSettings(q, name);
      break;
    case "amqp":
    case "amqps":
      result.broker = amqp(p);
      if (p.scheme === "amqps") result.tls = tlsSettings(q, name);
      break;
    case "nats":
      result.broker = nats(p);
      break;
    case "s3":
      result.broker = s3(p);
      break;
  }
  return result;
}

function parts(destination: string): Parts {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(destination);
  if (m === null) throw new DestinationError(`output ${redact(destination)}: not a valid URL`);
  const scheme = (m[1] as string).toLowerCase() as BrokerScheme;
  const hostText = m[3] as string;
  const rawPath = m[4] ?? "";
  const name = `${scheme}://${hostText}${rawPath === "/" ? "" : rawPath}`;
  const q = new Query(name, new URLSearchParams(m[5] ?? ""), known(scheme));
  let user: string | undefined;
  let password: string | undefined;
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(":");
    user = decode(name, colon < 0 ? m[2] : m[2].slice(0, colon));
    password = colon < 0 ? undefined : decode(name, m[2].slice(colon + 1));
  }
  if (hostText === "") throw new DestinationError(`output ${name}: needs a host`);
  const hosts =
    scheme === "s3"
      ? [{ host: hostText, port: 443 }]
      : hostText.split(",").map((h) => hostPort(name, h, DEFAULT_PORTS[scheme]));
  return { scheme, name, user, password, hosts, path: decode(name, rawPath.replace(/^\//, "")), q };
}

function hostPort(name: string, text: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(text);
  if (m === null) throw new DestinationError(`output ${name}: "${text}" is not HOST or HOST:PORT`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) throw new DestinationError(`output ${name}: port must be 1..65535`);
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, "$1"), port };
}

function decode(name: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new DestinationError(`output ${name}: bad percent-encoding`);
  }
}

function template(name: string, what: string, text: string): RouteTemplate {
  try {
    return RouteTemplate.parse(text);
  } catch (err) {
    throw new DestinationError(`output ${name}: ${what} ${(err as Error).message}`);
  }
}

/** A password from the URL or password_file=FILE (read when the output opens), not both. */
function password(p: Parts): { password?: string | undefined; passwordFile?: string | undefined } {
  const file = p.q.text("password_file");
  if (file !== undefined && p.password !== undefined)
    throw new DestinationError(
      `output ${p.name}: give the password in the URL or as password_file, not both`,
    );
  return { password: p.password, passwordFile: file };
}

function kafka(p: Parts): KafkaSettings {
  const { q, name } = p;
  if (p.path === "") throw new DestinationError(`output ${name}: needs a topic (kafka://HOST:PORT/TOPIC)`);
  const key = q.text("key") ?? "{sensor_id}";
  const mechanism = q.choice("sasl", SASL_MECHANISMS);
  const user = q.text("user") ?? p.user;
  const secret = password(p);
  if (mechanism === undefined && (user !== undefined || secret.password !== undefined || secret.passwordFile))
    throw new DestinationError(
      `output ${name}: a user and password need sasl=plain|scram-sha-256|scram-sha-512`,
    );
  if (
    mechanism !== undefined &&
    (user === undefined || (secret.password ?? secret.passwordFile) === undefined)
  )
    throw new DestinationError(
      `output ${name}: sasl=${mechanism} needs a user and password (or password_file)`,
    );
  const tls = q.flag("tls") ?? TLS.some((k) => q.has(k));
  return {
    kind: "kafka",
    brokers: p.hosts.map((h) => (h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`)),
    topic: template(name, "topic", p.path),
    key: key === "none" ? undefined : template(name, "key", key),
    clientId: q.text("client_id") ?? `cbexport-${hostname()}`,
    idempotent: q.flag("idempotent") ?? true,
    compression: q.choice("compression", ["gzip", "none"] as const) ?? "gzip",
    tls,
    sasl: mechanism === undefined ? undefined : { mechanism, username: user as string, ...secret },
  };
}

function amqp(p: Parts): AmqpSettings {
  const { q, name } = p;
  const exchange = q.text("exchange");
  if (exchange === undefined)
    throw new DestinationError(`output ${name}: needs exchange=NAME (the exchange events are published to)`);
  const first = p.hosts[0] as { host: string; port: number };
  if (p.hosts.length > 1) throw new DestinationError(`output ${name}: takes one host`);
  const secret = password(p);
  return {
    kind: "amqp",
    tls: p.scheme === "amqps",
    host: first.host,
    port: first.port,
    vhost: p.path === "" ? "/" : p.path,
    user: p.user ?? "guest",
    password: secret.password ?? (secret.passwordFile === undefined ? "guest" : undefined),
    passwordFile: secret.passwordFile,
    exchange,
    routingKey: template(name, "routing_key", q.text("routing_key") ?? "{type}"),
    mandatory: q.flag("mandatory") ?? true,
    declare: q.choice("declare", EXCHANGE_TYPES),
    connectionName: `cbexport output ${hostname()}:${process.pid}`,
  };
}

function nats(p: Parts): NatsSettings {
  const { q, name } = p;
  if (p.path === "") throw new DestinationError(`output ${name}: needs a subject (nats://HOST:PORT/SUBJECT)`);
  const secret = password(p);
  const tls = q.flag("tls") ?? ["ca", "cert", "key"].some((k) => q.has(k));
  const cert = q.text("cert");
  const key = q.text("key");
  if ((cert === undefined) !== (key === undefined))
    throw new DestinationError(`output ${name}: a client certificate needs both cert=FILE and key=FILE`);
  const scheme = tls ? "tls" : "nats";
  return {
    kind: "nats",
    servers: p.hosts.map((h) => `${scheme}://${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`),
    subject: template(name, "subject", p.path),
    stream: q.text("stream"),
    user: q.text("user") ?? p.user,
    ...secret,
    tokenFile: q.text("token_file"),
    credsFile: q.text("creds"),
    tls: tls ? { ca: q.text("ca"), cert, key } : undefined,
    clientName: `cbexport output ${hostname()}:${process.pid}`,
  };
}

function s3(p: Parts): S3Settings {
  const { q, name } = p;
  if (p.user !== undefined)
    throw new DestinationError(
      `output ${name}: S3 credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile=, not the URL`,
    );
  const endpoint = q.text("endpoint");
  if (endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(endpoint))
    throw new DestinationError(`output ${name}: endpoint must be http(s)://HOST[:PORT] (got "${endpoint}")`);
  const prefix = p.path === "" || p.path.endsWith("/") ? p.path : `${p.path}/`;
  return {
    kind: "s3",
    bucket: (p.hosts[0] as { host: string }).host,
    prefix,
    region: q.text("region") ?? process.env.AWS_REGION ?? "us-east-1",
    endpoint,
    pathStyle: q.flag("path_style") ?? endpoint !== undefined,
    gzip: q.flag("gzip") ?? true,
    objectBytes: q.integer("object_bytes", 1) ?? 32 * MIB,
    objectSeconds: (q.seconds("object_seconds", false) ?? 300_000) / 1000,
    partBytes: q.integer("part_bytes", MIN_PART_BYTES) ?? 16 * MIB,
    profile: q.text("profile"),
    host: q.text("host") ?? hostname(),
  };
}
