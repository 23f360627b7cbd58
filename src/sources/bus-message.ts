// One bus message body → typed events (BUS.md §4 and §6): single events, plain bundles and zip bundles,
// with the endpoint identity from the AMQP headers for records that carry no `env`. JSON notifications are
// handed back untouched (normalizeNotification in src/formats/notification.ts turns them into documents).
import type { Damage } from "../decode/damage.js";
import { decodeRecord, type RecordContext, type SensorEvent } from "../decode/event.js";
import { type FramedRun, Framer, frameBuffer } from "../decode/framing.js";
import { hasZipSignature, listZip, zipMembers } from "./zip.js";

export const RAW_SENSOR_EXCHANGE = "api.rawsensordata";

export interface BusMessage {
  body: Buffer;
  routingKey: string;
  /** AMQP content_type; when missing (files without properties) the decoder is guessed from the body. */
  contentType?: string | undefined;
  exchange?: string | undefined;
  headers?: Record<string, unknown> | undefined;
  /** Names the message in damage reports (zip members as `<name>!<member>`). */
  name?: string | undefined;
}

export interface BusDecodeOptions {
  /** Framing limit per record (ARCHIVE.md §5.4). Default 64 MiB. */
  maxRecordBytes?: number;
  /** Inflated size limit per zip member. Default 256 MiB. */
  maxMemberBytes?: number;
  /**
   * Bundles' records come back undecoded, as runs of bytes (BusDecodeResult.runs) for a direct writer: framing
   * damage is reported here, decoding damage by whoever formats them. Single events are decoded all the same.
   */
  runs?: boolean;
}

/** A bundle's (or zip member's) complete records, as they stand, with the identity of the message's headers. */
export interface BusRun extends FramedRun {
  context: RecordContext;
}

export interface BusNotification {
  body: Buffer;
  routingKey: string;
}

/** How the body was read: `none` for an unknown content type. */
export type BusDecoder = "zip" | "bundle" | "event" | "json" | "none";

export interface BusDecodeResult {
  events: SensorEvent[];
  /** With the `runs` option: the bundles' records, undecoded. */
  runs: BusRun[];
  damages: Damage[];
  /** Set for `application/json` bodies. */
  notification?: BusNotification;
  decoder: BusDecoder;
}

/** A header of the wrong type: the message's records cannot be given an identity (BUS.md §4.1). */
export class BusHeaderError extends Error {
  override name = "BusHeaderError";
}

/** Identity from the headers, plus the two ids that have no place in RecordContext. */
export interface BusIdentity extends RecordContext {
  hostId?: bigint | undefined;
  nodeId?: number | undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The forwarder's header rules: integers as int16/32/64 (here: integer number or bigint) or a decimal string;
 * any other type, or null, throws BusHeaderError. Missing headers stay unset. sensorId and nodeId are
 * int32 in the record's env, so they wrap like Go's int32(x).
 */
export function parseBusHeaders(headers: Record<string, unknown> = {}): BusIdentity {
  const identity: BusIdentity = { sensorIdSource: "bus-header" };
  const hostId = integerHeader(headers, "hostId");
  if (hostId !== undefined) identity.hostId = hostId;
  const hostName = headers.sensorHostName;
  if (hostName !== undefined) {
    if (typeof hostName !== "string") throw new BusHeaderError(`header sensorHostName is not a string`);
    identity.computerName = hostName;
  }
  const sensorId = integerHeader(headers, "sensorId");
  if (sensorId !== undefined) identity.sensorId = Number(BigInt.asIntN(32, sensorId));
  const nodeId = integerHeader(headers, "nodeId");
  if (nodeId !== undefined) identity.nodeId = Number(BigInt.asIntN(32, nodeId));
  return identity;
}

function integerHeader(headers: Record<string, unknown>, key: string): bigint | undefined {
  const value = headers[key];
  if (value === undefined) return undefined;
  const parsed = toInt64(value);
  if (parsed === undefined) {
    throw new BusHeaderError(`header ${key} is not an integer or a decimal string: ${describeValue(value)}`);
  }
  return parsed;
}

function toInt64(value: unknown): bigint | undefined {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
  // Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits only.
  else if (typeof value === "string" && /^[+-]?[0-9]+$/.test(value)) n = BigInt(value);
  else return undefined;
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (Buffer.isBuffer(value)) return `${value.length}-byte buffer`;
  return typeof value === "number" ? String(value) : typeof value;
}

/** Decodes one message per BUS.md §6 (3.8 rules). Never throws on bad data: problems come back as damage. */
export function decodeBusMessage(message: BusMessage, options: BusDecodeOptions = {}): BusDecodeResult {
  const decoder = selectDecoder(message, options);
  const out: BusDecodeResult = { events: [], runs: [], damages: [], decoder };
  switch (decoder) {
    case "json":
      out.notification = { body: message.body, routingKey: message.routingKey };
      break;
    case "event":
      decodeSingleEvent(message, out);
      break;
    case "zip":
    case "bundle":
      decodeBundles(message, decoder, options, out);
      break;
    case "none":
      out.damages.push(badMessage(message.name, `unknown content type "${message.contentType}"`));
      break;
  }
  return out;
}

function selectDecoder(message: BusMessage, options: BusDecodeOptions): BusDecoder {
  const type = normalizeContentType(message.contentType);
  if (type === undefined) return guessDecoder(message.body, options);
  if (type === "application/json") return "json";
  if (type === "application/zip") return "zip";
  if (type !== "application/protobuf") return "none";
  // 3.8: protobuf on the bundle exchange may be a zip too; the zip reader falls back to a plain bundle.
  if (message.exchange === RAW_SENSOR_EXCHANGE) return "zip";
  if (message.exchange !== undefined) return "event";
  // No exchange known (a converted file): tell a zip, a bare event and a bundle apart by their bytes.
  return hasZipSignature(message.body) ? "zip" : guessEventOrBundle(message.body, options);
}

/** Types are case-insensitive and may carry parameters: the forwarder compares exactly, we are lenient. */
function normalizeContentType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(";")[0].trim().toLowerCase();
  return type === "" ? undefined : type;
}

