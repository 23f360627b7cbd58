// S3 (and S3-compatible) archive output: each delivery batch becomes one object, gzipped, named by host and time
// (PREFIX/HOST/YYYY/MM/DD/HOST-YYYYMMDDTHHMMSSmmmZ-PID-N.jsonl.gz) so that no object is ever overwritten by
// another node or run. Batches are held back until they reach object_bytes or are object_seconds old (the
// delivery layer's linger) unless a checkpoint waits for them: without a spool every checkpoint closes the current
// object, with spool=DIR objects roll by size and time only. Objects larger than part_bytes go up as a multipart
// upload. A batch is accepted once S3 has stored the whole object; a batch sent again after a failure reuses its
// key, so a retry replaces the object rather than adding a second copy.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { hostname } from "node:os";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { DeliveryError, type Transport } from "../delivery/transport.js";
import { isCertificateError } from "../tls.js";
import { type Credentials, findCredentials, sign, uriEncode } from "./s3-sign.js";

const gzip = promisify(gzipCallback);

export interface S3Settings {
  kind: "s3";
  bucket: string;
  /** Key prefix, "" or ending in "/". */
  prefix: string;
  region: string;
  /** An S3-compatible endpoint (http(s)://host:port); default AWS's regional endpoint. */
  endpoint?: string | undefined;
  /** Bucket in the path (/bucket/key) rather than the host name; default true with an endpoint. */
  pathStyle: boolean;
  gzip: boolean;
  /** Roll to a new object at this many bytes of events (before compression). */
  objectBytes: number;
  /** ... or when the oldest event waiting is this old. */
  objectSeconds: number;
  /** Objects larger than this (as stored) are uploaded in parts of this size (at least 5 MiB). */
  partBytes: number;
  /** Profile of the shared credentials file. */
  profile?: string | undefined;
  /** The host part of object names (default this host's name). */
  host: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const EXTENSIONS: Record<string, string> = { json: "jsonl", leef: "leef", csv: "csv", table: "txt" };

export class S3Transport implements Transport {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private credentials: Credentials | undefined;
  private sequence = 0;
  /** The last batch and its key: a retry of the same batch writes the same object. */
  private lastBatch: readonly Buffer[] | undefined;
  private lastKey = "";

