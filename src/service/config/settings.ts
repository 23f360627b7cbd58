// A checked configuration → what the service runs with: each output's destination and format, filters
// compiled, secrets read, defaults applied. Problems found here are reported like schema problems, with the key
// path (the file and line come from LoadedConfig.error).
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { FormatterOptions, OutputFormat } from "../../formats/formatter.js";
import { RAW_EVENT_NAMES } from "../../formats/forwarder.js";
import { normalizeServerUrl } from "../../formats/options.js";
import { DEFAULT_RETRY_FOR_MS, type Destination } from "../../sinks/index.js";
import { DocumentView } from "../../transforms/document-view.js";
import { BASE_KEYS } from "../../transforms/extra-fields.js";
import { EventFilter, FilterError } from "../../transforms/filter.js";
import { parseListen } from "../status-server.js";
import type { ConfigProblem, LoadedConfig } from "./load.js";
import { OutputProblem, outputDestination } from "./outputs.js";
import type { FilterConfig, ServiceConfig, SourceConfig } from "./schema.js";

export interface OutputSettings {
  name: string;
  type: string;
  destination: Destination;
  format: OutputFormat;
  filter: FilterConfig | undefined;
  removeFromOutput: readonly string[] | undefined;
  addToOutput: Readonly<Record<string, string>> | undefined;
  /** Same key after a reload: the output stays open as it is. */
  key: string;
}

export interface EnrichSettings {
  url: string;
  token: string;
  verify: boolean;
  ca: Buffer | undefined;
  ttlMs: number;
  failureTtlMs: number;
  timeoutMs: number;
  waitMs: number;
  concurrency: number;
}

export interface Settings {
  file: string;
  config: ServiceConfig;
  /** Format options shared by every output (each output has its own format and key changes). */
  formatter: FormatterOptions;
  outputs: OutputSettings[];
  sources: { name: string; config: SourceConfig }[];
  state: string | undefined;
  status: string | undefined;
  retryForMs: number;
  enrich: EnrichSettings | undefined;
}

export function resolveSettings(loaded: LoadedConfig): Settings {
  const { config } = loaded;
  const problems: ConfigProblem[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof OutputProblem) problems.push(err.problem);
      else if (err instanceof SettingProblem) problems.push(err.problem);
      else throw err;
      return undefined;
    }
  };
  const profile = config.profile ?? "forwarder";
  const rawEvents = attempt(() => rawEventNames(config.raw_events));
  const formatter: FormatterOptions = {
    format: config.format ?? "json",
    profile,
    serverName: config.server_name ?? hostname(),
    serverUrl: normalizeServerUrl(config.server_url),
    timeFloat: config.time_float ?? false,
    rawEvents,
    legacyMd5Column: config.legacy_md5_column ?? false,
  };
  const enrich = attempt(() => enrichSettings(config));
  const outputs: OutputSettings[] = [];
  const files = new Map<string, string>();
  for (const [name, output] of Object.entries(config.outputs)) {
    const at = ["outputs", name];
    const destination = attempt(() => outputDestination(name, output));
    const format =
      (destination === undefined || destination.kind === "stdout" ? output.format : destination.format) ??
      formatter.format;
    if (format === "leef" && profile === "eventexporter")
      problems.push({ path: [...at, "format"], message: "leef needs profile forwarder or forwarder-3.8" });
    if (destination?.kind === "file") {
      const path = resolve(destination.path);
      const other = files.get(path);
      if (other !== undefined)
        problems.push({ path: [...at, "path"], message: `the same file as output ${other}` });
      files.set(path, name);
    }
    attempt(() => {
      try {
        EventFilter.compile(output.filter, new DocumentView(formatter));
      } catch (err) {
        if (err instanceof FilterError)
          throw new SettingProblem({ path: [...at, "filter", ...err.path], message: err.message });
        throw err;
      }
    });
    for (const key of Object.keys(output.add_to_output ?? {})) {
      if (BASE_KEYS.includes(key) || (enrich !== undefined && key === "computer_sid"))
        problems.push({ path: [...at, "add_to_output", key], message: "documents have this key already" });
      if (format === "table" || format === "csv")
        problems.push({
          path: [...at, "add_to_output"],
          message: `table and csv lines have no place for it (format ${format})`,
        });
    }
    if (destination === undefined) continue;
    outputs.push({
      name,
      type: output.type,
      destination,
      format,
      filter: output.filter,
      removeFromOutput: output.remove_from_output,
      addToOutput: output.add_to_output,
      key: JSON.stringify({ destination, format, retry: config.retry_for }),
    });
  }
  const sources = Object.entries(config.sources).map(([name, source]) => ({ name, config: source }));
  for (const { name, config: source } of sources) {
    if (source.type !== "bus" && source.path === undefined && source.paths === undefined) {
      if (source.type === "follow" || (source.auto !== true && source.archive_properties === undefined))
        problems.push({
          path: ["sources", name, "path"],
          message: `missing (the archive folder${source.type === "export" ? "; or auto: true" : ""})`,
        });
    }
    if (source.type !== "bus" && source.path !== undefined && source.paths !== undefined)
      problems.push({ path: ["sources", name, "paths"], message: "give path or paths, not both" });
    if (source.type !== "bus" && source.remove_damaged === true && source.remove !== true)
      problems.push({ path: ["sources", name, "remove_damaged"], message: "goes with remove: true" });
    if ((source.type === "follow" || source.type === "bus") && config.state === undefined)
      problems.push({
        path: ["state"],
        message: `missing (the folder for the ${source.type} source's state)`,
      });
    if (source.type === "bus") {
      (source.events ?? []).forEach((e, i) => {
        if (!["raw", "notifications", "all"].includes(e.toLowerCase()))
          problems.push({
            path: ["sources", name, "events", i],
            message:
              "expected raw, notifications or all (raw kinds are chosen with raw_events or an output's filter)",
          });
      });
    }
  }
  if (config.status !== undefined) attempt(() => listen(config.status?.listen ?? ""));
  if (problems.length > 0) throw loaded.error(problems);
  return {
    file: loaded.file,
    config,
    formatter,
    outputs,
    sources,
    state: config.state,
    status: config.status?.listen,
    retryForMs:
      config.retry_for === undefined
        ? DEFAULT_RETRY_FOR_MS
        : config.retry_for === "forever"
          ? Number.POSITIVE_INFINITY
          : config.retry_for * 1000,
    enrich,
  };
}