function guessDecoder(body: Buffer, options: BusDecodeOptions): BusDecoder {
  if (startsWithBrace(body)) return "json";
  if (hasZipSignature(body)) return "zip";
  return guessEventOrBundle(body, options);
}

/**
 * A bare event if it decodes as one, else a bundle. A body that frames exactly into records is taken as a
 * bundle first: a bare event practically never does (its first bytes read as a huge length), while a bundle
 * can, rarely, also pass as one protobuf message (field-0 bytes are skipped as unknown fields).
 */
function guessEventOrBundle(body: Buffer, options: BusDecodeOptions): BusDecoder {
  const framed = frameBuffer(body, { maxRecordBytes: options.maxRecordBytes });
  if (framed.frames.length > 0 && framed.damages.length === 0) return "bundle";
  return decodeRecord(body).ok ? "event" : "bundle";
}

/**
 * `{` then `"` or `}` (whitespace allowed around): a bare `{` is not enough, as a record starting with the
 * header tag 0x0a (a newline) and a 123-byte header (0x7b) would pass.
 */
function startsWithBrace(body: Buffer): boolean {
  let i = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  i = skipJsonSpace(body, i);
  if (body[i] !== 0x7b) return false;
  const next = body[skipJsonSpace(body, i + 1)];
  return next === 0x22 || next === 0x7d;
}

function skipJsonSpace(body: Buffer, from: number): number {
  let i = from;
  while (i < body.length && JSON_SPACE.has(body[i])) i++;
  return i;
}

const JSON_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** One bare CbEventMsg (api.events): identity from `env`; the headers matter only when `env` is absent. */
function decodeSingleEvent(message: BusMessage, out: BusDecodeResult): void {
  let identity: RecordContext = {};
  let headerError: string | undefined;
  try {
    identity = recordContext(parseBusHeaders(message.headers));
  } catch (err) {
    if (!(err instanceof BusHeaderError)) throw err;
    headerError = err.message;
  }
  const result = decodeRecord(message.body, { ...identity, file: message.name }, 0);
  if (!result.ok) {
    out.damages.push({ ...result.damage, index: 0 });
  } else if (headerError !== undefined && result.event.msg.env === undefined) {
    out.damages.push(
      badMessage(message.name, `record has no env and the headers are unusable: ${headerError}`),
    );
  } else {
    out.events.push(result.event);
  }
}

