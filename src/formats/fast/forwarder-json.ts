// The fast path for `--format json --profile forwarder`: documents written straight as bytes, byte-identical to
// forwarderDocument + documentJson (the reference path, which the tests compare it with). Two entry points:
// a raw record (writeRecord, forwarder-writer.ts) and a decoded event (eventLine).
import type { SensorEvent } from "../../decode/event.js";
import type { ForwarderOptions } from "../forwarder.js";
import { EventFieldFiller } from "./event-fields.js";
import { FastForwarderWriter } from "./forwarder-writer.js";
import { JsonBytes } from "./json-bytes.js";
import { kindIndex } from "./selection.js";

export { DEFERRED, SKIPPED, WRITTEN } from "./record-writer.js";

export class FastForwarderJson extends FastForwarderWriter {
  private readonly filler: EventFieldFiller;
  private readonly eventOut: JsonBytes;

  constructor(options: ForwarderOptions) {
    const eventOut = new JsonBytes(1 << 12);
    super(options, false, eventOut);
    this.eventOut = eventOut;
    this.filler = new EventFieldFiller(this.f);
  }

  /**
   * The document of a decoded event as a line (no terminator); undefined when not exported, null when the
   * reference path must format it.
   */
  eventLine(event: SensorEvent): string | undefined | null {
    const index = kindIndex(event.kind);
    if (index < 0 || this.selected[index] === 0) return undefined;
    const out = this.eventOut;
    try {
      if (!this.filler.fill(event)) return null;
      const d = this.d;
      d.sensorId = event.sensorId;
      d.sensorKnown = event.sensorIdSource !== "unknown";
      d.hostFromText(event.computerName);
      out.pos = 0;
      this.write(index, out, this.filler.size);
    } catch {
      return null;
    }
    return out.buf.toString("utf8", 0, out.pos);
  }
}
