// `cbexport check --config FILE`: the configuration as run reads it, then every connection tried without sending
// an event (the forwarder's -check). One line per check; exit 1 when any failed.
import { lookup } from "node:dns/promises";
import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer, connect as netConnect } from "node:net";
import { dirname, resolve } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { parseArgs } from "node:util";
import * as amqp from "amqplib";
import { ConfigError, loadConfig } from "../service/config/load.js";
import type { BusSourceConfig } from "../service/config/schema.js";
import { resolveSettings, type Settings } from "../service/config/settings.js";
import { parseListen } from "../service/status-server.js";
import { makeDirectory } from "../sinks/directory.js";
import type { Destination, NetworkDestination } from "../sinks/index.js";
import { tlsConnectionOptions } from "../sinks/tls.js";
import { archiveLocation, DEFAULT_ARCHIVE_PROPERTIES } from "../sources/archive-properties.js";
import { resolveBroker } from "../sources/bus/broker.js";
import { planSelection } from "../sources/bus/selection.js";
import { SensorApi } from "../transforms/enrich/sensor-api.js";
import { UsageError } from "./options.js";
import { CHECK_HELP } from "./usage.js";

const TIMEOUT_MS = 10_000;

interface Check {
  what: string;
  run: () => Promise<string>;
}

