// Prometheus text exposition (format 0.0.4) of the service's counters and gauges. The pipeline keeps plain
// numbers; they are read only when /metrics is scraped, so counting costs nothing per event beyond an add.

export type MetricType = "counter" | "gauge";

export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function renderMetrics(families: readonly MetricFamily[]): string {
  let out = "";
  for (const family of families) {
    out += `# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n`;
    out += `# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples)
      out += `${family.name}${labelText(sample.labels)} ${numberText(sample.value)}\n`;
  }
  return out;
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return "";
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** One family from a list of [labels, value] pairs. */
export function family(
  name: string,
  type: MetricType,
  help: string,
  samples: readonly Sample[],
): MetricFamily {
  return { name, type, help, samples };
}
