// The CB server's REST API call the original eventExporter.py made for host details (JSON-OUTPUT.md §7.1):
// GET <url>/api/v1/sensor/<id> with the X-Auth-Token header, TLS verified unless told otherwise.
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";

/** The details an event gets from its sensor's record. */
export interface HostDetails {
  computerName?: string | undefined;
  computerSid?: string | undefined;
}

export interface SensorApiOptions {
  /** Base URL of the CB server (https://cb.example.com). */
  url: string;
  token: string;
  /** Verify the server's certificate (default true). */
  verify?: boolean | undefined;
  /** PEM CA certificate(s) to verify it with. */
  ca?: Buffer | undefined;
  timeoutMs: number;
}

/** The largest answer read: a sensor record is a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export class SensorApi {
  private readonly base: URL;

  constructor(private readonly options: SensorApiOptions) {
    this.base = new URL(options.url.endsWith("/") ? options.url : `${options.url}/`);
  }

  /** The URL without credentials, for messages. */
  get name(): string {
    return `${this.base.protocol}//${this.base.host}${this.base.pathname}`;
  }

  /** The sensor's host details; rejects with a message naming the sensor and the cause (never the token). */
  async sensor(id: number): Promise<HostDetails> {
    const body = await this.get(`api/v1/sensor/${id}`, `sensor ${id}`);
    let record: unknown;
    try {
      record = JSON.parse(body);
    } catch {
      throw new Error(`sensor ${id}: the answer is not JSON`);
    }
    if (record === null || typeof record !== "object")
      throw new Error(`sensor ${id}: the answer is not an object`);
    const { computer_name: name, computer_sid: sid } = record as Record<string, unknown>;
    return {
      computerName: typeof name === "string" && name !== "" ? name : undefined,
      computerSid: typeof sid === "string" && sid !== "" ? sid : undefined,
    };
  }

  /** GET a path below the base URL: the answer's text for 2xx, else an error with the status. */
  get(path: string, what: string): Promise<string> {
    const url = new URL(path, this.base);
    const secure = url.protocol === "https:";
    const options: RequestOptions = {
      method: "GET",
      headers: { "X-Auth-Token": this.options.token, Accept: "application/json" },
      timeout: this.options.timeoutMs,
    };
    if (secure) {
      options.rejectUnauthorized = this.options.verify ?? true;
      if (this.options.ca !== undefined) options.ca = this.options.ca;
    }
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else
            reject(
              new Error(
                `${what}: HTTP ${status}${text === "" ? "" : ` ${JSON.stringify(text.slice(0, 120))}`}`,
              ),
            );
        });
        res.on("error", (err) => reject(new Error(`${what}: ${err.message}`)));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.on("error", (err) => reject(new Error(`${what}: ${err.message}`)));
      req.end();
    });
  }
}
