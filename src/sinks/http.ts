// HTTP(S) POST as a delivery transport: each batch is one request whose body is the events, one per line
// (gzipped on request). A 2xx answer means accepted; 408, 429 and 5xx are worth another try (Retry-After is
// honoured), other answers are not. Connections are kept alive between batches.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { ConnectionOptions } from "node:tls";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { DeliveryError, type Transport } from "./delivery/transport.js";
import { isCertificateError } from "./tls.js";

const gzip = promisify(gzipCallback);

export interface HttpTarget {
  url: URL;
  /** Extra headers (custom ones, Authorization, ...), sent with every request. */
  headers: Record<string, string>;
  gzip: boolean;
  /** No answer within this long: the request is abandoned and tried again (default 30 s). */
  timeoutMs?: number | undefined;
  /** For https: TLS options (see tlsConnectionOptions). */
  tls?: ConnectionOptions | undefined;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Longest answer body kept (for error messages and HEC's JSON answers). */
const ANSWER_LIMIT = 64 * 1024;
/** A Retry-After longer than this is shortened: the retry time (--retry-for) still bounds the wait. */
const MAX_RETRY_AFTER_MS = 300_000;

/** POSTs to one server over kept-alive connections. */
export class HttpClient {
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;

  constructor(private readonly target: HttpTarget) {
    this.timeoutMs = target.timeoutMs ?? 30_000;
    this.agent =
      target.url.protocol === "https:"
        ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...target.tls })
        : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** One POST; throws a retryable DeliveryError when no answer came (refused, reset, timeout). */
  async post(
    url: URL,
    body: Buffer,
    headers: Record<string, string>,
    compress = this.target.gzip,
  ): Promise<HttpAnswer> {
    const payload = compress ? await gzip(body) : body;
    const all: Record<string, string> = {
      ...this.target.headers,
      ...headers,
      "content-length": String(payload.length),
    };
    if (compress) all["content-encoding"] = "gzip";
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { method: "POST", agent: this.agent, headers: all }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < ANSWER_LIMIT) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", (err) => reject(noAnswer(err, url)));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (err) => reject(noAnswer(err, url)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Plain HTTP(S) output: POST the batch to the URL. */
export class HttpTransport implements Transport {
  private readonly client: HttpClient;

  constructor(
    private readonly target: HttpTarget,
    private readonly contentType: string,
  ) {
    this.client = new HttpClient(target);
  }

  async send(records: readonly Buffer[]): Promise<void> {
    const answer = await this.client.post(this.target.url, Buffer.concat(records), {
      "content-type": this.contentType,
    });
    checkAnswer(answer);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** Throws unless the answer is 2xx; retryable for 408, 429 and 5xx. */
export function checkAnswer(answer: HttpAnswer): void {
  const { status } = answer;
  if (status >= 200 && status < 300) return;
  const text = answer.body.toString("utf8").replace(/\s+/g, " ").trim().slice(0, 200);
  const message = `HTTP ${status}${text === "" ? "" : `: ${text}`}`;
  const retryable = status === 408 || status === 429 || status >= 500;
  throw new DeliveryError(message, retryable, { retryAfterMs: retryAfter(answer.headers["retry-after"]) });
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function noAnswer(err: Error, url: URL): DeliveryError {
  const where = `${url.host}`;
  if (isCertificateError(err))
    return new DeliveryError(`TLS with ${where} refused: ${err.message}`, false, { cause: err });
  return new DeliveryError(`no answer from ${where}: ${err.message}`, true, { cause: err });
}
