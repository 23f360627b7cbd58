// `cbexport import-forwarder-config FILE`: a cb-event-forwarder INI file (FEATURES.md lists its keys) → the
// equivalent `cbexport run` YAML on stdout. Read as the forwarder reads it: `key=value` per line, sections in
// brackets, whole-line comments only — a "# comment" after a value is part of the value, and the YAML says so.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { UsageError } from "./options.js";
import { IMPORT_FORWARDER_HELP } from "./usage.js";

export const DEFAULT_FORWARDER_CONF = "/etc/cb/integrations/event-forwarder/cb-event-forwarder.conf";

export type Ini = Map<string, Map<string, string>>;

/** go-ini as the forwarder uses it: trimmed keys and values, `#`/`;` comment lines, no inline comments. */
export function parseForwarderIni(text: string): Ini {
  const ini: Ini = new Map([["bridge", new Map()]]);
  let section = ini.get("bridge") as Map<string, string>;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header !== null) {
      const name = header[1].trim();
      section = ini.get(name) ?? new Map();
      ini.set(name, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    section.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return ini;
}

export interface Translation {
  config: Record<string, unknown>;
  /** Settings without an equivalent, or read differently than their author probably meant. */
  notes: string[];
}

const RAW_ALL = "ALL";
const NOTIFICATION_KEYS: readonly [string, string][] = [
  ["events_watchlist", "watchlist.#"],
  ["events_feed", "feed.#"],
  ["events_alert", "alert.#"],
  ["events_binary_observed", "binaryinfo.#"],
  ["events_binary_upload", "binarystore.#"],
  ["events_storage_partition", "events.partition.#"],
  ["task_errors", "task.error.logged"],
];
const IGNORED: Readonly<Record<string, string>> = {
  message_processor_count: "cbexport decodes without a worker count to set",
  rabbit_mq_automatic_acking:
    "cbexport always acknowledges after the outputs hold the events (the forwarder ignored the key too)",
  run_metrics: "metrics are always on: /metrics of the status endpoint (Prometheus)",
  carbon_metrics_endpoint: "no Graphite: scrape /metrics instead",
  log_dir: "cbexport logs JSON lines on stderr (journald under systemd)",
  log_size_mb: "logs go to stderr",
  log_backups: "logs go to stderr",
  log_age: "logs go to stderr",
  audit_log: "audit log tailing is not supported",
  dry_run: "no dry run in cbexport run",
  canned_input: "no canned input: use cbexport convert or an export source",
  run_consumer: "not needed",
  api_token: "the forwarder used it for feed report titles; for host details see enrich: in docs/service.md",
  api_verify_ssl: "see enrich.verify",
  api_proxy_url: "no proxy support",
  debug_store: "failing bus messages go to the bus source's dead_letter folder",
  bundle_send_timeout: "batches are sent as soon as they are ready",
  upload_empty_files: "empty batches are never sent",
};

export function translateForwarderConfig(ini: Ini): Translation {
  const notes: string[] = [];
  const bridge = ini.get("bridge") ?? new Map<string, string>();
  const used = new Set<string>();
  /** A value, with a note when it carries what looks like an inline comment the forwarder kept. */
  const get = (key: string, section = bridge, sectionName = "bridge"): string | undefined => {
    if (section === bridge) used.add(key);
    const value = section.get(key);
    if (value !== undefined && /\s[#;]/.test(value))
      notes.push(
        `[${sectionName}] ${key}: the value "${value}" holds an inline comment, which the forwarder kept as part of ` +
          "the value; it is carried over as the forwarder read it: check it",
      );
    return value;
  };
  const bool = (key: string, fallback: boolean, section = bridge, name = "bridge"): boolean => {
    const v = get(key, section, name);
    if (v === undefined) return fallback;
    const parsed = parseGoBool(v);
    if (parsed === undefined) {
      notes.push(`[${name}] ${key}=${v}: not a boolean to the forwarder; it used ${fallback}`);
      return fallback;
    }
    return parsed;
  };
  const config: Record<string, unknown> = {};
  const serverName = get("server_name");
  if (serverName !== undefined && serverName !== "" && serverName.toLowerCase() !== "cbresponse")
    config.server_name = serverName;
  const serverUrl = get("cb_server_url");
  if (serverUrl !== undefined && serverUrl !== "") config.server_url = serverUrl;
  if (bool("use_time_float", false)) config.time_float = true;
  const debug = get("debug");
  if (debug === "1" || parseGoBool(debug ?? "") === true) config.log = { level: "debug" };

  // Raw events: forwarder names, ALL or 0, lower-cased before use.
  const raw = eventList(get("events_raw_sensor"));
  if (raw !== undefined && raw !== RAW_ALL && raw.length > 0) config.raw_events = raw;

  // The bus source.
  const bus: Record<string, unknown> = { type: "bus" };
  const host = get("cb_server_hostname") || "localhost";
  const port = integer(get("rabbit_mq_port"), 5004, "rabbit_mq_port", notes);
  const tlsOn = bool("rabbit_mq_use_tls", false);
  bus.url = `${tlsOn ? "amqps" : "amqp"}://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  const user = get("rabbit_mq_username");
  const password = get("rabbit_mq_password");
  // Either empty: both come from /etc/cb/cb.conf (the forwarder's rule, cbexport's default).
  if (user !== undefined && user !== "" && password !== undefined && password !== "") {
    bus.username = user;
    bus.password = reference("RABBITMQ_PASSWORD");
    notes.push(
      "the bus password is not copied into the YAML: set RABBITMQ_PASSWORD in the service's environment " +
        `(or replace the reference with ${reference("file:/etc/cbexport/rabbitmq.password")})`,
    );
  }
  const tls: Record<string, unknown> = {};
  const ca = get("rabbit_mq_ca_cert");
  if (ca) tls.ca = ca;
  const cert = get("rabbit_mq_cert");
  if (cert) tls.cert = cert;
  const key = get("rabbit_mq_key");
  if (key) tls.key = key;
  if (tlsOn) {
    // The forwarder never verified the broker's certificate.
    if (tls.ca === undefined) {
      tls.verify = false;
      notes.push(
        "the forwarder did not verify the broker's certificate: verify: false is kept; give tls.ca to verify it",
      );
    }
    bus.tls = tls;
  }
  const queue = get("rabbit_mq_queue_name");
  if (queue) bus.queue = queue;
  const patterns: string[] = [];
  for (const [k, pattern] of NOTIFICATION_KEYS) {
    const list = eventList(get(k));
    if (list === RAW_ALL) patterns.push(pattern);
    else if (list !== undefined) patterns.push(...list);
  }
  const wantsRaw = raw !== undefined && (raw === RAW_ALL || raw.length > 0);
  const events: string[] = [];
  if (wantsRaw) events.push("raw");
  if (patterns.length > 0) events.push("notifications");
  if (events.length === 0) notes.push("no events are selected (every events_* key is 0 or missing)");
  bus.events = events.length === 2 ? ["all"] : events;
  const standard = NOTIFICATION_KEYS.map(([, p]) => p);
  if (
    patterns.length > 0 &&
    !(patterns.length === standard.length && patterns.every((p, i) => p === standard[i]))
  )
    bus.bind = patterns;
  if (wantsRaw) bus.raw_source = bool("use_raw_sensor_exchange", false) ? "bundles" : "events";
  config.sources = { bus };
  config.state = "/var/lib/cbexport";

  // The one output.
  config.outputs = { forwarder: output(ini, get, notes) };
  const port2 = integer(get("http_server_port"), 33706, "http_server_port", notes);
  config.status = { listen: `127.0.0.1:${port2}` };
  notes.push(`the status endpoint listens on 127.0.0.1:${port2} (the forwarder listened on every address)`);

  for (const [k, why] of Object.entries(IGNORED))
    if (bridge.has(k)) notes.push(`[bridge] ${k}: not carried over: ${why}`);
  for (const k of bridge.keys()) {
    if (!used.has(k) && IGNORED[k] === undefined && !OUTPUT_KEYS.has(k))
      notes.push(`[bridge] ${k}: unknown key, not carried over`);
  }
  return { config, notes };
}

const OUTPUT_KEYS = new Set([
  "output_type",
  "output_format",
  "outfile",
  "tcpout",
  "udpout",
  "syslogout",
  "httpout",
  "splunkout",
  "s3out",
  "compress_data",
  "compression_type",
  "compression_level",
  "remove_from_output",
  "add_to_output",
]);

type Getter = (key: string, section?: Map<string, string>, name?: string) => string | undefined;

function output(ini: Ini, get: Getter, notes: string[]): Record<string, unknown> {
  const type = (get("output_type") ?? "").trim().toLowerCase();
  const format = (get("output_format") ?? "json").trim().toLowerCase() === "leef" ? "leef" : "json";
  const section = ini.get(type) ?? new Map<string, string>();
  const sget = (key: string) => get(key, section, type);
  const out: Record<string, unknown> = {};
  switch (type) {
    case "file": {
      out.type = "file";
      out.path = get("outfile") ?? "/var/cb/data/event_bridge_output.json";
      notes.push(
        "file output: the forwarder rotated daily and at each start; set rotate_seconds/rotate_bytes as needed",
      );
      if (parseGoBool(get("compress_data") ?? "") === true)
        notes.push(
          "compress_data: cbexport gzips rotated files (gzip: true with rotate_seconds or rotate_bytes)",
        );
      break;
    }
    case "tcp":
    case "udp": {
      const [host, port] = hostPort(get(`${type}out`) ?? "");
      Object.assign(out, { type, host, port: Number(port) || undefined });
      if (type === "tcp") notes.push("tcp output: events end with \\n (the forwarder wrote \\r\\n)");
      break;
    }
    case "syslog": {
      const value = get("syslogout") ?? "";
      const m = /^(tcp\+tls|tcp|udp):(.*)$/i.exec(value);
      const [host, port] = hostPort(m?.[2] ?? value);
      const protocol = m?.[1].toLowerCase() === "tcp+tls" ? "tls" : (m?.[1].toLowerCase() ?? "udp");
      // The forwarder's syslog: facility kern, severity info (<6>), BSD-style header.
      Object.assign(out, {
        type: "syslog",
        protocol,
        host,
        port: Number(port) || 514,
        rfc: 3164,
        facility: "kern",
        severity: "info",
      });
      break;
    }
    case "http":
    case "splunk": {
      const value = get(`${type}out`) ?? "";
      const url = value.replace(/^[^:]*:(?=https?:\/\/)/i, "");
      Object.assign(out, { type, url });
      if (type === "splunk") {
        const token = sget("hec_token");
        if (token !== undefined) {
          out.token = reference("SPLUNK_TOKEN");
          notes.push(
            "the HEC token is not copied into the YAML: set SPLUNK_TOKEN in the service's environment",
          );
        }
      } else {
        const auth = sget("authorization_token");
        if (auth !== undefined) {
          out.header = { Authorization: reference("HTTP_AUTHORIZATION") };
          notes.push(
            "the HTTP authorization token is not copied: set HTTP_AUTHORIZATION in the service's environment",
          );
        }
        const ct = sget("content_type");
        if (ct !== undefined) out.content_type = ct;
        notes.push(
          "http output: events are POSTed one per line, not through the forwarder's http_post_template",
        );
      }
      if (parseGoBool(sget("compress_http_payload") ?? "") === true) out.gzip = true;
      const size = sget("bundle_size_max");
      if (size !== undefined && /^\d+$/.test(size)) out.batch_bytes = Number(size);
      for (const k of [
        "http_post_template",
        "oauth_jwt_client_email",
        "oauth_jwt_private_key",
        "event_text_as_json_byte_array",
      ])
        if (section.has(k)) notes.push(`[${type}] ${k}: not supported, not carried over`);
      break;
    }
    default:
      notes.push(
        `output_type=${type || "(none)"}: no equivalent written; configure this output by hand (docs/outputs.md); stdout is used meanwhile`,
      );
      out.type = "stdout";
  }
  if (["syslog", "http", "splunk", "tcp"].includes(type)) {
    const ca = sget("ca_cert");
    if (ca) out.ca = ca;
    const cert = sget("client_cert");
    const key = sget("client_key");
    if (cert && key) Object.assign(out, { cert, key });
    const verify = sget("tls_verify");
    if (verify !== undefined && parseGoBool(verify) === false) out.verify = false;
    const cname = sget("server_cname");
    if (cname) out.servername = cname;
    if (parseGoBool(sget("insecure_tls") ?? "") === true)
      notes.push(`[${type}] insecure_tls: cbexport needs TLS 1.2 or later; not carried over`);
  }
  out.format = format;
  const remove = get("remove_from_output");
  if (remove !== undefined && remove.trim() !== "")
    out.remove_from_output = remove
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  const add = get("add_to_output");
  if (add !== undefined && add.trim() !== "") {
    const pairs: Record<string, string> = {};
    for (const item of add.split(",")) {
      const [k, v] = item.split("=");
      if (k !== undefined && v !== undefined) pairs[k.trim()] = v.trim();
    }
    out.add_to_output = pairs;
  }
  return out;
}

/** A configuration reference, `${NAME}`: secrets stay out of the YAML. */
export function reference(name: string): string {
  return `\${${name}}`;
}

function hostPort(text: string): [string, string] {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  return m === null ? [text, ""] : [m[1], m[2]];
}

/** An events_* value: "ALL", undefined for 0 / missing, else the lower-cased comma list. */
function eventList(value: string | undefined): string[] | typeof RAW_ALL | undefined {
  if (value === undefined) return undefined;
  const v = value
    .toLowerCase()
    .replace(/\s[#;].*$/, "")
    .trim();
  if (v === "all") return RAW_ALL;
  if (v === "0" || v === "") return undefined;
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function integer(value: string | undefined, fallback: number, key: string, notes: string[]): number {
  if (value === undefined) return fallback;
  if (/^-?\d+$/.test(value)) return Number(value);
  notes.push(`[bridge] ${key}=${value}: not a number to the forwarder; it used ${fallback}`);
  return fallback;
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

export async function importForwarderConfigCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(IMPORT_FORWARDER_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("import-forwarder-config takes one file");
  const file = positionals[0] ?? DEFAULT_FORWARDER_CONF;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const { config, notes } = translateForwarderConfig(parseForwarderIni(text));
  const header = [
    `# cbexport run configuration imported from ${file}`,
    "# Review it, then: cbexport check --config FILE",
    ...notes.map((n) => `# NOTE: ${n}`),
    "",
  ].join("\n");
  process.stdout.write(`${header}${stringify(config, { lineWidth: 0 })}`);
  for (const note of notes) process.stderr.write(`cbexport import-forwarder-config: ${note}\n`);
  return 0;
}
