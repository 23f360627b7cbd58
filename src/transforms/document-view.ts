// The forwarder (3.7) document of an event, as field conditions see it: the keys SIEM users know (path,
// process_path, remote_port, ...). Built at most once per event however many outputs look at it.
import type { SensorEvent } from "../decode/event.js";
import type { Doc } from "../formats/document.js";
import { forwarderDocument } from "../formats/forwarder.js";
import type { FormatOptions } from "../formats/options.js";

export class DocumentView {
  private event: SensorEvent | undefined;
  private doc: Doc | undefined;
  private readonly options: FormatOptions;

  constructor(options: Pick<FormatOptions, "serverName" | "serverUrl">) {
    this.options = {
      profile: "forwarder",
      serverName: options.serverName,
      serverUrl: options.serverUrl,
      timeFloat: false,
    };
  }

  /** The event's document; undefined for events the forwarder does not export. */
  of(event: SensorEvent): Doc | undefined {
    if (event !== this.event) {
      this.event = event;
      try {
        this.doc = forwarderDocument(event, this.options);
      } catch {
        this.doc = undefined;
      }
    }
    return this.doc;
  }
}
