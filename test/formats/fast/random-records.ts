// Random well-formed CbEventMsg records, driven by the .proto schema: every field of every message can appear,
// with values from pools of edge cases (text Go escapes, invalid UTF-8, 64-bit extremes, unknown enum values,
// IPv6 addresses), repeated (the last one wins), next to unknown fields. The reference path is the oracle.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import type { Rng } from "../../../src/generate/archive-generator.js";
import { ProtoWriter } from "../../../src/generate/protobuf-writer.js";
import { ROOT } from "../../helpers/fixtures.js";

const root = protobuf.parse(readFileSync(join(ROOT, "src", "schema", "sensor_events.proto"), "utf8"), {
  keepCase: true,
}).root;
root.resolveAll();
const EVENT = root.lookupType("CbEventMsg");
/** Payloads the forwarder writes (JSON-OUTPUT.md §2.1); the others are never output. */
const EXPORTED = new Set(
  "process modload filemod networkv2 network regmod childproc crossproc emet scriptexe tamperAlert blocked module".split(
    " ",
  ),
);

const TEXTS: readonly (string | number[])[] = [
  "",
  "c:\\windows\\system32\\kernelbase.dll",
  "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
  '<script>alert("x")</script> & more',
  "tab\there\nnew line\r\u0000\u0001\u0008\u000c\u001f\u007f end",
  "separators \u2028 and \u2029",
  "zoë ファイル 😀 budżet",
  "a real \ufffd replacement",
  "\\registry\\user\\s-1-5-21\\software\\{cebff5cd}\\count",
  "LEEF specials: a=b\\=c | d\\\\e\t=\n\r",
  [0x61, 0xe2, 0x82, 0x62, 0xff, 0x63],
  [0xc0, 0x80, 0xc1, 0xbf],
  [0xed, 0xa0, 0x80, 0x41],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf0, 0x9f, 0x98],
  [0xe2, 0x80],
  [0x80, 0xbf, 0xfe],
  [0xe2, 0x80, 0xa8, 0xe2, 0x80, 0xa9, 0xe2, 0x80, 0xaa],
  "x".repeat(3000),
];
const INT64 = [
  0n,
  1n,
  -1n,
  2n,
  9007199254740992n,
  9007199254740993n,
  -9007199254740993n,
  9223372036854775807n,
  -9223372036854775808n,
  130921710236713495n,
  116444736000000000n,
  116444735999999999n,
  116444736000009999n,
  133500000000000000n,
  -3051024288762533596n,
  4294967296n,
  4294967295n,
  -4294967296n,
];
const INT32 = [
  0, 1, -1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 48, 113, 200, 443, 2147483647, -2147483648, 65535,
];
const UINT32 = [0, 1, 2, 4, 8, 443, 47873, 20480, 1679195466, 0x7fffffff, 0x80000000, 0xffffffff];

/** Random messages of the schema. */
export class RandomRecords {
  constructor(private readonly r: Rng) {}

  /** One record: a header (usually with version), strings, maybe env, one or more payloads. */
  record(): Buffer {
    const w = new ProtoWriter(512);
    const r = this.r;
    const payloads = EVENT.fieldsArray.filter((f) => f.id >= 3 && f.name !== "env");
    const exported = payloads.filter((f) => EXPORTED.has(f.name));
    const pathKey = r.chance(0.5) ? r.pick(INT64) : undefined;
    // Fields in a shuffled order: the decoders must not depend on it.
    const parts: (() => void)[] = [];
    parts.push(() => w.message(1, () => this.header(w, pathKey)));
    if (r.chance(0.1)) parts.push(() => w.message(1, () => this.header(w, pathKey)));
    for (let i = r.int(4); i > 0; i--) {
      parts.push(() =>
        w.message(2, () => {
          if (r.chance(0.8)) w.int64(1, r.chance(0.6) && pathKey !== undefined ? pathKey : r.pick(INT64));
          if (r.chance(0.9)) this.text(w, 2);
          if (r.chance(0.5)) w.uint32(3, r.pick([1, 2, 3, 9]));
        }),
      );
    }
    if (r.chance(0.3)) parts.push(() => this.field(w, EVENT.fields.env as protobuf.Field, 0));
    const count = r.chance(0.85) ? 1 : r.int(3);
    for (let i = 0; i < count; i++) {
      const f = r.chance(0.9) ? r.pick(exported) : r.pick(payloads);
      parts.push(() => this.field(w, f, 0));
      if (r.chance(0.05)) parts.push(() => this.field(w, f, 0));
    }
    if (r.chance(0.1)) parts.push(() => this.unknown(w));
    for (let i = parts.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [parts[i], parts[j]] = [parts[j] as () => void, parts[i] as () => void];
    }
    for (const part of parts) part();
    return Buffer.from(w.view());
  }

