// Network outputs named as URLs: the scheme picks the destination, the query carries its options
// (docs/outputs.md lists them all). Everything is checked here, before anything is opened, so a mistake is a
// usage error that names the output (without its query: a token must never show up in a message).
import { hostname } from "node:os";
import { OUTPUT_FORMATS, type OutputFormat } from "../formats/formatter.js";
import { type BrokerSettings, parseBrokerDestination } from "./broker/broker-url.js";
import { BROKER_SCHEMES } from "./broker/schemes.js";
import { DEFAULT_HEC_PATH, DEFAULT_SOURCETYPE, type HecSettings } from "./splunk-hec.js";
import { FACILITIES, SEVERITIES, type SyslogFraming, type SyslogSettings } from "./syslog.js";
import { TLS_VERSIONS, type TlsSettings } from "./tls.js";
import { MAX_DATAGRAM } from "./udp.js";

export const NETWORK_SCHEMES = [
  "syslog+udp",
  "syslog+tcp",
  "syslog+tls",
  "tcp",
  "tls",
  "udp",
  "http",
  "https",
  "splunk+http",
  "splunk+https",
  ...BROKER_SCHEMES,
] as const;
export type NetworkScheme = (typeof NETWORK_SCHEMES)[number];

export interface DeliverySettings {
  bufferBytes?: number | undefined;
  batchBytes?: number | undefined;
  spool?: { dir: string; maxBytes?: number | undefined } | undefined;
  /** Overrides --retry-for for this output; Infinity = forever. */
  retryForMs?: number | undefined;
  timeoutMs?: number | undefined;
}

export interface NetworkDestination {
  kind: "network";
  scheme: NetworkScheme;
  /** The URL without query or credentials: what messages show. */
  name: string;
  host: string;
  port: number;
  /** The output's own format (query `format`), overriding --format. */
  format?: OutputFormat | undefined;
  delivery: DeliverySettings;
  tls?: TlsSettings | undefined;
  syslog?: (SyslogSettings & { framing: SyslogFraming }) | undefined;
  /** udp and syslog+udp: larger datagrams are not sent (counted and reported). */
  maxDatagram?: number | undefined;
  /** http(s) and splunk: the request URL (query removed) and options. */
  http?: { url: URL; gzip: boolean; headers: Record<string, string>; contentType?: string | undefined };
  /** splunk: HEC settings; the token may still have to be read from `tokenFile`. */
  hec?:
    | (Omit<HecSettings, "token"> & { token?: string | undefined; tokenFile?: string | undefined })
    | undefined;
  /** kafka, amqp(s), nats, s3: the broker or store (broker/broker-url.ts). */
  broker?: BrokerSettings | undefined;
}

/** A destination written wrongly (a usage mistake, not an I/O failure): the message names it. */
export class DestinationError extends Error {
  override name = "DestinationError";
}

export const COMMON = [
  "format",
  "buffer_bytes",
  "batch_bytes",
  "spool",
  "spool_max_bytes",
  "retry_for",
  "timeout",
];
export const TLS = ["ca", "cert", "key", "servername", "min_version", "verify"];
const SYSLOG = ["rfc", "facility", "severity", "hostname", "app_name", "msgid"];
const HTTP = ["gzip", "header", "content_type"];
const HEC = [
  "token",
  "token_file",
  "sourcetype",
  "source",
  "index",
  "host",
  "ack",
  "ack_timeout",
  "ack_interval",
  "channel",
];

const DEFAULT_PORTS: Partial<Record<NetworkScheme, number>> = {
  "syslog+udp": 514,
  "syslog+tcp": 514,
  "syslog+tls": 6514,
  http: 80,
  https: 443,
  "splunk+http": 8088,
  "splunk+https": 8088,
};

export function isNetworkUrl(destination: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(destination)?.[1]?.toLowerCase();
  return (NETWORK_SCHEMES as readonly string[]).includes(scheme ?? "");
}

