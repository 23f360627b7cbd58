// Command-line options shared by export and convert, turned into formatter settings.
import { hostname } from "node:os";
import { type FormatterOptions, OUTPUT_FORMATS, type OutputFormat } from "../formats/formatter.js";
import { RAW_EVENT_NAMES } from "../formats/forwarder.js";
import { normalizeServerUrl, PROFILES, type Profile } from "../formats/options.js";

/** A mistake in the command line (exit status 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

export const FORMAT_OPTION_SPECS = {
  format: { type: "string" },
  profile: { type: "string" },
  "server-name": { type: "string" },
  "server-url": { type: "string" },
  "time-float": { type: "boolean" },
  events: { type: "string" },
  "remove-from-output": { type: "string" },
  "legacy-md5-column": { type: "boolean" },
  "sensor-id": { type: "string" },
  output: { type: "string", multiple: true },
  "rotate-bytes": { type: "string" },
  "rotate-seconds": { type: "string" },
  gzip: { type: "boolean" },
  "retry-for": { type: "string" },
  "max-record-bytes": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface ParsedFormatOptions {
  format?: string | undefined;
  profile?: string | undefined;
  "server-name"?: string | undefined;
  "server-url"?: string | undefined;
  "time-float"?: boolean | undefined;
  events?: string | undefined;
  "remove-from-output"?: string | undefined;
  "legacy-md5-column"?: boolean | undefined;
}

export function formatterOptions(values: ParsedFormatOptions): FormatterOptions {
  const format = (values.format ?? "json") as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format))
    throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(", ")}`);
  const profile = (values.profile ?? "forwarder") as Profile;
  if (!PROFILES.includes(profile)) throw new UsageError(`--profile must be one of ${PROFILES.join(", ")}`);
  if (format === "leef" && profile === "eventexporter") {
    throw new UsageError(
      "--format leef needs --profile forwarder or forwarder-3.8 (the original script had no LEEF)",
    );
  }
  const serverUrl = values["server-url"];
  if (serverUrl !== undefined && !/^https?:\/\//i.test(serverUrl.trim())) {
    throw new UsageError(`--server-url must start with http:// or https:// (got "${serverUrl}")`);
  }
  return {
    format,
    profile,
    serverName: values["server-name"] ?? hostname(),
    serverUrl: normalizeServerUrl(serverUrl),
    timeFloat: values["time-float"] ?? false,
    rawEvents: rawEventSelection(values.events),
    removeFromOutput: commaList(values["remove-from-output"]),
    legacyMd5Column: values["legacy-md5-column"] ?? false,
  };
}

function commaList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function rawEventSelection(text: string | undefined): Set<string> | undefined {
  const names = commaList(text)?.map((n) => n.toLowerCase());
  if (names === undefined || names.includes("all")) return undefined;
  const known = new Set<string>(RAW_EVENT_NAMES);
  for (const name of names) {
    if (!known.has(name))
      throw new UsageError(
        `--events: unknown event name "${name}" (known: ALL, ${RAW_EVENT_NAMES.join(", ")})`,
      );
  }
  return new Set(names);
}

export function integerOption(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number (got "${text}")`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max} (got ${text})`);
  return n;
}
