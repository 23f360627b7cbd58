// A named output of the configuration → the output URL the command line would take (docs/outputs.md), read by
// the same parser: one set of rules and checks for both. Options are keys of the output, not a URL query.
import { pathToFileURL } from "node:url";
import { type Destination, DestinationError, parseDestination } from "../../sinks/index.js";
import type { ConfigProblem, KeyPath } from "./load.js";
import { GENERIC_OUTPUTS, type OutputConfig, type TypedOutputConfig } from "./schema.js";

/** Keys that are the output's place or cbexport's own, not URL options. */
const NOT_QUERY = new Set([
  "type",
  "url",
  "host",
  "port",
  "protocol",
  "tls",
  "path",
  "filter",
  "remove_from_output",
  "add_to_output",
]);

export class OutputProblem extends Error {
  constructor(readonly problem: ConfigProblem) {
    super(problem.message);
  }
}

/** The destination of one output, as `--output URL` would give it. */
export function outputDestination(name: string, output: OutputConfig): Destination {
  const path: KeyPath = ["outputs", name];
  const url = outputUrl(output, path);
  try {
    return parseDestination(url);
  } catch (err) {
    if (!(err instanceof DestinationError)) throw err;
    // "output URL: unknown option "x" (...)" → outputs.NAME.x; other messages name the output as a whole.
    const message = err.message.replace(/^output .*?: /, "");
    const option = /^unknown option "([^"]+)"/.exec(message)?.[1];
    if (option !== undefined)
      throw new OutputProblem({
        path: [...path, option],
        message: `not an option of a ${output.type} output`,
      });
    throw new OutputProblem({ path, message });
  }
}

function outputUrl(output: OutputConfig, path: KeyPath): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(output)) {
    if (NOT_QUERY.has(key) || value === undefined) continue;
    if (key === "header" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [h, v] of Object.entries(value as Record<string, string>))
        query.append("header", `${h}: ${v}`);
    } else if (Array.isArray(value)) {
      for (const v of value) query.append(key, String(v));
    } else query.append(key, String(value as string | number | boolean));
  }
  const q = query.size > 0 ? `?${query}` : "";
  if (GENERIC_OUTPUTS.includes(output.type)) {
    // Outputs known only to src/sinks/: the URL as it is, with the options as its query.
    return `${place(output, path, (s) => (s === output.type ? s : undefined))}${q}`;
  }
  const typed = output as TypedOutputConfig;
  switch (typed.type) {
    case "stdout":
      if (q !== "") throw new OutputProblem({ path, message: "stdout takes only format and filter options" });
      return "-";
    case "file":
      return `${pathToFileURL(typed.path).href}${q}`;
    case "syslog": {
      const base = place(typed, path, (scheme) =>
        scheme.startsWith("syslog+")
          ? scheme
          : ["udp", "tcp", "tls"].includes(scheme)
            ? `syslog+${scheme}`
            : undefined,
      );
      return `${base ?? `syslog+${typed.protocol ?? "udp"}://${hostPort(typed, path, false)}`}${q}`;
    }
    case "tcp": {
      const base = place(typed, path, (s) => (s === "tcp" || s === "tls" ? s : undefined));
      return `${base ?? `${typed.tls === true ? "tls" : "tcp"}://${hostPort(typed, path, true)}`}${q}`;
    }
    case "udp": {
      const base = place(typed, path, (s) => (s === "udp" ? s : undefined));
      return `${base ?? `udp://${hostPort(typed, path, true)}`}${q}`;
    }
    case "http":
      return `${place(typed, path, (s) => (s === "http" || s === "https" ? s : undefined))}${q}`;
    case "splunk":
      return `${place(typed, path, (s) =>
        s === "http" || s === "https" ? `splunk+${s}` : s.startsWith("splunk+") ? s : undefined,
      )}${q}`;
  }
}

/** The output's `url` with its scheme mapped to the output URL's; undefined when it has none. */
function place(
  output: { url?: string | undefined; host?: string | undefined; type: string },
  path: KeyPath,
  scheme: (given: string) => string | undefined,
): string | undefined {
  if (output.url === undefined) return undefined;
  if (output.host !== undefined)
    throw new OutputProblem({
      path: [...path, "host"],
      message: "give either url or host and port, not both",
    });
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(output.url);
  const mapped = match === null ? undefined : scheme(match[1].toLowerCase());
  if (match === null || mapped === undefined)
    throw new OutputProblem({
      path: [...path, "url"],
      message: `not a URL for a ${output.type} output (e.g. ${example(output.type)})`,
    });
  if (match[2].includes("?"))
    throw new OutputProblem({
      path: [...path, "url"],
      message: "options go in keys of the output, not in the URL",
    });
  return `${mapped}://${match[2]}`;
}

function hostPort(
  output: { host?: string | undefined; port?: number | undefined },
  path: KeyPath,
  portNeeded: boolean,
) {
  if (output.host === undefined)
    throw new OutputProblem({ path: [...path, "host"], message: "missing (or give url)" });
  if (output.port === undefined && portNeeded)
    throw new OutputProblem({ path: [...path, "port"], message: "missing (expected a number)" });
  const host = output.host.includes(":") ? `[${output.host}]` : output.host;
  return output.port === undefined ? host : `${host}:${output.port}`;
}

function example(type: string): string {
  switch (type) {
    case "syslog":
      return "tls://siem.example.com:6514";
    case "tcp":
      return "tcp://siem.example.com:5000";
    case "udp":
      return "udp://siem.example.com:5000";
    case "http":
      return "https://collector.example.com/events";
    case "splunk":
      return "https://splunk.example.com:8088/services/collector/event";
    default:
      return `${type}://...`;
  }
}
