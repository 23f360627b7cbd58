// Output destinations named as URLs: "-" is stdout, a plain path or file:// URL is a file. A file:// URL may
// carry rotation options as its query: file:///var/log/x.json?rotate_bytes=1048576&rotate_seconds=3600&gzip=true
// Network outputs (syslog+udp://, tcp://, https://, splunk+https://, ...) are read by network-url.ts.
import { fileURLToPath } from "node:url";
import { OUTPUT_FORMATS, type OutputFormat } from "../formats/formatter.js";
import { FileSink, type FileSinkOptions } from "./file.js";
import {
  DestinationError,
  isNetworkUrl,
  NETWORK_SCHEMES,
  type NetworkDestination,
  parseNetworkDestination,
} from "./network-url.js";
import { type RotationOptions, rotates } from "./rotation.js";
import type { Sink } from "./sink.js";
import { stdoutSink } from "./stdout.js";

export { DeliverySink, type SinkReport } from "./delivery/delivery-sink.js";
export type { FileSinkOptions } from "./file.js";
export { FileSink } from "./file.js";
export { DestinationError, NETWORK_SCHEMES, type NetworkDestination } from "./network-url.js";
export { type RotationOptions, rotates } from "./rotation.js";
export type { Sink } from "./sink.js";
export { SinkError } from "./sink.js";

export type Destination =
  | { kind: "stdout" }
  | { kind: "file"; path: string; options: RotationOptions; format?: OutputFormat | undefined }
  | NetworkDestination;

export interface OpenOptions extends Pick<FileSinkOptions, "now" | "deferRotation"> {
  /** Network outputs: how long deliveries may fail before the output gives up (ms; default 300 s). */
  retryForMs?: number | undefined;
  /** The format the output's events are written in (network outputs that wrap them need to know). */
  format?: OutputFormat | undefined;
  /** Network outputs' outage and recovery messages (default stderr). */
  log?: ((line: string) => void) | undefined;
}

export const DEFAULT_RETRY_FOR_MS = 300_000;

/**
 * Reads a destination. `defaults` (e.g. from command-line flags) apply to every file; options in a file://
 * URL's query override them for that file.
 */
export function parseDestination(destination: string, defaults: RotationOptions = {}): Destination {
  if (destination === "-" || destination === "stdout:") return { kind: "stdout" };
  if (destination.startsWith("file://")) return fileUrl(destination, defaults);
  if (isNetworkUrl(destination)) return parseNetworkDestination(destination);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(destination))
    throw new DestinationError(
      `unsupported output ${destination.replace(/\?.*/, "")}: a file, "-" (stdout), file:// or ` +
        `${NETWORK_SCHEMES.map((s) => `${s}://`).join(", ")}`,
    );
  return { kind: "file", path: destination, options: { ...defaults } };
}

export function openDestination(destination: Destination, options: OpenOptions = {}): Promise<Sink> {
  if (destination.kind === "stdout") return Promise.resolve(stdoutSink());
  if (destination.kind === "network")
    // Loaded on demand: the network outputs (TLS, HTTP, syslog, brokers) take ~15 ms to load, which a file or
    // stdout export would pay before its first line.
    return import("./network.js").then(({ openNetwork }) =>
      openNetwork(destination, {
        retryForMs: options.retryForMs ?? DEFAULT_RETRY_FOR_MS,
        format: destination.format ?? options.format ?? "json",
        log: options.log,
      }),
    );
  const { now, deferRotation } = options;
  return FileSink.open(destination.path, { ...destination.options, now, deferRotation });
}

export async function openSink(destination: string, defaults: RotationOptions = {}): Promise<Sink> {
  return openDestination(parseDestination(destination, defaults));
}

function fileUrl(destination: string, defaults: RotationOptions): Destination {
  let url: URL;
  let path: string;
  try {
    url = new URL(destination);
    path = fileURLToPath(url);
  } catch (err) {
    throw new DestinationError(`output ${destination}: ${(err as Error).message}`);
  }
  const format = url.searchParams.get("format") ?? undefined;
  url.searchParams.delete("format");
  if (format !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(format))
    throw new DestinationError(`output ${destination}: format must be one of ${OUTPUT_FORMATS.join(", ")}`);
  const query = queryOptions(destination, url.searchParams);
  const options = { ...defaults, ...query };
  if (query.gzip === true && !rotates(options))
    throw new DestinationError(
      `output ${destination}: gzip compresses rotated files; add rotate_bytes or rotate_seconds`,
    );
  return format === undefined
    ? { kind: "file", path, options }
    : { kind: "file", path, options, format: format as OutputFormat };
}

function queryOptions(destination: string, params: URLSearchParams): RotationOptions {
  const options: RotationOptions = {};
  for (const [key, value] of params) {
    if (key === "rotate_bytes") options.rotateBytes = positiveInteger(destination, key, value);
    else if (key === "rotate_seconds") options.rotateSeconds = positiveInteger(destination, key, value);
    else if (key === "gzip") options.gzip = flag(destination, value);
    else
      throw new DestinationError(
        `output ${destination}: unknown option "${key}" (known: rotate_bytes, rotate_seconds, gzip, format)`,
      );
  }
  return options;
}

function positiveInteger(destination: string, key: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new DestinationError(
      `output ${destination}: ${key} must be a positive whole number (got "${value}")`,
    );
  return n;
}

function flag(destination: string, value: string): boolean {
  // "?gzip" alone means true, as a bare command-line flag would.
  if (["", "true", "1", "yes"].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new DestinationError(`output ${destination}: gzip must be true or false (got "${value}")`);
}
