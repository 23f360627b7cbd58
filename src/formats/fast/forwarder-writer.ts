// The fast paths for `--profile forwarder`: documents written straight as bytes, byte-identical to
// forwarderDocument + documentJson or leefLine (the reference paths, which the tests compare them with), from
// raw records (decoding fused with writing: no event object, no bigints, no strings). The per-kind writers are
// shared by both encodings (encoding.ts): they write into a JsonBytes or a LeefBytes; this class frames their
// keys as a JSON object or a LEEF line.
import type { RecordContext } from "../../decode/event.js";
import type { ForwarderOptions } from "../forwarder.js";
import { DocWriter } from "./doc-writer.js";
import { twin } from "./encoding.js";
import { CROSSPROC, ENDPOINT, ENV, EVENT, Fields, PROCESS } from "./fields.js";
import { type Fragment, type JsonBytes, LeefBytes } from "./json-bytes.js";
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
import { DEFERRED, MAX_FAST_RECORD, type RecordWriter, SKIPPED, WRITTEN } from "./record-writer.js";
import { KIND, KINDS, selectedKinds } from "./selection.js";
import { blockedDoc, moduleDoc, tamperDoc } from "./standalone-kinds.js";

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;
const PIPE = 0x7c;

/** LEEF header fields (LEEF.md §1) up to the event id, by kind index: forwarder documents have no `cb_version`. */
const LEEF_HEADERS: Fragment[] = [];
for (const [kind, type] of [
  // QRadar's CB decoder expects the old name in the header; the `type` key keeps the real one.
  ["procstart", "ingress.event.process"],
  ["procend", "ingress.event.procend"],
  ["modload", "ingress.event.moduleload"],
  ["filemod", "ingress.event.filemod"],
  ["regmod", "ingress.event.regmod"],
  ["netconn", "ingress.event.netconn"],
  ["netconnv2", "ingress.event.netconn"],
  ["childproc", "ingress.event.childproc"],
  ["crossprocopen", "ingress.event.crossprocopen"],
  ["remotethread", "ingress.event.remotethread"],
  ["emet", "ingress.event.emetmitigation"],
  ["filelessscript", "ingress.event.filelessscriptload"],
  ["tamper", "ingress.event.tamper"],
  ["processblock", "ingress.event.processblock"],
  ["module", "ingress.event.module"],
] as const) {
  // Without the header's last "|": the first key's TAB becomes it.
  LEEF_HEADERS[KIND[kind]] = twin("", `LEEF:1.0|CB|CB|5.1|${type}`);
}

/** A direct forwarder-profile writer for one encoding (forwarder-json.ts, forwarder-leef.ts). */
export class FastForwarderWriter implements RecordWriter {
  kindIndex = -1;
  protected readonly f = new Fields();
  protected readonly d: DocWriter;
  /** LEEF: the LeefBytes that writes each document into the output's buffer. */
  private readonly leefOut: LeefBytes | undefined;
  private readonly links: ProcessLinks;
  /** 1 at the index of each exported kind. */
  protected readonly selected: Uint8Array;

  /** Whether the fast paths cover these settings: forwarder profile, no remove_from_output. */
  static supports(options: ForwarderOptions): boolean {
    return (
      options.profile === "forwarder" &&
      (options.removeFromOutput === undefined || options.removeFromOutput.length === 0)
    );
  }

  constructor(options: ForwarderOptions, leef: boolean, out: JsonBytes) {
    if (!FastForwarderWriter.supports(options))
      throw new Error("the fast path covers the forwarder profile only");
    this.leefOut = leef ? new LeefBytes(64) : undefined;
    this.d = new DocWriter(this.f, out, options, leef);
    this.links = processLinks(this.d, options.serverUrl);
    this.selected = selectedKinds(options.rawEvents);
  }

  /** RecordWriter.writeRecord: the forwarder document of the record. */
  writeRecord(src: Buffer, start: number, end: number, context: RecordContext, out: JsonBytes): number {
    const f = this.f;
    const index = scanKind(src, start, end, f);
    if (index < 0) return DEFERRED;
    this.kindIndex = index;
    if (this.selected[index] === 0) return SKIPPED;
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
      this.write(index, out, end - start);
    } catch {
      // Not expected (the tests compare every path with the reference); if it happens, the reference decides.
      out.pos = mark;
      return DEFERRED;
    }
    out.byte(NEWLINE);
    return WRITTEN;
  }

  /** Writes the document of the record in `f`, of the kind KINDS[index] (no line end). */
  protected write(index: number, out: JsonBytes, sourceBytes: number): void {
    const d = this.d;
    const kind = KINDS[index];
    // Room for the whole document: text escapes take at most 6 bytes per source byte (JSON; LEEF: 2, byte
    // lists 4).
    out.reserve(4096 + 8 * sourceBytes + 8 * (d.linkBytes + d.identityBytes));
    const leef = this.leefOut;
    if (leef !== undefined) {
      leef.useBufferOf(out);
      if (d.w !== leef) d.w = leef;
      const header = LEEF_HEADERS[index];
      if (header === undefined) throw new Error(`no LEEF header for ${kind}`);
      leef.raw(header);
    } else if (d.w !== out) d.w = out;
    const start = d.w.pos;
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
    if (leef !== undefined) {
      // Every key was written after a TAB: the first one ends the header.
      leef.buf[start] = PIPE;
      out.useBufferOf(leef);
      return;
    }
    // Every key was written after a comma: the first one opens the document.
    out.buf[start] = OPEN_BRACE;
    out.byte(CLOSE_BRACE);
  }
}

/**
 * Reads the record `src[start..end)` into `f` and returns its kind's index in KINDS; -1 when the reference path
 * must take it (too large, malformed, no payload a direct writer writes).
 */
export function scanKind(src: Buffer, start: number, end: number, f: Fields): number {
  if (end - start > MAX_FAST_RECORD || !scanRecord(src, start, end, f)) return -1;
  return classify(f);
}

/** The event kind by the forwarder's payload precedence (decode/event.ts), as its index in KINDS; -1 for none. */
export function classify(f: Fields): number {
  const E = EVENT.slot;
  const has = f.has;
  if (has[E.process] === 1) {
    const c = PROCESS.slot.created;
    return has[c] === 1 && (f.lo[c] | f.hi[c]) !== 0 ? KIND.procstart : KIND.procend;
  }
  if (has[E.modload] === 1) return KIND.modload;
  if (has[E.filemod] === 1) return KIND.filemod;
  if (has[E.networkv2] === 1) return KIND.netconnv2;
  if (has[E.network] === 1) return KIND.netconn;
  if (has[E.regmod] === 1) return KIND.regmod;
  if (has[E.childproc] === 1) return KIND.childproc;
  if (has[E.crossproc] === 1) return has[CROSSPROC.slot.open] === 1 ? KIND.crossprocopen : KIND.remotethread;
  if (has[E.emet] === 1) return KIND.emet;
  if (has[E.scriptexe] === 1) return KIND.filelessscript;
  if (has[E.tamperAlert] === 1) return KIND.tamper;
  if (has[E.blocked] === 1) return KIND.processblock;
  if (has[E.module] === 1) return KIND.module;
  return -1;
}
