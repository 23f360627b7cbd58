// The status endpoint: /healthz (the process answers), /readyz (sources and outputs connected), /metrics
// (Prometheus) and /status (JSON). Read-only, GET and HEAD only; bind it to localhost or a management network.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { METRICS_CONTENT_TYPE } from "./metrics.js";

export interface Readiness {
  ready: boolean;
  /** Why not, one reason per source or output. */
  reasons: string[];
}

export interface StatusHandlers {
  readiness(): Readiness;
  metrics(): Promise<string>;
  status(): Promise<object>;
}

/** host:port, [v6]:port or a bare port (localhost). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim()) ?? /^()()(\d+)$/.exec(text.trim());
  if (m === null) throw new Error(`"${text}" is not HOST:PORT (e.g. 127.0.0.1:33706)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`"${text}": port must be 0..65535`);
  const host = m[1] ?? (m[2] === "" ? "127.0.0.1" : m[2]);
  return { host, port };
}

export class StatusServer {
  private constructor(
    private readonly server: Server,
    /** As configured (status.listen). */
    readonly listen: string,
    /** As bound (the port chosen by the system for port 0). */
    readonly address: string,
  ) {}

  static listen(listen: string, handlers: StatusHandlers): Promise<StatusServer> {
    const { host, port } = parseListen(listen);
    const server = createServer((req, res) => {
      handle(req, res, handlers).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, "text/plain", `${(err as Error).message}\n`);
        else res.destroy();
      });
    });
    // Scrapes are short: a stuck client must not keep the process from stopping.
    server.keepAliveTimeout = 5000;
    server.requestTimeout = 30000;
    return new Promise((resolve, reject) => {
      server.once("error", (err) => reject(new Error(`status server on ${listen}: ${err.message}`)));
      server.listen(port, host, () => {
        const a = server.address() as AddressInfo;
        const address = a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
        resolve(new StatusServer(server, listen, address));
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, h: StatusHandlers): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    send(res, 405, "text/plain", "method not allowed\n");
    return;
  }
  const path = (req.url ?? "/").replace(/\?.*$/, "");
  switch (path) {
    case "/healthz":
      send(res, 200, "text/plain", "ok\n");
      return;
    case "/readyz": {
      const r = h.readiness();
      send(
        res,
        r.ready ? 200 : 503,
        "text/plain",
        r.ready ? "ready\n" : `not ready\n${r.reasons.map((x) => `- ${x}\n`).join("")}`,
      );
      return;
    }
    case "/metrics":
      send(res, 200, METRICS_CONTENT_TYPE, await h.metrics());
      return;
    case "/status":
      send(res, 200, "application/json", `${JSON.stringify(await h.status(), null, 2)}\n`);
      return;
    default:
      send(res, 404, "text/plain", "not found: try /healthz, /readyz, /metrics or /status\n");
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Cache-Control": "no-store",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
