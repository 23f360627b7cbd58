// The fast path for `--format json --profile forwarder`: documents written straight as bytes, byte-identical to
// forwarderDocument + documentJson (the reference path, which the tests compare it with). Two entry points:
// a raw record (decoding fused with writing: no event object, no bigints, no strings) and a decoded event.
import type { EventKind, RecordContext, SensorEvent } from "../../decode/event.js";
import type { ForwarderOptions } from "../forwarder.js";
import { DocWriter } from "./doc-writer.js";
import { EventFieldFiller } from "./event-fields.js";
import { CROSSPROC, ENDPOINT, ENV, EVENT, Fields, PROCESS } from "./fields.js";
import { JsonBytes } from "./json-bytes.js";
import { netconnDoc, netconnV2Doc } from "./network-kinds.js";
import {
  childprocDoc,
  crossprocDoc,
  emetDoc,
  filemodDoc,
  modloadDoc,
  type ProcessLinks,
  processDoc,
  processLinks,
  regmodDoc,
  scriptDoc,
} from "./process-kinds.js";
import { scanRecord } from "./record-scan.js";
import { DEFERRED, type RecordWriter, SKIPPED, WRITTEN } from "./record-writer.js";
import { selectedKinds } from "./selection.js";
import { blockedDoc, moduleDoc, tamperDoc } from "./standalone-kinds.js";

export { DEFERRED, SKIPPED, WRITTEN } from "./record-writer.js";

/** Records above this size go to the reference path (output room is reserved per record in advance). */
const MAX_FAST_RECORD = 1 << 20;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;

export class FastForwarderJson implements RecordWriter {
  /** Kind of the record last passed to writeRecord (when WRITTEN or SKIPPED). */
  kind: EventKind = "empty";
  private readonly f = new Fields();
  private readonly d: DocWriter;
  private readonly links: ProcessLinks;
  private readonly selected: ReadonlySet<EventKind>;
  private readonly filler: EventFieldFiller;
  private readonly eventOut = new JsonBytes(1 << 12);

  /** Whether the fast path covers these settings: forwarder profile, no remove_from_output. */
  static supports(options: ForwarderOptions): boolean {
    return (
      options.profile === "forwarder" &&
      (options.removeFromOutput === undefined || options.removeFromOutput.length === 0)
    );
  }

  constructor(options: ForwarderOptions) {
    if (!FastForwarderJson.supports(options))
      throw new Error("the fast path covers the forwarder profile only");
    this.d = new DocWriter(this.f, this.eventOut, options);
    this.links = processLinks(this.d, options.serverUrl);
    this.selected = selectedKinds(options.rawEvents);
    this.filler = new EventFieldFiller(this.f);
  }

  /** RecordWriter.writeRecord: the forwarder JSON document of the record. */
  writeRecord(src: Buffer, start: number, end: number, context: RecordContext, out: JsonBytes): number {
    const f = this.f;
    if (end - start > MAX_FAST_RECORD || !scanRecord(src, start, end, f)) return DEFERRED;
    const kind = classify(f);
    if (kind === undefined) return DEFERRED;
    this.kind = kind;
    if (!this.selected.has(kind)) return SKIPPED;
    const d = this.d;
    if (f.has[EVENT.slot.env] === 1 && f.has[ENV.slot.endpoint] === 1) {
      const s = ENDPOINT.slot;
      d.sensorId = f.has[s.SensorId] === 1 ? f.lo[s.SensorId] : 0;
      d.sensorKnown = true;
      d.hostFromRange(f.has[s.SensorHostName] === 1, f.lo[s.SensorHostName], f.hi[s.SensorHostName]);
    } else {
      d.sensorId = context.sensorId ?? 0;
      d.sensorKnown = context.sensorId !== undefined;
      d.hostFromText(context.computerName ?? "");
    }
    const mark = out.pos;
    try {
      this.write(kind, out, end - start);
    } catch {
      // Not expected (the tests compare every path with the reference); if it happens, the reference decides.
      out.pos = mark;
      return DEFERRED;
    }
    out.byte(NEWLINE);
    return WRITTEN;
  }

  /**
   * The document of a decoded event as a line (no terminator); undefined when not exported, null when the
   * reference path must format it.
   */
  eventLine(event: SensorEvent): string | undefined | null {
    const kind = event.kind;
    if (!this.selected.has(kind)) return undefined;
    const out = this.eventOut;
    try {
      if (!this.filler.fill(event)) return null;
      const d = this.d;
      d.sensorId = event.sensorId;
      d.sensorKnown = event.sensorIdSource !== "unknown";
      d.hostFromText(event.computerName);
      out.pos = 0;
      this.write(kind, out, this.filler.size);
    } catch {
      return null;
    }
    return out.buf.toString("utf8", 0, out.pos);
  }

  private write(kind: EventKind, out: JsonBytes, sourceBytes: number): void {
    const d = this.d;
    d.w = out;
    // Room for the whole document: text escapes take at most 6 bytes per source byte.
    out.reserve(4096 + 8 * sourceBytes + 8 * (d.linkBytes + d.identityBytes));
    const start = out.pos;
    switch (kind) {
      case "procstart":
      case "procend":
        processDoc(d, this.links, kind === "procstart");
        break;
      case "modload":
        modloadDoc(d);
        break;
      case "filemod":
        filemodDoc(d);
        break;
      case "regmod":
        regmodDoc(d);
        break;
      case "netconn":
        netconnDoc(d);
        break;
      case "netconnv2":
        netconnV2Doc(d);
        break;
      case "childproc":
        childprocDoc(d, this.links);
        break;
      case "crossprocopen":
      case "remotethread":
        crossprocDoc(d, this.links);
        break;
      case "emet":
        emetDoc(d);
        break;
      case "filelessscript":
        scriptDoc(d);
        break;
      case "tamper":
        tamperDoc(d);
        break;
      case "processblock":
        blockedDoc(d, this.links.target);
        break;
      case "module":
        moduleDoc(d);
        break;
    }
    // Every key was written after a comma: the first one opens the document.
    out.buf[start] = OPEN_BRACE;
    out.byte(CLOSE_BRACE);
  }
}

/** The event kind by the forwarder's payload precedence (decode/event.ts); undefined for a record without one. */
export function classify(f: Fields): EventKind | undefined {
  const E = EVENT.slot;
  const has = f.has;
  if (has[E.process] === 1) {
    const c = PROCESS.slot.created;
    return has[c] === 1 && (f.lo[c] | f.hi[c]) !== 0 ? "procstart" : "procend";
  }
  if (has[E.modload] === 1) return "modload";
  if (has[E.filemod] === 1) return "filemod";
  if (has[E.networkv2] === 1) return "netconnv2";
  if (has[E.network] === 1) return "netconn";
  if (has[E.regmod] === 1) return "regmod";
  if (has[E.childproc] === 1) return "childproc";
  if (has[E.crossproc] === 1) return has[CROSSPROC.slot.open] === 1 ? "crossprocopen" : "remotethread";
  if (has[E.emet] === 1) return "emet";
  if (has[E.scriptexe] === 1) return "filelessscript";
  if (has[E.tamperAlert] === 1) return "tamper";
  if (has[E.blocked] === 1) return "processblock";
  if (has[E.module] === 1) return "module";
  return undefined;
}
