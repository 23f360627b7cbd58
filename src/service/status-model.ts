// What /metrics and /status report: the totals of generations replaced by reloads plus the running one's
// counts (Prometheus counters never go back), per source and per output, named by their configuration names.
import { cpuUsage, memoryUsage } from "node:process";
import { family, type MetricFamily, renderMetrics, type Sample } from "./metrics.js";
import type { Service } from "./service.js";
import { BusSource, FollowSource, lagSeconds } from "./sources.js";

/** Counters of past generations: `${metric}\0${label}` → value. */
export interface Totals {
  counters: Map<string, number>;
}

function total(service: Service, metric: string, label: string): number {
  return service.totals.counters.get(`${metric}\u0000${label}`) ?? 0;
}

/** Labels that ever had a value of this metric, plus the live ones. */
function labelsOf(service: Service, metric: string, live: readonly string[]): string[] {
  const out = new Set(live);
  for (const key of service.totals.counters.keys()) {
    const [m, label] = key.split("\u0000");
    if (m === metric) out.add(label);
  }
  return [...out].sort();
}

interface Live {
  sources: Map<string, { records: number; damaged: number }>;
  outputs: Map<
    string,
    { out: number; buffered: number; unformattable: number; filtered: number; errors: number; up: boolean }
  >;
}

function live(service: Service): Live {
  const sources = new Map<string, { records: number; damaged: number }>();
  const outputs: Live["outputs"] = new Map();
  const g = service.generation;
  if (g !== undefined && !g.retired) {
    for (const s of g.sources)
      sources.set(s.name, { records: s.summary.records, damaged: s.summary.damaged });
    for (const route of g.routing.routes) {
      for (const name of route.outputs) {
        const handle = g.outputs.find((h) => h.name === name);
        outputs.set(name, {
          out: route.writer.accepted,
          buffered: Math.max(0, route.writer.lines - route.writer.accepted),
          unformattable: route.unformattable,
          filtered: route.filtered,
          errors: handle?.errors ?? 0,
          up: handle?.state().state === "ok",
        });
      }
    }
  }
  return { sources, outputs };
}

