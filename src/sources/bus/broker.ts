// Where and how to connect: the --url (or localhost:5004 with cb.conf credentials, BUS.md §1) and TLS files,
// turned into amqplib's connect and socket options, plus a form of the URL that is safe to log.
import { readFile } from "node:fs/promises";
import type { Options } from "amqplib";
import { type BusCredentials, DEFAULT_CB_CONF, readCbConf } from "./cb-conf.js";

/** The CB server's bus port; also the default when a --url names none (it is a CB tool, not 5672). */
export const CB_BUS_PORT = 5004;
export const DEFAULT_HEARTBEAT_SECONDS = 30;

/** A mistake in the broker settings (exit status 2); the message names the option or file. */
export class BrokerConfigError extends Error {
  override name = "BrokerConfigError";
}

export interface BrokerUrl {
  protocol: "amqp" | "amqps";
  hostname: string;
  port: number;
  vhost: string;
  /** Only when the URL carries user info. */
  credentials?: BusCredentials | undefined;
  heartbeat?: number | undefined;
}

export interface TlsFiles {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  insecure?: boolean | undefined;
}

export interface BrokerSettings {
  url?: string | undefined;
  cbConf?: string | undefined;
  tls?: TlsFiles;
  /** Shown by the broker (rabbitmqctl list_connections user_provided_name), e.g. "cbexport bus cbexport". */
  connectionName?: string | undefined;
}

/** Socket options amqplib passes to net/tls.connect (the subset used here). */
export interface BrokerSocketOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  clientProperties: Record<string, unknown>;
  timeout: number;
}

export interface BrokerConnection {
  connect: Options.Connect;
  socket: BrokerSocketOptions;
  /** The URL with the password hidden, for logs. */
  display: string;
}

/** Parses amqp[s]://user:pass@host:port/vhost. An empty path or "/" is the vhost "/" (BUS.md §1). */
export function parseBrokerUrl(text: string): BrokerUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BrokerConfigError(`--url is not a URL: ${redactUrlText(text)}`);
  }
  const protocol = url.protocol.slice(0, -1).toLowerCase();
  if (protocol !== "amqp" && protocol !== "amqps") {
    throw new BrokerConfigError(`--url must start with amqp:// or amqps:// (got ${url.protocol}//)`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  if (hostname === "") throw new BrokerConfigError("--url names no host");
  const path = decode(url.pathname, "vhost");
  const parsed: BrokerUrl = {
    protocol,
    hostname,
    port: url.port === "" ? CB_BUS_PORT : Number(url.port),
    vhost: path === "" || path === "/" ? "/" : path.slice(1),
  };
  if (url.username !== "" || url.password !== "") {
    parsed.credentials = { user: decode(url.username, "user"), password: decode(url.password, "password") };
  }
  for (const [key, value] of url.searchParams) {
    if (key !== "heartbeat") throw new BrokerConfigError(`--url: unsupported parameter "${key}"`);
    if (!/^\d+$/.test(value)) throw new BrokerConfigError(`--url: heartbeat must be whole seconds`);
    parsed.heartbeat = Number(value);
  }
  return parsed;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BrokerConfigError(`--url: the ${what} is not valid percent-encoding`);
  }
}

/** The URL as the user wrote it, the password replaced (the forwarder logs it the same way). */
export function redactUrlText(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");
}

export function displayUrl(url: BrokerUrl): string {
  const user = url.credentials === undefined ? "" : `${encodeURIComponent(url.credentials.user)}:***@`;
  const host = url.hostname.includes(":") ? `[${url.hostname}]` : url.hostname;
  const vhost = url.vhost === "/" ? "" : encodeURIComponent(url.vhost);
  return `${url.protocol}://${user}${host}:${url.port}/${vhost}`;
}

/**
 * Everything needed to connect. Credentials come from the URL when it has user info, else from cb.conf
 * (--cb-conf, default /etc/cb/cb.conf). Server certificates are verified unless `insecure`.
 */
export async function resolveBroker(settings: BrokerSettings): Promise<BrokerConnection> {
  const url = parseBrokerUrl(settings.url ?? `amqp://localhost:${CB_BUS_PORT}/`);
  if (url.credentials === undefined) {
    const file = settings.cbConf ?? DEFAULT_CB_CONF;
    try {
      url.credentials = await readCbConf(file);
    } catch (err) {
      throw new BrokerConfigError(
        `no bus credentials: ${(err as Error).message} (give --cb-conf FILE or --url amqp://user:password@host:port)`,
      );
    }
  }
  const tls = settings.tls ?? {};
  const socket: BrokerSocketOptions = {
    clientProperties:
      settings.connectionName === undefined ? {} : { connection_name: settings.connectionName },
    timeout: 30_000,
  };
  const usesTls = tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.insecure;
  if (usesTls && url.protocol !== "amqps") {
    throw new BrokerConfigError("--tls-* options need an amqps:// --url");
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new BrokerConfigError("--tls-cert and --tls-key go together (the client certificate and its key)");
  }
  if (tls.ca !== undefined) socket.ca = await readTlsFile("--tls-ca", tls.ca);
  if (tls.cert !== undefined) socket.cert = await readTlsFile("--tls-cert", tls.cert);
  if (tls.key !== undefined) socket.key = await readTlsFile("--tls-key", tls.key);
  if (tls.insecure) socket.rejectUnauthorized = false;
  return {
    connect: {
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      username: url.credentials.user,
      password: url.credentials.password,
      // amqplib percent-decodes the vhost of a connect object once more.
      vhost: encodeURIComponent(url.vhost),
      heartbeat: url.heartbeat ?? DEFAULT_HEARTBEAT_SECONDS,
    },
    socket,
    display: displayUrl(url),
  };
}

async function readTlsFile(option: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new BrokerConfigError(`${option}: cannot read ${file}: ${(err as Error).message}`);
  }
}
