// Which events an output takes (its `filter:`): event kinds, sensor ids, filemod/regmod actions and simple field
// conditions. Compiled once into sets and regexes; checks run cheapest first, and the document the field
// conditions look at is built only when an output has them (DocumentView, shared by all outputs of a run).
import type { EventKind, SensorEvent } from "../decode/event.js";
import type { Value } from "../formats/document.js";
import { FloatValue, RawNumber } from "../formats/document.js";
import type { FieldCondition, FilterConfig } from "../service/config/schema.js";
import { topicMatches } from "../sources/bus/topic.js";
import type { DocumentView } from "./document-view.js";

/** A filter setting that cannot be used; `path` is relative to the filter (e.g. ["kinds", 2]). */
export class FilterError extends Error {
  override name = "FilterError";
  constructor(
    readonly path: readonly (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

/** Forwarder event names (`events_raw_sensor`, JSON-OUTPUT.md §2.2) and friendly names → typed kinds. */
const KIND_NAMES: Readonly<Record<string, readonly EventKind[]>> = {
  "ingress.event.process": ["procstart", "procend"],
  "ingress.event.procstart": ["procstart"],
  "ingress.event.procend": ["procend"],
  "ingress.event.childproc": ["childproc"],
  "ingress.event.moduleload": ["modload"],
  "ingress.event.module": ["module"],
  "ingress.event.filemod": ["filemod"],
  "ingress.event.regmod": ["regmod"],
  "ingress.event.netconn": ["netconn", "netconnv2"],
  "ingress.event.crossprocopen": ["crossprocopen"],
  "ingress.event.remotethread": ["remotethread"],
  "ingress.event.tamper": ["tamper"],
  "ingress.event.processblock": ["processblock"],
  "ingress.event.emetmitigation": ["emet"],
  "ingress.event.filelessscriptload": ["filelessscript"],
  process: ["procstart", "procend"],
  proc: ["procstart", "procend"],
  procstart: ["procstart"],
  procend: ["procend"],
  childproc: ["childproc"],
  modload: ["modload"],
  module: ["module"],
  filemod: ["filemod"],
  regmod: ["regmod"],
  netconn: ["netconn", "netconnv2"],
  netconnv2: ["netconnv2"],
  crossproc: ["crossprocopen", "remotethread"],
  crossprocopen: ["crossprocopen"],
  remotethread: ["remotethread"],
  tamper: ["tamper"],
  processblock: ["processblock"],
  emet: ["emet"],
  filelessscript: ["filelessscript"],
};
const ALL_KINDS: readonly EventKind[] = [...new Set(Object.values(KIND_NAMES).flat())];
const FILEMOD_BITS: Readonly<Record<string, number>> = { create: 1, write: 2, delete: 4, lastwrite: 8 };
const REGMOD_BITS: Readonly<Record<string, number>> = { createkey: 1, writeval: 2, delkey: 4, delval: 8 };

type Check = (value: string | undefined) => boolean;

interface Condition {
  field: string;
  check: Check;
}

export class EventFilter {
  private constructor(
    /** Raw event kinds taken; undefined = all. */
    private readonly kinds: ReadonlySet<string> | undefined,
    /** Notifications taken: all, none, or those whose routing key matches one of the patterns. */
    private readonly notifications: boolean | readonly string[],
    private readonly sensors: ReadonlySet<number> | undefined,
    private readonly excludedSensors: ReadonlySet<number> | undefined,
    private readonly filemodMask: number | undefined,
    private readonly regmodMask: number | undefined,
    private readonly where: readonly Condition[],
    private readonly excludeWhere: readonly Condition[],
    private readonly documents: DocumentView,
  ) {}

  /** The filter of an output's `filter:` setting; undefined when it takes everything (no cost per event). */
  static compile(config: FilterConfig | undefined, documents: DocumentView): EventFilter | undefined {
    if (config === undefined) return undefined;
    const include = config.kinds === undefined ? undefined : kindSelection(config.kinds, "kinds");
    const exclude =
      config.exclude_kinds === undefined ? undefined : kindSelection(config.exclude_kinds, "exclude_kinds");
    let kinds: Set<string> | undefined;
    if (include !== undefined || exclude !== undefined) {
      kinds = new Set(include?.kinds ?? ALL_KINDS);
      for (const kind of exclude?.kinds ?? []) kinds.delete(kind);
    }
    // Notifications: taken unless `kinds` names raw kinds only, or `exclude_kinds` names them.
    let notifications: boolean | readonly string[] = include === undefined ? true : include.notifications;
    if (exclude !== undefined && exclude.notifications !== false) notifications = false;
    const filter = new EventFilter(
      kinds,
      notifications,
      config.sensor_ids === undefined ? undefined : new Set(config.sensor_ids),
      config.exclude_sensor_ids === undefined ? undefined : new Set(config.exclude_sensor_ids),
      mask(config.filemod_actions, FILEMOD_BITS),
      mask(config.regmod_actions, REGMOD_BITS),
      (config.where ?? []).map((c, i) => condition(c, ["where", i])),
      (config.exclude_where ?? []).map((c, i) => condition(c, ["exclude_where", i])),
      documents,
    );
    return filter.takesEverything() ? undefined : filter;
  }

  /** Whether the output takes this raw event. */
  accepts(event: SensorEvent): boolean {
    if (this.kinds !== undefined && !this.kinds.has(event.kind)) return false;
    if (this.sensors !== undefined && !this.sensors.has(event.sensorId)) return false;
    if (this.excludedSensors?.has(event.sensorId)) return false;
    // Action values are single bits; a combination is taken when it has one of the chosen bits.
    if (
      this.filemodMask !== undefined &&
      event.kind === "filemod" &&
      ((event.payload.action ?? 1) & this.filemodMask) === 0
    )
      return false;
    if (
      this.regmodMask !== undefined &&
      event.kind === "regmod" &&
      ((event.payload.action ?? 1) & this.regmodMask) === 0
    )
      return false;
    if (this.where.length === 0 && this.excludeWhere.length === 0) return true;
    const doc = this.documents.of(event);
    if (doc === undefined) return this.where.length === 0;
    for (const c of this.where) if (!c.check(fieldText(doc[c.field]))) return false;
    for (const c of this.excludeWhere) if (c.check(fieldText(doc[c.field]))) return false;
    return true;
  }

  /** Whether the output takes a bus notification with this routing key (kinds only: sensors and fields are raw). */
  acceptsNotification(routingKey: string): boolean {
    const n = this.notifications;
    return typeof n === "boolean" ? n : n.some((pattern) => topicMatches(pattern, routingKey));
  }

  private takesEverything(): boolean {
    return (
      this.kinds === undefined &&
      this.notifications === true &&
      this.sensors === undefined &&
      this.excludedSensors === undefined &&
      this.filemodMask === undefined &&
      this.regmodMask === undefined &&
      this.where.length === 0 &&
      this.excludeWhere.length === 0
    );
  }
}

/** Raw kinds and notification routing-key patterns named by a `kinds` list. */
function kindSelection(
  names: readonly string[],
  key: string,
): { kinds: EventKind[]; notifications: boolean | string[] } {
  const kinds: EventKind[] = [];
  let all = false;
  const patterns: string[] = [];
  names.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const mapped = KIND_NAMES[name];
    if (mapped !== undefined) kinds.push(...mapped);
    else if (name === "notifications") all = true;
    else if (name === "raw" || name === "all") {
      kinds.push(...ALL_KINDS);
      if (name === "all") all = true;
    } else if (/^[a-z0-9_*#-]+(\.[a-z0-9_*#-]+)+$/.test(name) && !name.startsWith("ingress.event.")) {
      patterns.push(name);
    } else {
      throw new FilterError(
        [key, i],
        `unknown event kind "${raw}": a forwarder name (ingress.event.netconn, ...), a kind (procstart, netconn, ` +
          "filemod, ...), raw, notifications, all, or a notification routing-key pattern (watchlist.#, feed.*.hit.process)",
      );
    }
  });
  return { kinds, notifications: all ? true : patterns.length > 0 ? patterns : false };
}

function mask(
  names: readonly string[] | undefined,
  bits: Readonly<Record<string, number>>,
): number | undefined {
  if (names === undefined) return undefined;
  let m = 0;
  for (const name of names) m |= bits[name] ?? 0;
  return m;
}

function condition(c: FieldCondition, path: (string | number)[]): Condition {
  const field = c.field;
  if (c.exists !== undefined) {
    const want = c.exists;
    return { field, check: (v) => (v !== undefined) === want };
  }
  if (c.matches !== undefined) {
    let re: RegExp;
    try {
      // A leading (?i) is the usual way to ask for case-insensitive matching in other tools.
      re = c.matches.startsWith("(?i)") ? new RegExp(c.matches.slice(4), "i") : new RegExp(c.matches);
    } catch (err) {
      throw new FilterError(
        [...path, "matches"],
        `not a valid regular expression: ${(err as Error).message}`,
      );
    }
    return { field, check: (v) => v !== undefined && re.test(v) };
  }
  const values = new Set((c.in ?? [c.equals]).map((v) => String(v)));
  return { field, check: (v) => v !== undefined && values.has(v) };
}

/** A document value as the text conditions compare: numbers in decimal, booleans as true/false. */
function fieldText(value: Value | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
    return String(value);
  if (value instanceof FloatValue) return String(value.value);
  if (value instanceof RawNumber) return value.text;
  return undefined;
}