export async function serviceMetrics(service: Service): Promise<string> {
  const now = Date.now();
  const l = live(service);
  const perSource = (metric: string, pick: (v: { records: number; damaged: number }) => number): Sample[] =>
    labelsOf(service, metric, [...l.sources.keys()]).map((source) => {
      const v = l.sources.get(source);
      return { labels: { source }, value: total(service, metric, source) + (v === undefined ? 0 : pick(v)) };
    });
  const perOutput = (
    metric: string,
    pick: (v: NonNullable<ReturnType<Live["outputs"]["get"]>>) => number,
  ): Sample[] =>
    labelsOf(service, metric, [...l.outputs.keys()]).map((output) => {
      const v = l.outputs.get(output);
      return { labels: { output }, value: total(service, metric, output) + (v === undefined ? 0 : pick(v)) };
    });
  const families: MetricFamily[] = [
    family(
      "cbexport_events_in_total",
      "counter",
      "Records read from the source (archive records, bus events and notifications).",
      perSource("in", (v) => v.records),
    ),
    family(
      "cbexport_records_damaged_total",
      "counter",
      "Damaged records found in the source's input (named in the log with file and offset).",
      perSource("damaged", (v) => v.damaged),
    ),
    family(
      "cbexport_events_out_total",
      "counter",
      "Events durably accepted by the output (written and fsynced, delivered, or spooled).",
      perOutput("out", (v) => v.out),
    ),
    family(
      "cbexport_events_filtered_total",
      "counter",
      "Events the output's filter did not take.",
      perOutput("filtered", (v) => v.filtered),
    ),
    family(
      "cbexport_events_unformattable_total",
      "counter",
      "Events the output's format could not render.",
      perOutput("unformattable", (v) => v.unformattable),
    ),
    family(
      "cbexport_output_errors_total",
      "counter",
      "Delivery outages started and failures of the output.",
      perOutput("errors", (v) => v.errors),
    ),
  ];
  const buffered: Sample[] = [];
  const up: Sample[] = [];
  for (const [output, v] of l.outputs) {
    buffered.push({ labels: { output }, value: v.buffered });
    up.push({ labels: { output }, value: v.up ? 1 : 0 });
  }
  families.push(
    family(
      "cbexport_buffer_events",
      "gauge",
      "Events handed to the output and not yet known to be durably accepted.",
      buffered,
    ),
    family(
      "cbexport_output_up",
      "gauge",
      "1 when the output is delivering (not failing, retrying or stalled).",
      up,
    ),
  );
  const queue: Sample[] = [];
  const inHand: Sample[] = [];
  const connected: Sample[] = [];
  const backlogFiles: Sample[] = [];
  const backlogBytes: Sample[] = [];
  const lag: Sample[] = [];
  for (const source of service.generation?.sources ?? []) {
    const labels = { source: source.name };
    if (source instanceof BusSource) {
      const depth = await source.queueDepth();
      if (depth !== undefined) queue.push({ labels, value: depth });
      inHand.push({ labels, value: source.consumer?.inHand ?? 0 });
      connected.push({ labels, value: source.consumer?.connected === true ? 1 : 0 });
    } else if (source instanceof FollowSource) {
      backlogFiles.push({ labels, value: source.progress.backlogFiles });
      backlogBytes.push({ labels, value: source.progress.backlogBytes });
      lag.push({ labels, value: lagSeconds(source.progress, now) });
    }
  }
  families.push(
    family(
      "cbexport_bus_queue_messages",
      "gauge",
      "Messages waiting in the bus source's queue (the broker's count).",
      queue,
    ),
    family(
      "cbexport_bus_messages_in_hand",
      "gauge",
      "Messages received from the bus and not yet written.",
      inHand,
    ),
    family("cbexport_bus_connected", "gauge", "1 when the bus source is connected and consuming.", connected),
    family(
      "cbexport_archive_backlog_files",
      "gauge",
      "Archive files with records not exported yet.",
      backlogFiles,
    ),
    family("cbexport_archive_backlog_bytes", "gauge", "Archive bytes not exported yet.", backlogBytes),
    family(
      "cbexport_archive_lag_seconds",
      "gauge",
      "Age of the oldest unexported archive data (at least; by file modification time).",
      lag,
    ),
  );
  const e = service.enricher?.stats;
  const enrich = (metric: string, v: number | undefined): Sample[] => [
    { value: total(service, metric, "") + (v ?? 0) },
  ];
  if (e !== undefined || labelsOf(service, "enrich_lookups", []).length > 0) {
    families.push(
      family(
        "cbexport_enrich_lookups_total",
        "counter",
        "Sensor lookups made on the CB server's REST API.",
        enrich("enrich_lookups", e?.lookups),
      ),
      family(
        "cbexport_enrich_failures_total",
        "counter",
        "Sensor lookups that failed.",
        enrich("enrich_failures", e?.failures),
      ),
      family(
        "cbexport_enrich_missed_total",
        "counter",
        "Events sent without host details (lookup not answered in time or failed).",
        enrich("enrich_missed", e?.missed),
      ),
      family(
        "cbexport_enrich_events_total",
        "counter",
        "Events given host details.",
        enrich("enrich_enriched", e?.enriched),
      ),
      family("cbexport_enrich_cache_entries", "gauge", "Sensors in the host details cache.", [
        { value: service.enricher?.cacheSize ?? 0 },
      ]),
    );
  }
  families.push(
    family("cbexport_config_reloads_total", "counter", "Configuration reloads (SIGHUP) by result.", [
      { labels: { result: "ok" }, value: service.reloads.ok },
      { labels: { result: "failed" }, value: service.reloads.failed },
    ]),
    family("cbexport_ready", "gauge", "1 when every source and output is ready (as /readyz).", [
      { value: service.readiness().ready ? 1 : 0 },
    ]),
    family(
      "process_start_time_seconds",
      "gauge",
      "Start time of the process since the Unix epoch in seconds.",
      [{ value: service.startedAt / 1000 }],
    ),
    family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [
      { value: memoryUsage.rss() },
    ]),
    family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [
      { value: cpuSeconds() },
    ]),
  );
  return renderMetrics(families);
}

function cpuSeconds(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1e6;
}

export async function serviceStatus(service: Service): Promise<object> {
  const g = service.generation;
  const l = live(service);
  const readiness = service.readiness();
  const sources: Record<string, unknown> = {};
  for (const source of g?.sources ?? []) {
    sources[source.name] = {
      type: source.type,
      ready: source.notReady() === undefined,
      events_in: total(service, "in", source.name) + source.summary.records,
      records_damaged: total(service, "damaged", source.name) + source.summary.damaged,
      ...(await source.status()),
    };
  }
  const outputs: Record<string, unknown> = {};
  for (const handle of g?.outputs ?? []) {
    const v = l.outputs.get(handle.name);
    const state = handle.state();
    outputs[handle.name] = {
      type: handle.settings.type,
      destination: handle.sink.name,
      format: handle.format,
      state: state.state,
      reason: state.reason,
      events_out: total(service, "out", handle.name) + (v?.out ?? 0),
      buffered: v?.buffered ?? 0,
      filtered: total(service, "filtered", handle.name) + (v?.filtered ?? 0),
      errors: total(service, "errors", handle.name) + handle.errors,
    };
  }
  return {
    pid: process.pid,
    config: g?.settings.file,
    started: new Date(service.startedAt).toISOString(),
    uptime_seconds: Math.round((Date.now() - service.startedAt) / 1000),
    ready: readiness.ready,
    not_ready: readiness.reasons,
    reloads: service.reloads,
    sources,
    outputs,
    enrich:
      service.enricher === undefined
        ? undefined
        : { ...service.enricher.stats, cache_entries: service.enricher.cacheSize },
  };
}