  private header(w: ProtoWriter, pathKey: bigint | undefined): void {
    const r = this.r;
    if (r.chance(0.97)) w.int32(1, 4);
    if (r.chance(0.9)) w.int64(4, r.pick(INT64));
    if (r.chance(0.6)) w.int64(5, r.pick(INT64));
    if (pathKey !== undefined) w.int64(6, pathKey);
    if (r.chance(0.7)) w.int64(9, r.pick(INT64));
    if (r.chance(0.7)) w.int32(10, r.pick(INT32));
    if (r.chance(0.7)) this.bytes(w, 11);
    if (r.chance(0.6)) this.text(w, 12);
    if (r.chance(0.3)) w.int32(13, r.pick(INT32));
    if (r.chance(0.5)) this.bytes(w, 14);
    if (r.chance(0.1)) this.unknown(w);
  }

  /** A field of any type, by the schema; nested messages get a random subset of their fields. */
  private field(w: ProtoWriter, f: protobuf.Field, depth: number): void {
    const r = this.r;
    const type = f.resolvedType;
    if (type instanceof protobuf.Type) {
      w.message(f.id, () => {
        for (const sub of type.fieldsArray) {
          if (depth > 3 || !r.chance(0.6)) continue;
          this.field(w, sub, depth + 1);
          if (r.chance(0.05)) this.field(w, sub, depth + 1);
        }
        if (r.chance(0.05)) this.unknown(w);
      });
      return;
    }
    if (type instanceof protobuf.Enum) {
      const values = Object.values(type.values);
      w.int32(f.id, r.chance(0.8) ? r.pick(values) : r.pick(INT32));
      return;
    }
    switch (f.type) {
      case "bool":
        w.bool(f.id, r.chance(0.5));
        return;
      case "int32":
        w.int32(f.id, r.pick(INT32));
        return;
      case "uint32":
        w.uint32(f.id, r.pick(UINT32));
        return;
      case "int64":
      case "uint64":
        w.int64(f.id, r.pick(INT64));
        return;
      case "string":
        this.text(w, f.id);
        return;
      case "bytes":
        if (r.chance(0.5)) this.text(w, f.id);
        else this.bytes(w, f.id);
        return;
      default:
        throw new Error(`no generator for ${f.type}`);
    }
  }

  private text(w: ProtoWriter, field: number): void {
    const t = this.r.pick(TEXTS);
    if (typeof t === "string") w.string(field, t);
    else w.bytes(field, Buffer.from(t));
  }

  /** Hash-like bytes: usually 16 or 32, sometimes other lengths. */
  private bytes(w: ProtoWriter, field: number): void {
    const n = this.r.pick([16, 16, 32, 32, 0, 1, 20, 100]);
    w.bytes(field, this.r.bytes(n));
  }

  /** A field no message declares (numbers from 100), of every wire type the decoders skip. */
  private unknown(w: ProtoWriter): void {
    const r = this.r;
    switch (r.int(4)) {
      case 0:
        w.int64(100 + r.int(50), r.pick(INT64));
        break;
      case 1:
        w.bytes(100 + r.int(50), r.bytes(r.int(12)));
        break;
      case 2:
        w.message(100 + r.int(50), () => w.int32(1, 1));
        break;
      default:
        // A known field number with the wrong wire type is skipped like an unknown field.
        w.bytes(r.pick([1, 4, 9, 10]), r.bytes(3));
    }
  }
}
