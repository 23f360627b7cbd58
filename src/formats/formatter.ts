// One entry point from typed events and bus notifications to output lines, for the chosen format and profile.
import type { SensorEvent } from "../decode/event.js";
import type { Doc } from "./document.js";
import { eventExporterDocument, UnsupportedEventError } from "./eventexporter.js";
import { FastForwarderCsv } from "./fast/forwarder-csv.js";
import { FastForwarderJson } from "./fast/forwarder-json.js";
import { FastForwarderLeef } from "./fast/forwarder-leef.js";
import type { RecordWriter } from "./fast/record-writer.js";
import { type ForwarderOptions, forwarderDocument } from "./forwarder.js";
import { documentJson } from "./json-text.js";
import { leefLine } from "./leef.js";
import { normalizeNotification } from "./notification.js";
import { pythonJson } from "./python-json.js";
import { csvLine, tableLine } from "./table.js";

export type OutputFormat = "json" | "leef" | "csv" | "table";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["json", "leef", "csv", "table"];

export interface FormatterOptions extends ForwarderOptions {
  format: OutputFormat;
  /** Table/CSV md5 column as the original script printed it (hex of the hex text). */
  legacyMd5Column?: boolean | undefined;
}

/** What became of one event. */
export type FormatOutcome =
  | { status: "lines"; lines: string[] }
  /** Not exported by this profile (or not selected): counted per kind, not an error. */
  | { status: "skipped" }
  /** The profile cannot render this event (e.g. the original script's unsupported kinds, invalid text). */
  | { status: "failed"; reason: string };

const SKIPPED: FormatOutcome = { status: "skipped" };

export class EventFormatter {
  /** undefined: not created yet; null: these options need the reference path. */
  private fastWriter: FastForwarderJson | null | undefined;
  /** The direct CSV/table and LEEF writers, as fastWriter. */
  private csvWriter: FastForwarderCsv | null | undefined;
  private leefWriter: FastForwarderLeef | null | undefined;

  constructor(readonly options: FormatterOptions) {
    if (options.format === "leef" && options.profile === "eventexporter") {
      throw new Error("LEEF is written only in the forwarder profiles (the original script had no LEEF)");
    }
  }

  /**
   * The direct writer for `--format json --profile forwarder` (formats/fast/), byte-identical to the reference
   * path below; undefined for settings it does not cover. Its writeRecord formats raw records without decoding
   * them into events: a caller using it bypasses event() (and any subclass's override of it).
   */
  get fast(): FastForwarderJson | undefined {
    if (this.fastWriter === undefined) {
      const covered = this.options.format === "json" && FastForwarderJson.supports(this.options);
      this.fastWriter = covered ? new FastForwarderJson(this.options) : null;
    }
    return this.fastWriter ?? undefined;
  }

  /**
   * A direct writer from raw records to lines for these settings (formats/fast/), byte-identical to the reference
   * path; undefined when none covers them. Callers using it bypass event() (and any subclass's override of it).
   * Its LEEF lines hold invalid UTF-8 bytes raw, as pipeline/line-buffer.ts restores them for this profile.
   */
  get recordWriter(): RecordWriter | undefined {
    return this.options.format === "leef" ? this.leef : (this.fast ?? this.csv);
  }

  /** The direct writer for `--format csv|table --profile forwarder`; undefined for other settings. */
  private get csv(): FastForwarderCsv | undefined {
    if (this.csvWriter === undefined) {
      const covered = FastForwarderCsv.supports(this.options);
      this.csvWriter = covered ? new FastForwarderCsv(this.options) : null;
    }
    return this.csvWriter ?? undefined;
  }

  /** The direct writer for `--format leef --profile forwarder`; undefined for other settings. */
  private get leef(): FastForwarderLeef | undefined {
    if (this.leefWriter === undefined) {
      const covered = FastForwarderLeef.supports(this.options);
      this.leefWriter = covered ? new FastForwarderLeef(this.options) : null;
    }
    return this.leefWriter ?? undefined;
  }

  /** Lines for one raw sensor event. */
  event(event: SensorEvent): FormatOutcome {
    const direct = this.fast ?? this.csv;
    if (direct !== undefined) {
      const line = direct.eventLine(event);
      if (line !== null) return line === undefined ? SKIPPED : { status: "lines", lines: [line] };
    }
    return this.referenceEvent(event);
  }

  /** The reference path: the event's document, then its rendering. */
  private referenceEvent(event: SensorEvent): FormatOutcome {
    let doc: Doc | undefined;
    try {
      doc =
        this.options.profile === "eventexporter"
          ? eventExporterDocument(event)
          : forwarderDocument(event, this.options);
    } catch (err) {
      if (err instanceof UnsupportedEventError) return { status: "skipped" };
      return { status: "failed", reason: message(err) };
    }
    if (doc === undefined) return { status: "skipped" };
    return this.render([doc], this.options.profile !== "forwarder-3.8");
  }

  /** Lines for one JSON bus notification (one per document of its `docs` array). */
  notification(body: Buffer | string, routingKey: string): FormatOutcome {
    let docs: Doc[];
    try {
      docs = normalizeNotification(body, routingKey, this.options);
    } catch (err) {
      return { status: "failed", reason: message(err) };
    }
    // Notifications are Go maps in every generation: always sorted.
    return this.render(docs, true);
  }

  /** Renders documents; one that cannot be rendered fails the whole message so nothing is half-written. */
  private render(docs: Doc[], sortKeys: boolean): FormatOutcome {
    const { format, profile } = this.options;
    const lines: string[] = [];
    try {
      for (const doc of docs) {
        switch (format) {
          case "json":
            lines.push(profile === "eventexporter" ? pythonJson(doc) : documentJson(doc, sortKeys));
            break;
          case "leef":
            lines.push(leefLine(doc, profile));
            break;
          case "table":
            lines.push(tableLine(doc, { legacyMd5Column: this.options.legacyMd5Column }));
            break;
          case "csv":
            lines.push(csvLine(doc, { legacyMd5Column: this.options.legacyMd5Column }));
            break;
        }
      }
    } catch (err) {
      return { status: "failed", reason: message(err) };
    }
    return { status: "lines", lines };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
