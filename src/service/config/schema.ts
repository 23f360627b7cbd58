// The schema of `cbexport run --config FILE.yaml` (docs/service.md lists every key). Strict objects: a misspelt
// key is an error, not silently ignored. Output options carry the names of the URL options (docs/outputs.md).
import { z } from "zod";
import { OUTPUT_FORMATS } from "../../formats/formatter.js";
import { PROFILES } from "../../formats/options.js";
import { NETWORK_SCHEMES } from "../../sinks/index.js";

const text = z.string().min(1, "must not be empty");
const count = z.number().int().positive();
const seconds = z.number().nonnegative();
const sensorId = z.number().int().min(-2147483648).max(2147483647);
/** A list, or the forwarder's comma-separated text. */
const list = z.union([z.array(text), z.string()]).transform((v) =>
  Array.isArray(v)
    ? v
    : v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
);
const scalar = z.union([z.string(), z.number(), z.boolean()]);

// ---- filters (src/transforms/filter.ts) ----

const condition = z
  .strictObject({
    field: text,
    equals: scalar.optional(),
    in: z.array(scalar).optional(),
    matches: z.string().optional(),
    exists: z.boolean().optional(),
  })
  .refine(
    (c) => [c.equals, c.in, c.matches, c.exists].filter((v) => v !== undefined).length === 1,
    "a condition needs exactly one of equals, in, matches, exists",
  );
export type FieldCondition = z.infer<typeof condition>;

const FILEMOD_ACTIONS = ["create", "write", "delete", "lastwrite"] as const;
const REGMOD_ACTIONS = ["createkey", "writeval", "delkey", "delval"] as const;

const filter = z.strictObject({
  kinds: z.array(text).optional(),
  exclude_kinds: z.array(text).optional(),
  sensor_ids: z.array(sensorId).optional(),
  exclude_sensor_ids: z.array(sensorId).optional(),
  filemod_actions: z.array(z.enum(FILEMOD_ACTIONS)).optional(),
  regmod_actions: z.array(z.enum(REGMOD_ACTIONS)).optional(),
  where: z.array(condition).optional(),
  exclude_where: z.array(condition).optional(),
});
export type FilterConfig = z.infer<typeof filter>;

// ---- outputs ----

const common = {
  format: z.enum(OUTPUT_FORMATS).optional(),
  filter: filter.optional(),
  remove_from_output: list.optional(),
  add_to_output: z.record(text, z.string()).optional(),
};
const delivery = {
  buffer_bytes: count.optional(),
  batch_bytes: count.optional(),
  spool: text.optional(),
  spool_max_bytes: count.optional(),
  retry_for: z.union([seconds, z.literal("forever")]).optional(),
  timeout: seconds.optional(),
};
const tls = {
  ca: text.optional(),
  cert: text.optional(),
  key: text.optional(),
  servername: text.optional(),
  min_version: z.enum(["TLSv1.2", "TLSv1.3"]).optional(),
  verify: z.boolean().optional(),
};
const address = {
  url: text.optional(),
  host: text.optional(),
  port: z.number().int().min(1).max(65535).optional(),
};
const http = {
  url: text,
  gzip: z.boolean().optional(),
  header: z.union([z.record(text, z.string()), z.array(text)]).optional(),
  content_type: text.optional(),
};

const fileOutput = z.strictObject({
  type: z.literal("file"),
  path: text,
  rotate_bytes: count.optional(),
  rotate_seconds: count.optional(),
  gzip: z.boolean().optional(),
  ...common,
});
const stdoutOutput = z.strictObject({ type: z.literal("stdout"), ...common });
const syslogOutput = z.strictObject({
  type: z.literal("syslog"),
  ...address,
  protocol: z.enum(["udp", "tcp", "tls"]).optional(),
  rfc: z.union([z.literal(5424), z.literal(3164)]).optional(),
  framing: z.enum(["octet", "lf"]).optional(),
  facility: z.union([text, z.number().int().min(0).max(23)]).optional(),
  severity: z.union([text, z.number().int().min(0).max(7)]).optional(),
  hostname: text.optional(),
  app_name: text.optional(),
  msgid: text.optional(),
  max_datagram: count.optional(),
  ...delivery,
  ...tls,
  ...common,
});
const tcpOutput = z.strictObject({
  type: z.literal("tcp"),
  ...address,
  tls: z.boolean().optional(),
  ...delivery,
  ...tls,
  ...common,
});
const udpOutput = z.strictObject({
  type: z.literal("udp"),
  ...address,
  max_datagram: count.optional(),
  ...delivery,
  ...common,
});
const httpOutput = z.strictObject({ type: z.literal("http"), ...http, ...delivery, ...tls, ...common });
const splunkOutput = z.strictObject({
  type: z.literal("splunk"),
  ...http,
  token: text.optional(),
  token_file: text.optional(),
  sourcetype: text.optional(),
  source: text.optional(),
  index: text.optional(),
  host: text.optional(),
  ack: z.boolean().optional(),
  ack_timeout: seconds.optional(),
  ack_interval: seconds.optional(),
  channel: text.optional(),
  ...delivery,
  ...tls,
  ...common,
});