export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  const file = values.config ?? positionals[0];
  if (file === undefined) throw new UsageError("check needs --config FILE.yaml");
  let settings: Settings;
  try {
    settings = resolveSettings(loadConfig(file));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stdout.write(`FAIL configuration ${file}:\n${err.message}\n`);
    return 2;
  }
  process.stdout.write(`ok   configuration ${file}\n`);
  let failed = 0;
  for (const check of checks(settings)) {
    try {
      process.stdout.write(`ok   ${check.what}: ${await check.run()}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`FAIL ${check.what}: ${(err as Error).message}\n`);
    }
  }
  process.stdout.write(failed === 0 ? "every check passed\n" : `${failed} check(s) failed\n`);
  return failed === 0 ? 0 : 1;
}

function checks(settings: Settings): Check[] {
  const out: Check[] = [];
  if (settings.state !== undefined) {
    const state = settings.state;
    out.push({ what: `state folder ${state}`, run: () => writableFolder(state) });
  }
  for (const { name, config } of settings.sources) {
    if (config.type === "bus") out.push({ what: `source ${name} (bus)`, run: () => broker(config) });
    else {
      const roots = config.paths ?? (config.path === undefined ? [] : [config.path]);
      for (const root of roots)
        out.push({ what: `source ${name} (${config.type}) ${root}`, run: () => readableFolder(root) });
      if (config.type === "export" && (config.auto === true || config.archive_properties !== undefined)) {
        const properties = config.archive_properties ?? DEFAULT_ARCHIVE_PROPERTIES;
        out.push({
          what: `source ${name} (export) archive of ${properties}`,
          run: async () => readableFolder(await archiveLocation(properties)),
        });
      }
    }
  }
  for (const output of settings.outputs) {
    const d = output.destination;
    out.push({ what: `output ${output.name} (${describe(d)})`, run: () => destination(d) });
  }
  const e = settings.enrich;
  if (e !== undefined) {
    const api = new SensorApi({
      url: e.url,
      token: e.token,
      verify: e.verify,
      ca: e.ca,
      timeoutMs: TIMEOUT_MS,
    });
    out.push({
      what: `enrichment API ${api.name}`,
      run: async () => {
        await api.get("api/info", "GET /api/info");
        return "the API token is accepted";
      },
    });
  }
  if (settings.status !== undefined) {
    const listen = settings.status;
    out.push({ what: `status endpoint ${listen}`, run: () => bindable(listen) });
  }
  return out;
}

function describe(d: Destination): string {
  return d.kind === "stdout" ? "stdout" : d.kind === "file" ? d.path : d.name;
}

async function destination(d: Destination): Promise<string> {
  if (d.kind === "stdout") return "stdout";
  if (d.kind === "file") {
    const info = await stat(d.path).catch(() => undefined);
    if (info !== undefined) {
      await access(d.path, constants.W_OK);
      return `writable (${info.size} bytes now)`;
    }
    return writableFolder(dirname(resolve(d.path)));
  }
  return network(d);
}

async function network(d: NetworkDestination): Promise<string> {
  if (d.scheme === "udp" || d.scheme === "syslog+udp") {
    const { address } = await lookup(d.host);
    return `${d.host} resolves to ${address} (UDP sends without a connection: nothing more to try)`;
  }
  if (d.scheme === "splunk+http" || d.scheme === "splunk+https") return hecToken(d);
  const tls = d.tls === undefined ? undefined : await tlsConnectionOptions(d.tls, d.host);
  await connect(d.host, d.port, tls);
  return tls === undefined ? "connected" : "connected, certificate verified";
}

function connect(host: string, port: number, tls: object | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const socket =
      tls === undefined
        ? netConnect({ host, port }, () => done())
        : tlsConnect({ ...tls, host, port }, () => done());
    const timer = setTimeout(
      () => fail(new Error(`no connection within ${TIMEOUT_MS / 1000} s`)),
      TIMEOUT_MS,
    );
    socket.on("error", (err) => fail(err));
    function done() {
      clearTimeout(timer);
      socket.end();
      resolvePromise();
    }
    function fail(err: Error) {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`cannot connect to ${host}:${port}: ${err.message}`));
    }
  });
}

/** An empty POST to HEC: "No data" (400, code 5) means the token is good; 401/403 that it is not. */
async function hecToken(d: NetworkDestination): Promise<string> {
  const http = d.http as NonNullable<NetworkDestination["http"]>;
  const hec = d.hec as NonNullable<NetworkDestination["hec"]>;
  const token = hec.token ?? (await readFile(hec.tokenFile as string, "utf8")).trim();
  const tls = d.tls === undefined ? undefined : await tlsConnectionOptions(d.tls, d.host);
  const { status, body } = await post(http.url, { Authorization: `Splunk ${token}` }, tls);
  if (status === 200 || (status === 400 && /"code"\s*:\s*5\b/.test(body)))
    return "HEC reached, the token is accepted";
  throw new Error(`HEC answered ${status} ${body.slice(0, 200)}`);
}

function post(
  url: URL,
  headers: Record<string, string>,
  tls: object | undefined,
): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const secure = url.protocol === "https:";
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: "POST",
        headers: { ...headers, "Content-Length": "0" },
        timeout: TIMEOUT_MS,
        ...(secure ? tls : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on("error", (err) => reject(new Error(`${url.host}: ${err.message}`)));
    req.end();
  });
}

async function broker(config: BusSourceConfig): Promise<string> {
  const selection = planSelection({
    events: (config.events ?? ["all"]).join(","),
    rawSource: config.raw_source,
    bind: config.bind,
    eventsExchange: config.events_exchange,
    rawExchange: config.raw_exchange,
  });
  let url = config.url;
  if (config.username !== undefined || config.password !== undefined) {
    const u = new URL(config.url ?? "amqp://localhost:5004/");
    if (config.username !== undefined) u.username = encodeURIComponent(config.username);
    if (config.password !== undefined) u.password = encodeURIComponent(config.password);
    url = u.href;
  }
  const b = await resolveBroker({
    url,
    cbConf: config.cb_conf,
    tls: {
      ca: config.tls?.ca,
      cert: config.tls?.cert,
      key: config.tls?.key,
      insecure: config.tls?.verify === false ? true : undefined,
    },
    connectionName: `cbexport check ${process.pid}`,
  });
  const model = await amqp.connect(b.connect, b.socket).catch((err: Error) => {
    throw new Error(`cannot connect to ${b.display}: ${err.message}`);
  });
  try {
    for (const exchange of selection.exchanges) {
      const channel = await model.createChannel();
      // A missing exchange closes the channel (404): one channel per check.
      await channel.checkExchange(exchange).catch((err: Error) => {
        throw new Error(
          `exchange "${exchange}" on ${b.display}: ${err.message.replace(/^Operation failed: /, "")}`,
        );
      });
      await channel.close().catch(() => undefined);
    }
  } finally {
    await model.close().catch(() => undefined);
  }
  return `connected to ${b.display}; exchanges ${selection.exchanges.join(", ")} exist`;
}

async function readableFolder(path: string): Promise<string> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`${path}: ${err.code === "ENOENT" ? "does not exist" : err.message}`);
  });
  if (!info.isDirectory()) throw new Error(`${path} is not a folder`);
  await access(path, constants.R_OK | constants.X_OK).catch(() => {
    throw new Error(`${path} is not readable by this user (uid ${process.getuid?.()})`);
  });
  return "readable";
}

async function writableFolder(path: string): Promise<string> {
  await makeDirectory(path).catch((err: Error) => {
    throw new Error(`cannot create ${path}: ${err.message}`);
  });
  await access(path, constants.W_OK | constants.X_OK).catch(() => {
    throw new Error(`${path} is not writable by this user (uid ${process.getuid?.()})`);
  });
  return "writable";
}

function bindable(listen: string): Promise<string> {
  const { host, port } = parseListen(listen);
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      err.code === "EADDRINUSE"
        ? resolvePromise("in use (by a running cbexport run?): not tried")
        : reject(new Error(err.message)),
    );
    server.listen(port, host, () => server.close(() => resolvePromise("can listen")));
  });
}
