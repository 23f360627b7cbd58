// Test receivers on loopback for the network outputs: free ports, the cbexport command in the background, an
// HTTP server with scripted misbehaviour, a private rsyslogd, a throwaway CA. Tests wait for conditions, never
// for a time, and stop every process they start.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CLI, runCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/follow.js";

export { waitFor };

/** Polls an asynchronous condition until it holds; fails after `timeoutMs` (generous: not a timing test). */
export async function waitUntil(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 60000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cbexport-${prefix}-`));
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A synthetic archive of `events` records (deterministic: the generator's seed is fixed). */
export async function generatedArchive(events: number): Promise<string> {
  const dir = join(tempDir("net-archive"), "archive");
  const result = await runCli(["generate", "--out", dir, "--events", String(events), "--seed", "3"]);
  if (result.code !== 0) throw new Error(`generate failed: ${result.stderr}`);
  return dir;
}

/** The lines `cbexport export` writes for the archive with these options, as the reference. */
export async function expectedLines(archive: string, args: string[] = []): Promise<string[]> {
  const result = await runCli(["export", "--server-name", "cbtest", ...args, archive]);
  if (result.code !== 0) throw new Error(`export failed: ${result.stderr}`);
  return result.stdout.split("\n").filter((line) => line !== "");
}

export function sorted(lines: readonly string[]): string[] {
  return [...lines].sort();
}

export interface BackgroundCli {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `cbexport ARGS` in the background (for tests that start a receiver while it waits). */
export function startCli(args: string[]): BackgroundCli {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const err: Buffer[] = [];
  child.stderr?.on("data", (d: Buffer) => err.push(d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stderr: () => Buffer.concat(err).toString("utf8"), exited };
}

/** Stops a background process if it still runs. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once("close", resolve));
  child.kill("SIGTERM");
  await closed;
}

/** What the HTTP receiver does with one request (numbered from 1, retries included). */
export type HttpAction =
  | { kind: "ok" }
  | { kind: "status"; status: number; retryAfter?: string }
  /** Answer 200, but only after this long (a slow destination). */
  | { kind: "slow"; ms: number }
  /** Never answer (the client's timeout must give up on it). */
  | { kind: "hang" }
  /** Drop the connection and stop listening for this long (the destination goes away). */
  | { kind: "away"; ms: number };

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  /** The body, gunzipped when it came gzipped. */
  body: Buffer;
}

/**
 * An HTTP server that records the body of each request it answers with 2xx, and misbehaves as `plan` says.
 * `handle` may answer a request itself (HEC's ack endpoint) and returns true when it did.
 */
export class HttpReceiver {
  readonly accepted: ReceivedRequest[] = [];
  requests = 0;
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private returning: NodeJS.Timeout | undefined;

  private constructor(
    readonly port: number,
    private readonly plan: (n: number, request: ReceivedRequest) => HttpAction,
    private readonly handle?: (request: ReceivedRequest, res: ServerResponse) => boolean,
    private readonly answer?: (request: ReceivedRequest) => object,
  ) {}

  static async start(
    plan: (n: number, request: ReceivedRequest) => HttpAction = () => ({ kind: "ok" }),
    options: {
      port?: number;
      /** Answers a request itself (true) before the plan is asked. */
      handle?: (request: ReceivedRequest, res: ServerResponse) => boolean;
      /** The JSON body of a 200 answer. */
      answer?: (request: ReceivedRequest) => object;
    } = {},
  ): Promise<HttpReceiver> {
    const port = options.port ?? (await freePort());
    const receiver = new HttpReceiver(port, plan, options.handle, options.answer);
    await receiver.listen();
    return receiver;
  }

  /** Event lines of every accepted body. */
  lines(): string[] {
    return this.accepted.flatMap((r) => r.body.toString("utf8").split("\n")).filter((l) => l !== "");
  }

  listen(): Promise<void> {
    const server = createHttpServer((req, res) => this.onRequest(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
  }

  /** Stops for good (also cancels a pending return after "away"). */
  async stop(): Promise<void> {
    clearTimeout(this.returning);
    await this.close();
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const request: ReceivedRequest = { path: req.url ?? "", headers: req.headers, body };
      if (this.handle?.(request, res)) return;
      this.requests++;
      const action = this.plan(this.requests, request);
      const accept = () => {
        this.accepted.push(request);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(this.answer?.(request) ?? { text: "Success", code: 0 }));
      };
      switch (action.kind) {
        case "ok":
          return accept();
        case "status":
          res.writeHead(
            action.status,
            action.retryAfter === undefined ? {} : { "retry-after": action.retryAfter },
          );
          return void res.end("try later");
        case "slow":
          setTimeout(() => (res.destroyed ? undefined : accept()), action.ms);
          return;
        case "hang":
          this.hanging.add(res);
          return;
        case "away":
          res.destroy();
          void this.close().then(() => {
            this.returning = setTimeout(() => void this.listen(), action.ms);
          });
          return;
      }
    });
  }
}

/** A throwaway CA and a certificate for localhost/127.0.0.1 signed by it, made with openssl. */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=cbexport test CA",
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  writeFileSync(join(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

export function hasRsyslog(): boolean {
  return ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"].some((p) => existsSync(p));
}

export interface RsyslogPorts {
  udp: number;
  tcp: number;
}

/**
 * A private rsyslogd (its own config, pid file and work folder; never the system's) listening on loopback and
 * writing every message it receives to a file, one line each: hostname, app name, facility, severity, message.
 */
export class Rsyslog {
  private constructor(
    private readonly child: ChildProcess,
    readonly output: string,
    readonly ports: RsyslogPorts,
    private readonly log: () => string,
  ) {}

  static async start(tls?: { ca: string; cert: string; key: string }): Promise<Rsyslog> {
    const dir = tempDir("rsyslog");
    const work = join(dir, "work");
    mkdirSync(work);
    const output = join(dir, "received.log");
    const ports = { udp: await freeUdpPort(), tcp: await freePort() };
    const tlsGlobal =
      tls === undefined
        ? ""
        : ` defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="${tls.ca}"` +
          ` defaultNetstreamDriverCertFile="${tls.cert}" defaultNetstreamDriverKeyFile="${tls.key}"`;
    const tlsModule =
      tls === undefined ? "" : ' streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"';
    const config = [
      `global(workDirectory="${work}" maxMessageSize="256k" net.enableDNS="off"${tlsGlobal})`,
      "$RepeatedMsgReduction off",
      'module(load="imudp")',
      `module(load="imtcp"${tlsModule})`,
      `input(type="imudp" address="127.0.0.1" port="${ports.udp}")`,
      `input(type="imtcp" address="127.0.0.1" port="${ports.tcp}")`,
      'template(name="received" type="string" string="%hostname%\\t%app-name%\\t%syslogfacility-text%\\t%syslogseverity-text%\\t%msg%\\n")',
      `action(type="omfile" file="${output}" template="received")`,
      "",
    ].join("\n");
    const configFile = join(dir, "rsyslog.conf");
    writeFileSync(configFile, config);
    const child = spawn("rsyslogd", ["-n", "-f", configFile, "-i", join(dir, "rsyslogd.pid")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log: Buffer[] = [];
    child.stdout?.on("data", (d: Buffer) => log.push(d));
    child.stderr?.on("data", (d: Buffer) => log.push(d));
    const rsyslog = new Rsyslog(child, output, ports, () => Buffer.concat(log).toString("utf8"));
    try {
      await waitUntil("rsyslogd listening", async () => {
        if (child.exitCode !== null) throw new Error(`rsyslogd exited: ${rsyslog.log()}`);
        return listening(ports);
      });
    } catch (err) {
      await rsyslog.stop();
      throw err;
    }
    return rsyslog;
  }

  /** Received lines as [hostname, app, facility, severity, message]. */
  received(): string[][] {
    if (!existsSync(this.output)) return [];
    return readFileSync(this.output, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const fields = line.split("\t");
        return [...fields.slice(0, 4), fields.slice(4).join("\t").trim()];
      });
  }

  async stop(): Promise<void> {
    await stopProcess(this.child);
  }
}

/** True once a TCP connection succeeds and the UDP port is bound by someone else. */
async function listening(ports: RsyslogPorts): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const socket = connect(ports.tcp, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  const udp = await new Promise<boolean>((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(true);
    });
    socket.bind(ports.udp, "127.0.0.1", () => socket.close(() => resolve(false)));
  });
  return tcp && udp;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
