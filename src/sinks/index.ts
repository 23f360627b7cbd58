// Output destinations named as URLs: "-" is stdout, a plain path or file:// URL is a file.
import { fileURLToPath } from "node:url";
import { FileSink } from "./file.js";
import type { Sink } from "./sink.js";
import { stdoutSink } from "./stdout.js";

export type { Sink } from "./sink.js";
export { SinkError } from "./sink.js";

export async function openSink(destination: string): Promise<Sink> {
  if (destination === "-" || destination === "stdout:") return stdoutSink();
  if (destination.startsWith("file://")) return FileSink.open(fileURLToPath(destination));
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(destination);
  if (scheme !== null)
    throw new Error(`unsupported output ${destination}: only files and "-" (stdout) so far`);
  return FileSink.open(destination);
}
