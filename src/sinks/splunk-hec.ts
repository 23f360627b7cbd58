// Splunk HTTP Event Collector (the /services/collector/event endpoint). Each event becomes one envelope
// {"time":…,"host":…,"source":…,"sourcetype":…,"index":…,"event":<document>} whose `event` is the JSON text the
// file output writes, embedded as it is (not parsed and written again: 64-bit values stay exact, key order
// stays). With acknowledgements on, a batch counts as delivered only once HEC says it was indexed.
import { randomUUID } from "node:crypto";
import { DeliveryError, type Transport } from "./delivery/transport.js";
import { checkAnswer, type HttpAnswer, HttpClient, type HttpTarget } from "./http.js";

export interface HecSettings {
  token: string;
  sourcetype: string;
  source?: string | undefined;
  index?: string | undefined;
  host?: string | undefined;
  /** Wait for indexer acknowledgements (the token must have them enabled). */
  ack: boolean;
  /** No acknowledgement within this long: the batch is sent again (default 300 s). */
  ackTimeoutMs?: number | undefined;
  /** Between two acknowledgement polls (default 1 s). */
  ackPollMs?: number | undefined;
  /** X-Splunk-Request-Channel (default: a random UUID per output). */
  channel?: string | undefined;
}

export const DEFAULT_SOURCETYPE = "bit9:carbonblack:json";
export const DEFAULT_HEC_PATH = "/services/collector/event";

/**
 * The encoder for one output. `json`: the event text is a JSON document, embedded as is; otherwise (LEEF, CSV,
 * table) it is embedded as a JSON string. `time` is the document's top-level `timestamp` when it has one.
 */
export function hecEncoder(settings: HecSettings, json: boolean): (line: Buffer) => Buffer {
  let fixed = "";
  if (settings.host !== undefined) fixed += `"host":${JSON.stringify(settings.host)},`;
  if (settings.source !== undefined) fixed += `"source":${JSON.stringify(settings.source)},`;
  fixed += `"sourcetype":${JSON.stringify(settings.sourcetype)},`;
  if (settings.index !== undefined) fixed += `"index":${JSON.stringify(settings.index)},`;
  const tail = Buffer.from("}\n");
  return (line) => {
    const time = json ? topLevelNumber(line, "timestamp") : undefined;
    const head = Buffer.from(`{${time === undefined ? "" : `"time":${time},`}${fixed}"event":`);
    const event = json ? line : Buffer.from(JSON.stringify(line.toString("utf8")));
    return Buffer.concat([head, event, tail], head.length + event.length + tail.length);
  };
}

/**
 * The text of a number under `key` at the top level of a JSON object (not in nested objects or arrays), found
 * by scanning, without parsing the document. Undefined when absent or not a number.
 */
export function topLevelNumber(doc: Buffer, key: string): string | undefined {
  const wanted = Buffer.from(`"${key}"`);
  const n = doc.length;
  let depth = 0;
  let i = 0;
  while (i < n) {
    const c = doc[i] as number;
    if (c === 0x22) {
      const start = i;
      for (i++; i < n && doc[i] !== 0x22; i++) if (doc[i] === 0x5c) i++;
      i++;
      if (depth !== 1 || i - start !== wanted.length || !doc.subarray(start, i).equals(wanted)) continue;
      let j = skipSpace(doc, i);
      // A string followed by ":" is a key; the same text as a value is followed by "," or "}".
      if (doc[j] !== 0x3a) continue;
      j = skipSpace(doc, j + 1);
      let end = j;
      while (end < n && isNumberByte(doc[end] as number)) end++;
      return end > j ? doc.toString("latin1", j, end) : undefined;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    i++;
  }
  return undefined;
}

function skipSpace(doc: Buffer, i: number): number {
  while (i < doc.length && (doc[i] === 0x20 || doc[i] === 0x09 || doc[i] === 0x0a || doc[i] === 0x0d)) i++;
  return i;
}

function isNumberByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

/** POSTs batches of envelopes with `Authorization: Splunk <token>`, then waits for the ack when asked to. */
export class HecTransport implements Transport {
  private readonly client: HttpClient;
  private readonly channel: string;
  private readonly ackUrl: URL;
  private closed = false;

  constructor(
    private readonly target: HttpTarget,
    private readonly settings: HecSettings,
  ) {
    this.client = new HttpClient({
      ...target,
      headers: { ...target.headers, authorization: `Splunk ${settings.token}` },
    });
    this.channel = settings.channel ?? randomUUID();
    this.ackUrl = new URL(target.url);
    this.ackUrl.pathname = target.url.pathname.endsWith("/event")
      ? `${target.url.pathname.slice(0, -"/event".length)}/ack`
      : "/services/collector/ack";
    this.ackUrl.search = "";
    this.ackUrl.searchParams.set("channel", this.channel);
  }

  async send(records: readonly Buffer[]): Promise<void> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.settings.ack) headers["x-splunk-request-channel"] = this.channel;
    const answer = await this.client.post(this.target.url, Buffer.concat(records), headers);
    checkAnswer(answer);
    if (!this.settings.ack) return;
    const ackId = (json(answer) as { ackId?: unknown } | undefined)?.ackId;
    if (typeof ackId !== "number")
      throw new DeliveryError(
        "HEC answered without an ackId: are indexer acknowledgements enabled for this token? (or drop ack=true)",
        false,
      );
    await this.waitForAck(ackId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.close();
  }

  private async waitForAck(ackId: number): Promise<void> {
    const timeoutMs = this.settings.ackTimeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    const body = Buffer.from(JSON.stringify({ acks: [ackId] }));
    const headers = { "content-type": "application/json", "x-splunk-request-channel": this.channel };
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, this.settings.ackPollMs ?? 1000));
      if (this.closed) throw new DeliveryError("closed while waiting for an acknowledgement", true);
      const answer = await this.client.post(this.ackUrl, body, headers, false);
      checkAnswer(answer);
      const acks = (json(answer) as { acks?: Record<string, unknown> } | undefined)?.acks;
      if (acks?.[String(ackId)] === true) return;
      if (Date.now() >= deadline)
        throw new DeliveryError(
          `no acknowledgement for batch ${ackId} within ${Math.round(timeoutMs / 1000)} s; sending it again`,
          true,
        );
    }
  }
}

function json(answer: HttpAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
