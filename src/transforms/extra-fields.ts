// Extra keys in an output's documents: the forwarder's `add_to_output` (the same keys in every document) and
// the host details of enrichment (per event). Added to the text the formatter made, after the document's own
// keys, so whatever path the formatter takes to its text stays as it is: `{..."k":"v"}` in JSON, `\tk=v` in
// LEEF. Table and CSV lines have one place for such a value, the host column (`computer_name`).
import type { SensorEvent } from "../decode/event.js";
import type { Doc } from "../formats/document.js";
import { eventExporterDocument } from "../formats/eventexporter.js";
import { EventFormatter, type FormatOutcome, type FormatterOptions } from "../formats/formatter.js";
import { documentJson } from "../formats/json-text.js";
import { escapeLeef } from "../formats/leef.js";
import { pythonJson } from "../formats/python-json.js";
import { csvLine, tableLine } from "../formats/table.js";
import type { HostEnricher } from "./enrich/host-enricher.js";

/** Keys every raw event document has (JSON-OUTPUT.md §2.3): `add_to_output` may not name them. */
export const BASE_KEYS: readonly string[] = [
  "cb_server",
  "computer_name",
  "event_type",
  "sensor_id",
  "timestamp",
  "type",
  "process_guid",
  "pid",
  "md5",
  "sha256",
];

export class ExtraFieldsFormatter extends EventFormatter {
  private readonly fixed: Doc | undefined;

  constructor(
    options: FormatterOptions,
    addToOutput: Readonly<Record<string, string>> | undefined,
    private readonly enricher: HostEnricher | undefined,
  ) {
    super(options);
    this.fixed =
      addToOutput === undefined || Object.keys(addToOutput).length === 0 ? undefined : { ...addToOutput };
  }

  /**
   * No direct record writer: a caller using one would bypass event() and so the extra keys. (event() itself
   * then takes the reference path: the cost of extra keys, paid only by outputs that have them.)
   */
  override get fast(): EventFormatter["fast"] {
    return undefined;
  }

  override get recordWriter(): EventFormatter["recordWriter"] {
    return undefined;
  }

  override event(event: SensorEvent): FormatOutcome {
    const outcome = super.event(event);
    if (outcome.status !== "lines") return outcome;
    const extras = this.extrasOf(event);
    if (extras === undefined) return outcome;
    const { format } = this.options;
    if (format === "table" || format === "csv") return this.hostColumn(event, extras, outcome);
    return { status: "lines", lines: outcome.lines.map((line) => this.add(line, extras)) };
  }

  override notification(body: Buffer | string, routingKey: string): FormatOutcome {
    const outcome = super.notification(body, routingKey);
    const fixed = this.fixed;
    if (outcome.status !== "lines" || fixed === undefined) return outcome;
    if (this.options.format === "table" || this.options.format === "csv") return outcome;
    return { status: "lines", lines: outcome.lines.map((line) => this.add(line, fixed)) };
  }

  /** The keys to add to this event's document; undefined when none. */
  private extrasOf(event: SensorEvent): Doc | undefined {
    const host = this.enricher?.detailsOf(event);
    if (host === undefined) return this.fixed;
    const extras: Doc = {};
    // Forwarder documents have computer_name already (enrichment set the event's host name).
    if (this.options.profile === "eventexporter" && host.computerName !== undefined)
      extras.computer_name = host.computerName;
    if (host.computerSid !== undefined) extras.computer_sid = host.computerSid;
    if (this.fixed !== undefined) Object.assign(extras, this.fixed);
    for (const _ in extras) return extras;
    return undefined;
  }

  private add(line: string, extras: Doc): string {
    const { format, profile } = this.options;
    if (format === "leef") {
      let attributes = "";
      for (const [key, value] of Object.entries(extras)) {
        attributes += `${attributes === "" && line.endsWith("|") ? "" : "\t"}${key}=${escapeLeef(String(value))}`;
      }
      return line + attributes;
    }
    // JSON: the extras as their own object, spliced before the closing brace.
    const python = profile === "eventexporter";
    const text = python ? pythonJson(extras) : documentJson(extras, profile !== "forwarder-3.8");
    if (!line.endsWith("}")) return line;
    if (line === "{}") return text;
    return `${line.slice(0, -1)}${python ? ", " : ","}${text.slice(1)}`;
  }

  /** Table/CSV: the original script's host column, the one place for a host name (eventexporter documents). */
  private hostColumn(event: SensorEvent, extras: Doc, outcome: FormatOutcome): FormatOutcome {
    if (this.options.profile !== "eventexporter" || typeof extras.computer_name !== "string") return outcome;
    try {
      const doc = { ...eventExporterDocument(event), computer_name: extras.computer_name };
      const options = { legacyMd5Column: this.options.legacyMd5Column };
      return {
        status: "lines",
        lines: [this.options.format === "csv" ? csvLine(doc, options) : tableLine(doc, options)],
      };
    } catch {
      return outcome;
    }
  }
}