/** Zip bundle (every member a plain bundle) or plain bundle, all records with the identity of the headers. */
function decodeBundles(
  message: BusMessage,
  decoder: "zip" | "bundle",
  options: BusDecodeOptions,
  out: BusDecodeResult,
): void {
  const { body, name } = message;
  if (body.length === 0) {
    out.damages.push(badMessage(name, "empty body"));
    return;
  }
  let identity: RecordContext;
  try {
    identity = recordContext(parseBusHeaders(message.headers));
  } catch (err) {
    if (!(err instanceof BusHeaderError)) throw err;
    // 3.8 rejects every env-less record of the body; bundle records never carry env (ARCHIVE.md §4).
    out.damages.push(badMessage(name, `headers are unusable, body dropped: ${err.message}`));
    return;
  }
  if (decoder === "bundle") {
    decodePlainBundle(body, { ...identity, file: name }, options, out);
  } else {
    decodeZipBundle(message, identity, options, out);
  }
}

function decodeZipBundle(
  message: BusMessage,
  identity: RecordContext,
  options: BusDecodeOptions,
  out: BusDecodeResult,
): void {
  const { body, name } = message;
  const listing = listZip(body);
  if (!listing.ok) {
    // Servers before 5.2.0 P4 labelled plain bundles as zip; a body that starts like a ZIP is a broken one.
    if (hasZipSignature(body)) {
      out.damages.push(badMessage(name, `damaged ZIP: ${listing.reason}`));
    } else {
      out.decoder = "bundle";
      decodePlainBundle(body, { ...identity, file: name }, options, out);
    }
    return;
  }
  for (const item of zipMembers(body, listing.entries, { maxMemberBytes: options.maxMemberBytes })) {
    const file = `${name ?? "<message>"}!${item.name}`;
    if ("data" in item) decodePlainBundle(item.data, { ...identity, file }, options, out);
    else out.damages.push(badMessage(file, `zip member cannot be read, skipped: ${item.reason}`));
  }
}

/** ARCHIVE.md §3 framing; undecodable records are skipped, a framing error ends this bundle. */
function decodePlainBundle(
  bundle: Buffer,
  context: RecordContext,
  options: BusDecodeOptions,
  out: BusDecodeResult,
): void {
  if (options.runs === true) {
    const framer = new Framer({ file: context.file, maxRecordBytes: options.maxRecordBytes });
    const damages: Damage[] = [];
    const run = framer.pushRun(bundle, damages);
    framer.end(damages);
    if (run !== undefined) out.runs.push({ ...run, context });
    out.damages.push(...damages);
    return;
  }
  const { frames, damages } = frameBuffer(bundle, {
    file: context.file,
    maxRecordBytes: options.maxRecordBytes,
  });
  for (const frame of frames) {
    const result = decodeRecord(frame.payload, context, frame.offset);
    if (result.ok) out.events.push(result.event);
    else out.damages.push({ ...result.damage, index: frame.index });
  }
  out.damages.push(...damages);
}

function recordContext(identity: BusIdentity): RecordContext {
  return {
    sensorId: identity.sensorId,
    sensorIdSource: identity.sensorIdSource,
    computerName: identity.computerName,
  };
}

function badMessage(file: string | undefined, message: string): Damage {
  return { kind: "bad-message", file, offset: 0, message };
}

// ---- Captured AMQP properties ----

export interface PropertiesCapture {
  contentType?: string | undefined;
  headers: Record<string, unknown>;
  /** Every property as written, e.g. `delivery_mode` → "1". */
  properties: Record<string, string>;
}

/**
 * Parses a Python repr of pika's BasicProperties, as saved next to captured bodies:
 * `<BasicProperties(['content_type=application/zip', "headers={'sensorId': 1L, ...}", 'priority=0'])>`.
 * Header integers become numbers (bigint beyond 2^53), `u'…'`/`'…'` strings become strings.
 * Throws on bad input.
 */
export function parsePropertiesCapture(text: string): PropertiesCapture {
  const match = /^\s*<BasicProperties\(([\s\S]*)\)>\s*$/.exec(text);
  if (match === null) throw new Error("not a BasicProperties capture");
  const items = new PyLiteralParser(match[1]).parseAll();
  if (!Array.isArray(items)) throw new Error("BasicProperties capture does not hold a list");
  const capture: PropertiesCapture = { headers: {}, properties: {} };
  for (const item of items) {
    if (typeof item !== "string" || !item.includes("="))
      throw new Error(`bad property entry ${String(item)}`);
    const eq = item.indexOf("=");
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    capture.properties[key] = value;
    if (key === "content_type") capture.contentType = value;
    if (key === "headers") capture.headers = parseHeadersLiteral(value);
  }
  return capture;
}