export const TYPED_OUTPUTS = ["file", "stdout", "syslog", "tcp", "udp", "http", "splunk"] as const;
/**
 * Output URL schemes added to src/sinks/ later (brokers, object stores) are accepted as types too: `url` plus
 * options named as in their URL, checked by the URL parser rather than here.
 */
const COVERED = new Set<string>([...TYPED_OUTPUTS, "tls", "https"]);
export const GENERIC_OUTPUTS: readonly string[] = NETWORK_SCHEMES.filter(
  (s) => !s.includes("+") && !COVERED.has(s),
);
const genericOutputs = GENERIC_OUTPUTS.map((scheme) =>
  z
    .looseObject({ type: z.literal(scheme), url: text, ...common })
    .catchall(z.union([scalar, z.array(scalar)])),
);

const output = z.discriminatedUnion("type", [
  fileOutput,
  stdoutOutput,
  syslogOutput,
  tcpOutput,
  udpOutput,
  httpOutput,
  splunkOutput,
  ...genericOutputs,
]);
export type OutputConfig = z.infer<typeof output>;
export type TypedOutputConfig =
  | z.infer<typeof fileOutput>
  | z.infer<typeof stdoutOutput>
  | z.infer<typeof syslogOutput>
  | z.infer<typeof tcpOutput>
  | z.infer<typeof udpOutput>
  | z.infer<typeof httpOutput>
  | z.infer<typeof splunkOutput>;

// ---- sources ----

const archiveCommon = {
  path: text.optional(),
  paths: z.array(text).optional(),
  remove: z.boolean().optional(),
  remove_damaged: z.boolean().optional(),
  sensor_id: sensorId.optional(),
  max_record_bytes: count.optional(),
};
const followSource = z.strictObject({
  type: z.literal("follow"),
  ...archiveCommon,
  settle_seconds: seconds.optional(),
  rescan_seconds: seconds.optional(),
  retain_hours: seconds.optional(),
  max_archive_bytes: count.optional(),
});
const exportSource = z.strictObject({
  type: z.literal("export"),
  ...archiveCommon,
  auto: z.boolean().optional(),
  archive_properties: text.optional(),
});
const busSource = z.strictObject({
  type: z.literal("bus"),
  url: text.optional(),
  username: text.optional(),
  password: z.string().optional(),
  cb_conf: text.optional(),
  tls: z
    .strictObject({
      ca: text.optional(),
      cert: text.optional(),
      key: text.optional(),
      verify: z.boolean().optional(),
    })
    .optional(),
  queue: text.optional(),
  events: list.optional(),
  raw_source: z.enum(["bundles", "events"]).optional(),
  bind: z.array(text).optional(),
  prefetch: z.number().int().min(1).max(65535).optional(),
  batch_wait_ms: z.number().int().min(0).max(60000).optional(),
  dead_letter: text.optional(),
  events_exchange: text.optional(),
  raw_exchange: text.optional(),
  sensor_id: sensorId.optional(),
  max_record_bytes: count.optional(),
});
const source = z.discriminatedUnion("type", [followSource, exportSource, busSource]);
export type SourceConfig = z.infer<typeof source>;
export type FollowSourceConfig = z.infer<typeof followSource>;
export type ExportSourceConfig = z.infer<typeof exportSource>;
export type BusSourceConfig = z.infer<typeof busSource>;

// ---- the rest ----

const enrich = z.strictObject({
  url: text.optional(),
  api_token: text.optional(),
  api_token_file: text.optional(),
  verify: z.boolean().optional(),
  ca: text.optional(),
  ttl_seconds: seconds.optional(),
  failure_ttl_seconds: seconds.optional(),
  timeout_seconds: z.number().positive().optional(),
  wait_ms: z.number().int().min(0).max(60000).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});
export type EnrichConfig = z.infer<typeof enrich>;

const name = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const named = <T extends z.ZodType>(item: T) =>
  z
    .record(
      z.string().regex(name, "names are letters, digits, '_', '.', '-' (starting with a letter or digit)"),
      item,
    )
    .refine((r) => Object.keys(r).length > 0, "needs at least one entry");

export const configSchema = z.strictObject({
  sources: named(source),
  outputs: named(output),
  state: text.optional(),
  status: z.strictObject({ listen: text }).optional(),
  log: z.strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]) }).optional(),
  format: z.enum(OUTPUT_FORMATS).optional(),
  profile: z.enum(PROFILES).optional(),
  server_name: z.string().optional(),
  server_url: z
    .string()
    .regex(/^https?:\/\//i, "must start with http:// or https://")
    .optional(),
  time_float: z.boolean().optional(),
  raw_events: list.optional(),
  legacy_md5_column: z.boolean().optional(),
  retry_for: z.union([seconds, z.literal("forever")]).optional(),
  enrich: enrich.optional(),
});
export type ServiceConfig = z.infer<typeof configSchema>;
