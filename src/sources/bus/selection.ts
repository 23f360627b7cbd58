// What the consumer takes from the bus and how its queue is bound (BUS.md §2, §5): raw events from exactly one
// source (bundles on api.rawsensordata, or single events under ingress.event.* on api.events) so that no
// event arrives twice, and JSON notifications through routing-key patterns on api.events.
import { RAW_EVENT_NAMES } from "../../formats/forwarder.js";
import { RAW_SENSOR_EXCHANGE } from "../bus-message.js";
import { topicMatches } from "./topic.js";

export const EVENTS_EXCHANGE = "api.events";
export const RAW_EXCHANGE = RAW_SENSOR_EXCHANGE;

export type RawSource = "bundles" | "events";
export const RAW_SOURCES: readonly RawSource[] = ["bundles", "events"];

/** The forwarder's notification bindings (BUS.md §5); feed/watchlist keys may carry an id, hence `#`. */
export const DEFAULT_NOTIFICATION_PATTERNS = [
  "watchlist.#",
  "feed.#",
  "alert.#",
  "binaryinfo.#",
  "binarystore.#",
  "events.partition.#",
  "task.error.logged",
];

/** A selection that makes no sense (exit status 2); the message names the option. */
export class SelectionError extends Error {
  override name = "SelectionError";
}

export interface SelectionInput {
  /** The bus form of --events: `raw`, `notifications`, `all` and raw event names, comma-separated. */
  events?: string | undefined;
  rawSource?: string | undefined;
  /** --bind patterns (replace the default notification patterns). */
  bind?: readonly string[] | undefined;
  eventsExchange?: string | undefined;
  rawExchange?: string | undefined;
}

export interface Binding {
  exchange: string;
  pattern: string;
}

export interface Selection {
  raw: boolean;
  notifications: boolean;
  rawSource: RawSource;
  /** The raw-event part of --events for the formatter (undefined = every kind). */
  rawEventNames: string | undefined;
  eventsExchange: string;
  rawExchange: string;
  bindings: Binding[];
  /** Exchanges that must exist (checked passively, never declared). */
  exchanges: string[];
}

export function planSelection(input: SelectionInput): Selection {
  const rawSource = (input.rawSource ?? "bundles") as RawSource;
  if (!RAW_SOURCES.includes(rawSource)) {
    throw new SelectionError(`--raw-source must be one of ${RAW_SOURCES.join(", ")} (got "${rawSource}")`);
  }
  const eventsExchange = input.eventsExchange ?? EVENTS_EXCHANGE;
  const rawExchange = input.rawExchange ?? RAW_EXCHANGE;
  if (eventsExchange === rawExchange) throw new SelectionError("the two exchanges must have different names");
  const { raw, notifications, names } = parseEvents(input.events);
  const bindings: Binding[] = [];
  if (raw && rawSource === "bundles") bindings.push({ exchange: rawExchange, pattern: "" });
  if (raw && rawSource === "events") {
    for (const pattern of ingressPatterns(names)) bindings.push({ exchange: eventsExchange, pattern });
  }
  const bind = input.bind ?? [];
  if (bind.length > 0 && !notifications) {
    throw new SelectionError(
      "--bind sets the notification bindings, but --events does not select notifications",
    );
  }
  if (notifications) {
    for (const pattern of bind.length > 0 ? bind : DEFAULT_NOTIFICATION_PATTERNS) {
      checkPattern(pattern, raw && rawSource === "events");
      bindings.push({ exchange: eventsExchange, pattern });
    }
  }
  const exchanges = [...new Set(bindings.map((b) => b.exchange))];
  return {
    raw,
    notifications,
    rawSource,
    rawEventNames: names === undefined ? undefined : names.join(","),
    eventsExchange,
    rawExchange,
    bindings: dedupe(bindings),
    exchanges,
  };
}

interface ParsedEvents {
  raw: boolean;
  notifications: boolean;
  /** Selected raw event names; undefined = all kinds. */
  names: string[] | undefined;
}

function parseEvents(text: string | undefined): ParsedEvents {
  if (text === undefined) return { raw: true, notifications: true, names: undefined };
  const items = text
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  if (items.length === 0) throw new SelectionError("--events is empty");
  const all = items.includes("all");
  const rawAll = all || items.includes("raw");
  const names = items.filter((s) => s !== "all" && s !== "raw" && s !== "notifications");
  const known = new Set<string>(RAW_EVENT_NAMES);
  for (const name of names) {
    if (!known.has(name)) {
      throw new SelectionError(
        `--events: unknown name "${name}" (known: raw, notifications, all, ${RAW_EVENT_NAMES.join(", ")})`,
      );
    }
  }
  return {
    raw: rawAll || names.length > 0,
    notifications: all || items.includes("notifications"),
    names: rawAll || names.length === 0 ? undefined : names,
  };
}

/**
 * Routing keys for the selected kinds. A superset on purpose: the payload, not the key, decides the kind
 * (BUS.md §4.2), so related keys are bound together and the formatter's selection does the exact filtering.
 */
function ingressPatterns(names: string[] | undefined): string[] {
  if (names === undefined) return ["ingress.event.#"];
  const groups = [
    ["ingress.event.process", "ingress.event.procstart", "ingress.event.procend"],
    ["ingress.event.crossprocopen", "ingress.event.remotethread"],
  ];
  const keys = new Set<string>();
  for (const name of names) {
    const group = groups.find((g) => g.includes(name));
    for (const key of group ?? [name]) keys.add(key);
  }
  return [...keys];
}

/** A notification pattern that also routes raw events would take them twice, or take unselected ones. */
function checkPattern(pattern: string, rawFromEvents: boolean): void {
  if (rawFromEvents) return;
  const hit = [...RAW_EVENT_NAMES, "ingress.event.other"].find((key) => topicMatches(pattern, key));
  if (hit !== undefined) {
    throw new SelectionError(
      `--bind "${pattern}" also routes single raw events (${hit}); raw events come from one source only ` +
        "(BUS.md §5, duplicates): use --raw-source events, or a pattern that leaves ingress.event.* out",
    );
  }
}

function dedupe(bindings: Binding[]): Binding[] {
  const seen = new Set<string>();
  return bindings.filter((b) => {
    const key = `${b.exchange}\u0000${b.pattern}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
