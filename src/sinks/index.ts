// Output destinations named as URLs: "-" is stdout, a plain path or file:// URL is a file. A file:// URL may
// carry rotation options as its query: file:///var/log/x.json?rotate_bytes=1048576&rotate_seconds=3600&gzip=true
import { fileURLToPath } from "node:url";
import { FileSink, type FileSinkOptions } from "./file.js";
import { type RotationOptions, rotates } from "./rotation.js";
import type { Sink } from "./sink.js";
import { stdoutSink } from "./stdout.js";

export type { FileSinkOptions } from "./file.js";
export { FileSink } from "./file.js";
export { type RotationOptions, rotates } from "./rotation.js";
export type { Sink } from "./sink.js";
export { SinkError } from "./sink.js";

export type Destination = { kind: "stdout" } | { kind: "file"; path: string; options: RotationOptions };

/** A destination written wrongly (a usage mistake, not an I/O failure): the message names it. */
export class DestinationError extends Error {
  override name = "DestinationError";
}

/**
 * Reads a destination. `defaults` (e.g. from command-line flags) apply to every file; options in a file://
 * URL's query override them for that file.
 */
export function parseDestination(destination: string, defaults: RotationOptions = {}): Destination {
  if (destination === "-" || destination === "stdout:") return { kind: "stdout" };
  if (destination.startsWith("file://")) return fileUrl(destination, defaults);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(destination))
    throw new DestinationError(`unsupported output ${destination}: only files and "-" (stdout) so far`);
  return { kind: "file", path: destination, options: { ...defaults } };
}

export function openDestination(
  destination: Destination,
  options: Pick<FileSinkOptions, "now" | "deferRotation"> = {},
): Promise<Sink> {
  if (destination.kind === "stdout") return Promise.resolve(stdoutSink());
  return FileSink.open(destination.path, { ...destination.options, ...options });
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
  const query = queryOptions(destination, url.searchParams);
  const options = { ...defaults, ...query };
  if (query.gzip === true && !rotates(options))
    throw new DestinationError(
      `output ${destination}: gzip compresses rotated files; add rotate_bytes or rotate_seconds`,
    );
  return { kind: "file", path, options };
}

function queryOptions(destination: string, params: URLSearchParams): RotationOptions {
  const options: RotationOptions = {};
  for (const [key, value] of params) {
    if (key === "rotate_bytes") options.rotateBytes = positiveInteger(destination, key, value);
    else if (key === "rotate_seconds") options.rotateSeconds = positiveInteger(destination, key, value);
    else if (key === "gzip") options.gzip = flag(destination, value);
    else
      throw new DestinationError(
        `output ${destination}: unknown option "${key}" (known: rotate_bytes, rotate_seconds, gzip)`,
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