  constructor(
    private readonly settings: S3Settings,
    private readonly format: string,
    private readonly timeoutMs: number,
  ) {
    const endpoint = settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`;
    this.base = new URL(endpoint);
    if (!settings.pathStyle) this.base.hostname = `${settings.bucket}.${this.base.hostname}`;
    this.agent =
      this.base.protocol === "https:"
        ? new HttpsAgent({ keepAlive: true, maxSockets: 1 })
        : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  async send(records: readonly Buffer[]): Promise<void> {
    if (records !== this.lastBatch) {
      this.lastBatch = records;
      this.lastKey = this.objectKey(new Date());
    }
    this.credentials ??= await findCredentials(this.settings.profile).catch((err: Error) => {
      throw new DeliveryError(err.message, false);
    });
    const text = Buffer.concat(records as Buffer[]);
    const body = this.settings.gzip ? await gzip(text) : text;
    if (body.length <= this.settings.partBytes) await this.put(this.lastKey, body);
    else await this.multipart(this.lastKey, body);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  /** PREFIX/HOST/YYYY/MM/DD/HOST-YYYYMMDDTHHMMSSmmmZ-PID-N.EXT[.gz] */
  private objectKey(now: Date): string {
    const iso = now.toISOString();
    const stamp = iso.replace(/[-:]/g, "").replace(".", "");
    const host = this.settings.host.replace(/[^A-Za-z0-9_.-]/g, "_");
    const ext = `${EXTENSIONS[this.format] ?? "txt"}${this.settings.gzip ? ".gz" : ""}`;
    const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
    return `${this.settings.prefix}${host}/${day}/${host}-${stamp}-${process.pid}-${++this.sequence}.${ext}`;
  }

  private contentType(): string {
    if (this.settings.gzip) return "application/gzip";
    return this.format === "json" ? "application/x-ndjson" : "text/plain";
  }

  private async put(key: string, body: Buffer): Promise<void> {
    check(await this.request("PUT", key, {}, body, { "content-type": this.contentType() }), "PutObject");
  }

  private async multipart(key: string, body: Buffer): Promise<void> {
    const created = check(
      await this.request("POST", key, { uploads: "" }, Buffer.alloc(0), {
        "content-type": this.contentType(),
      }),
      "CreateMultipartUpload",
    );
    const uploadId = xmlValue(created.body, "UploadId");
    if (uploadId === undefined)
      throw new DeliveryError("S3 CreateMultipartUpload answered without UploadId", true);
    try {
      const parts: string[] = [];
      for (let at = 0, n = 1; at < body.length; at += this.settings.partBytes, n++) {
        const part = body.subarray(at, Math.min(body.length, at + this.settings.partBytes));
        const answer = check(
          await this.request("PUT", key, { partNumber: String(n), uploadId }, part, {}),
          "UploadPart",
        );
        const etag = answer.headers.etag;
        if (typeof etag !== "string") throw new DeliveryError("S3 UploadPart answered without ETag", true);
        parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`);
      }
      const xml = Buffer.from(`<CompleteMultipartUpload>${parts.join("")}</CompleteMultipartUpload>`);
      const done = check(
        await this.request("POST", key, { uploadId }, xml, { "content-type": "application/xml" }),
        "CompleteMultipartUpload",
      );
      // S3 may answer 200 and still report an error in the body.
      if (done.body.includes("<Error>"))
        throw new DeliveryError(`S3 CompleteMultipartUpload failed: ${xmlValue(done.body, "Message")}`, true);
    } catch (err) {
      // Parts of an unfinished upload cost storage until aborted (or a lifecycle rule removes them).
      await this.request("DELETE", key, { uploadId }, Buffer.alloc(0), {}).catch(() => undefined);
      throw err;
    }
  }

  private request(
    method: string,
    key: string,
    query: Record<string, string>,
    body: Buffer,
    headers: Record<string, string>,
  ): Promise<Answer> {
    const url = new URL(this.base);
    const basePath = url.pathname.replace(/\/$/, "");
    const bucketPath = this.settings.pathStyle ? `/${uriEncode(this.settings.bucket, false)}` : "";
    url.pathname = `${basePath}${bucketPath}/${uriEncode(key, true)}`;
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const signed = sign(
      { method, url, headers: { ...headers, "content-length": String(body.length) }, body },
      this.credentials as Credentials,
      this.settings.region,
    );
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, agent: this.agent, headers: signed }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", (err) => reject(noAnswer(err, url)));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (err) => reject(noAnswer(err, url)));
      req.end(body);
    });
  }
}

/** The answer if 2xx; otherwise a DeliveryError with S3's code and message (5xx, 429, timeouts are retried). */
function check(answer: Answer, operation: string): Answer {
  if (answer.status >= 200 && answer.status < 300) return answer;
  const code = xmlValue(answer.body, "Code") ?? `HTTP ${answer.status}`;
  const message = xmlValue(answer.body, "Message") ?? "";
  const retryable =
    answer.status >= 500 || answer.status === 429 || answer.status === 408 || code === "RequestTimeout";
  return fail(`S3 ${operation}: ${code}${message === "" ? "" : `: ${message}`}`, retryable);
}

function fail(message: string, retryable: boolean): never {
  throw new DeliveryError(message, retryable);
}

function xmlValue(body: Buffer, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body.toString("utf8"));
  return match?.[1];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function noAnswer(err: Error, url: URL): DeliveryError {
  if (isCertificateError(err))
    return new DeliveryError(`TLS with ${url.host} refused: ${err.message}`, false, { cause: err });
  return new DeliveryError(`no answer from ${url.host}: ${err.message}`, true, { cause: err });
}

export function defaultHost(): string {
  return hostname();
}