function parseHeadersLiteral(text: string): Record<string, unknown> {
  const value = new PyLiteralParser(text).parseAll();
  if (value === null) return {};
  if (typeof value !== "object" || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new Error("headers are not a dict");
  }
  return value as Record<string, unknown>;
}

type PyValue = string | number | bigint | boolean | null | Buffer | PyValue[] | { [key: string]: PyValue };

/** Enough Python 2/3 literal syntax for pika's repr: str/bytes, int/long, float, bool, None, list, dict. */
class PyLiteralParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseAll(): PyValue {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) this.fail("unexpected text after the value");
    return value;
  }

  private value(): PyValue {
    this.space();
    const c = this.text[this.pos];
    if (c === "[" || c === "(") return this.sequence(c === "[" ? "]" : ")");
    if (c === "{") return this.dict();
    const word = /^[A-Za-z_]+/.exec(this.text.slice(this.pos))?.[0];
    if (
      word !== undefined &&
      /^(u|b|r|ur|br|rb)?$/i.test(word) &&
      /['"]/.test(this.text[this.pos + word.length])
    ) {
      return this.string(word.toLowerCase());
    }
    if (c === "'" || c === '"') return this.string("");
    if (word === "True" || word === "False" || word === "None") {
      this.pos += word.length;
      return word === "None" ? null : word === "True";
    }
    return this.number();
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    while (!this.accept(close)) {
      items.push(this.value());
      if (!this.accept(",")) {
        this.expect(close);
        break;
      }
    }
    return items;
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    const dict: { [key: string]: PyValue } = {};
    while (!this.accept("}")) {
      const key = this.value();
      if (typeof key !== "string" && typeof key !== "number" && typeof key !== "bigint")
        this.fail("bad dict key");
      this.expect(":");
      dict[String(key)] = this.value();
      if (!this.accept(",")) {
        this.expect("}");
        break;
      }
    }
    return dict;
  }

  private string(prefix: string): string | Buffer {
    this.pos += prefix.length;
    const quote = this.text.startsWith(this.text[this.pos].repeat(3), this.pos)
      ? this.text[this.pos].repeat(3)
      : this.text[this.pos];
    this.pos += quote.length;
    const raw = prefix.includes("r");
    const bytes = prefix.includes("b");
    let out = "";
    while (!this.text.startsWith(quote, this.pos)) {
      if (this.pos >= this.text.length) this.fail("unterminated string");
      const c = this.text[this.pos++];
      out += c === "\\" && !raw ? this.escape(bytes) : c;
    }
    this.pos += quote.length;
    return bytes ? Buffer.from(out, "latin1") : out;
  }

  private escape(bytes: boolean): string {
    const c = this.text[this.pos++];
    const simple: Record<string, string> = {
      "\n": "",
      "\\": "\\",
      "'": "'",
      '"': '"',
      a: "\x07",
      b: "\b",
      f: "\f",
      n: "\n",
      r: "\r",
      t: "\t",
      v: "\v",
    };
    if (c in simple) return simple[c];
    if (c === "x") return this.hexEscape(2);
    if (c === "u" && !bytes) return this.hexEscape(4);
    if (c === "U" && !bytes) return this.hexEscape(8);
    if (c >= "0" && c <= "7") {
      const digits = /^[0-7]{1,3}/.exec(this.text.slice(this.pos - 1))?.[0] ?? c;
      this.pos += digits.length - 1;
      return String.fromCodePoint(Number.parseInt(digits, 8));
    }
    return `\\${c}`;
  }

  private hexEscape(length: number): string {
    const digits = this.text.slice(this.pos, this.pos + length);
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== length) this.fail("bad hex escape");
    this.pos += length;
    return String.fromCodePoint(Number.parseInt(digits, 16));
  }

  private number(): number | bigint {
    const m = /^[+-]?(?:(\d+)[lL]?(?![.eE\d])|\d*\.?\d+(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.pos));
    if (m === null || m[0] === "") this.fail("expected a value");
    this.pos += m[0].length;
    if (m[1] === undefined) return Number(m[0]);
    const n = BigInt(m[0].replace(/[lL]$/, ""));
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private accept(token: string): boolean {
    this.space();
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.accept(token)) this.fail(`expected "${token}"`);
  }

  private fail(why: string): never {
    throw new Error(`properties capture: ${why} at character ${this.pos}`);
  }
}