export function parseNetworkDestination(destination: string): NetworkDestination {
  const scheme = (/^([a-z][a-z0-9+.-]*):/i.exec(destination)?.[1] ?? "").toLowerCase() as NetworkScheme;
  if ((BROKER_SCHEMES as readonly string[]).includes(scheme)) return parseBrokerDestination(destination);
  let url: URL;
  try {
    // WHATWG URLs parse host and port only for "special" schemes: read the rest as http.
    url = new URL(`http${destination.slice(scheme.length)}`);
  } catch {
    throw new DestinationError(`output ${redact(destination)}: not a valid URL`);
  }
  const name = `${scheme}://${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  const isHttp = scheme === "http" || scheme === "https";
  const isHec = scheme.startsWith("splunk+");
  const isSyslog = scheme.startsWith("syslog+");
  const isUdp = scheme === "udp" || scheme === "syslog+udp";
  const secure =
    scheme === "tls" || scheme === "syslog+tls" || scheme === "https" || scheme === "splunk+https";
  const known = [
    ...COMMON,
    ...(secure ? TLS : []),
    ...(isSyslog ? SYSLOG : []),
    ...(isSyslog && !isUdp ? ["framing"] : []),
    ...(isUdp ? ["max_datagram"] : []),
    ...(isHttp || isHec ? HTTP : []),
    ...(isHec ? HEC : []),
  ];
  const q = new Query(name, url.searchParams, known);
  if (url.hostname === "") throw new DestinationError(`output ${name}: needs a host`);
  // Read from the text: the URL parser drops a port that is http's default (tcp://host:80).
  const given = /^[^:]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)/.exec(destination)?.[1];
  const port = given === undefined ? DEFAULT_PORTS[scheme] : Number(given);
  if (port !== undefined && (port < 1 || port > 65535))
    throw new DestinationError(`output ${name}: port must be 1..65535`);
  if (port === undefined) throw new DestinationError(`output ${name}: needs a port (${scheme}://HOST:PORT)`);
  if (!isHttp && !isHec && url.pathname !== "/")
    throw new DestinationError(`output ${name}: ${scheme} takes no path`);
  if ((url.username !== "" || url.password !== "") && !isHttp)
    throw new DestinationError(`output ${name}: user and password go only in http(s) URLs`);
  // Brackets of an IPv6 literal are URL syntax, not part of the address.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const spoolMax = q.integer("spool_max_bytes", 1);
  const spoolDir = q.text("spool");
  if (spoolMax !== undefined && spoolDir === undefined)
    throw new DestinationError(`output ${name}: spool_max_bytes needs spool=DIR`);
  const result: NetworkDestination = {
    kind: "network",
    scheme,
    name,
    host,
    port,
    format: q.choice("format", OUTPUT_FORMATS),
    delivery: {
      bufferBytes: q.integer("buffer_bytes", 1),
      batchBytes: q.integer("batch_bytes", 1),
      spool: spoolDir === undefined ? undefined : { dir: spoolDir, maxBytes: spoolMax },
      retryForMs: q.seconds("retry_for", true),
      timeoutMs: q.seconds("timeout", false),
    },
  };
  if (secure) result.tls = tlsSettings(q, name);
  if (isSyslog) result.syslog = syslogSettings(q, name, isUdp);
  if (isUdp) result.maxDatagram = q.integer("max_datagram", 1, MAX_DATAGRAM) ?? MAX_DATAGRAM;
  if (isHttp || isHec) result.http = httpSettings(q, url, port, isHec, secure);
  if (isHec) result.hec = hecSettings(q, name);
  return result;
}

export function tlsSettings(q: Query, name: string): TlsSettings {
  const cert = q.text("cert");
  const key = q.text("key");
  if ((cert === undefined) !== (key === undefined))
    throw new DestinationError(`output ${name}: a client certificate needs both cert=FILE and key=FILE`);
  return {
    ca: q.text("ca"),
    cert,
    key,
    servername: q.text("servername"),
    minVersion: q.choice("min_version", TLS_VERSIONS) ?? "TLSv1.2",
    verify: q.flag("verify") ?? true,
  };
}

function syslogSettings(q: Query, name: string, udp: boolean): SyslogSettings & { framing: SyslogFraming } {
  const rfc = q.choice("rfc", ["5424", "3164"] as const) ?? "5424";
  const framing = q.choice("framing", ["octet", "lf"] as const) ?? "octet";
  return {
    rfc: rfc === "3164" ? 3164 : 5424,
    facility: named(q, name, "facility", FACILITIES, 23) ?? FACILITIES.local0,
    severity: named(q, name, "severity", SEVERITIES, 7) ?? SEVERITIES.info,
    hostname: q.text("hostname") ?? hostname(),
    appName: q.text("app_name") ?? "cbexport",
    msgid: q.text("msgid") ?? "-",
    framing: udp ? "none" : framing,
  };
}

/** A facility or severity by name (local0, info) or number. */
function named(q: Query, name: string, key: string, names: Record<string, number>, max: number) {
  const text = q.text(key);
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : names[text.toLowerCase()];
  if (value === undefined || value > max)
    throw new DestinationError(
      `output ${name}: ${key} must be 0..${max} or one of ${Object.keys(names).join(", ")} (got "${text}")`,
    );
  return value;
}

function httpSettings(
  q: Query,
  url: URL,
  port: number,
  hec: boolean,
  secure: boolean,
): NonNullable<NetworkDestination["http"]> {
  const headers: Record<string, string> = {};
  for (const header of q.all("header")) {
    const colon = header.indexOf(":");
    const key = header.slice(0, colon).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(key))
      throw new DestinationError(
        `output ${q.name}: header must be "Name: value" (got a header without a name)`,
      );
    headers[key.toLowerCase()] = header.slice(colon + 1).trim();
  }
  const target = new URL(url);
  target.search = "";
  target.hash = "";
  target.protocol = secure ? "https:" : "http:";
  target.port = String(port);
  if (url.username !== "" || url.password !== "") {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization ??= `Basic ${Buffer.from(credentials).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  if (hec && (target.pathname === "/" || target.pathname === "")) target.pathname = DEFAULT_HEC_PATH;
  return { url: target, gzip: q.flag("gzip") ?? false, headers, contentType: q.text("content_type") };
}

function hecSettings(q: Query, name: string): NonNullable<NetworkDestination["hec"]> {
  const token = q.text("token");
  const tokenFile = q.text("token_file");
  if ((token === undefined) === (tokenFile === undefined))
    throw new DestinationError(
      `output ${name}: give the HEC token as token=... or token_file=FILE (one of them)`,
    );
  return {
    token,
    tokenFile,
    sourcetype: q.text("sourcetype") ?? DEFAULT_SOURCETYPE,
    source: q.text("source"),
    index: q.text("index"),
    host: q.text("host"),
    ack: q.flag("ack") ?? false,
    ackTimeoutMs: q.seconds("ack_timeout", false),
    ackPollMs: q.seconds("ack_interval", false),
    channel: q.text("channel"),
  };
}

/** The query of one output URL: unknown keys are errors, each value is checked and named in messages. */
export class Query {
  constructor(
    readonly name: string,
    private readonly params: URLSearchParams,
    known: readonly string[],
  ) {
    for (const key of params.keys()) {
      if (!known.includes(key))
        throw new DestinationError(`output ${name}: unknown option "${key}" (known: ${known.join(", ")})`);
    }
  }

  has(key: string): boolean {
    return this.params.has(key);
  }

  all(key: string): string[] {
    return this.params.getAll(key);
  }

  text(key: string): string | undefined {
    const values = this.params.getAll(key);
    if (values.length > 1) throw new DestinationError(`output ${this.name}: ${key} is given more than once`);
    if (values[0] === "") throw new DestinationError(`output ${this.name}: ${key} needs a value`);
    return values[0];
  }

  integer(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const text = this.text(key);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max)
      throw new DestinationError(
        `output ${this.name}: ${key} must be a whole number ${min}..${max} (got "${text}")`,
      );
    return n;
  }

  /** Seconds (decimals allowed) as milliseconds; "forever" when `forever` is allowed. */
  seconds(key: string, forever: boolean): number | undefined {
    const text = this.text(key);
    if (text === undefined) return undefined;
    if (forever && text === "forever") return Number.POSITIVE_INFINITY;
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n))
      throw new DestinationError(
        `output ${this.name}: ${key} must be a number of seconds${forever ? " or forever" : ""} (got "${text}")`,
      );
    return Math.round(n * 1000);
  }

  flag(key: string): boolean | undefined {
    if (!this.params.has(key)) return undefined;
    const text = this.params.get(key) ?? "";
    // "?gzip" alone means true, as a bare command-line flag would.
    if (["", "true", "1", "yes"].includes(text)) return true;
    if (["false", "0", "no"].includes(text)) return false;
    throw new DestinationError(`output ${this.name}: ${key} must be true or false (got "${text}")`);
  }

  choice<T extends string>(key: string, values: readonly T[]): T | undefined {
    const text = this.text(key);
    if (text === undefined) return undefined;
    if (!(values as readonly string[]).includes(text))
      throw new DestinationError(
        `output ${this.name}: ${key} must be one of ${values.join(", ")} (got "${text}")`,
      );
    return text as T;
  }
}

/** A URL for a message when it could not be parsed: everything after "?" may be secret. */
export function redact(destination: string): string {
  const at = destination.indexOf("?");
  return at < 0 ? destination : `${destination.slice(0, at)}?…`;
}