class SettingProblem extends Error {
  constructor(readonly problem: ConfigProblem) {
    super(problem.message);
  }
}

function listen(text: string): void {
  try {
    parseListen(text);
  } catch (err) {
    throw new SettingProblem({ path: ["status", "listen"], message: (err as Error).message });
  }
}

function rawEventNames(names: readonly string[] | undefined): Set<string> | undefined {
  if (names === undefined) return undefined;
  const lower = names.map((n) => n.toLowerCase());
  if (lower.includes("all")) return undefined;
  const known = new Set<string>(RAW_EVENT_NAMES);
  lower.forEach((n, i) => {
    if (!known.has(n))
      throw new SettingProblem({
        path: ["raw_events", i],
        message: `unknown event name (known: ALL, ${RAW_EVENT_NAMES.join(", ")})`,
      });
  });
  return new Set(lower);
}

function enrichSettings(config: ServiceConfig): EnrichSettings | undefined {
  const e = config.enrich;
  if (e === undefined) return undefined;
  const url = e.url ?? config.server_url;
  if (url === undefined)
    throw new SettingProblem({
      path: ["enrich", "url"],
      message: "missing (the CB server's URL, or set server_url)",
    });
  if (!/^https?:\/\/[^/]/i.test(url))
    throw new SettingProblem({ path: ["enrich", "url"], message: "must be an http:// or https:// URL" });
  if ((e.api_token === undefined) === (e.api_token_file === undefined))
    throw new SettingProblem({
      path: ["enrich", "api_token"],
      message: "give api_token or api_token_file (one of them)",
    });
  const token = e.api_token ?? readSecret(e.api_token_file as string, ["enrich", "api_token_file"]);
  let ca: Buffer | undefined;
  if (e.ca !== undefined) {
    try {
      ca = readFileSync(e.ca);
    } catch (err) {
      throw new SettingProblem({
        path: ["enrich", "ca"],
        message: `cannot read it: ${(err as Error).message}`,
      });
    }
  }
  return {
    url,
    token,
    verify: e.verify ?? true,
    ca,
    ttlMs: (e.ttl_seconds ?? 3600) * 1000,
    failureTtlMs: (e.failure_ttl_seconds ?? 60) * 1000,
    timeoutMs: (e.timeout_seconds ?? 10) * 1000,
    waitMs: e.wait_ms ?? 250,
    concurrency: e.concurrency ?? 4,
  };
}

function readSecret(path: string, at: string[]): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new SettingProblem({
      path: at,
      message: `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    });
  }
  if (text === "") throw new SettingProblem({ path: at, message: "the file is empty" });
  return text;
}
