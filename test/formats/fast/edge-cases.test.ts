import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeRecord } from "../../../src/decode/event.js";
import { DEFERRED, FastForwarderJson, WRITTEN } from "../../../src/formats/fast/forwarder-json.js";
import { FastForwarderLeef } from "../../../src/formats/fast/forwarder-leef.js";
import { JsonBytes } from "../../../src/formats/fast/json-bytes.js";
import { EventFormatter } from "../../../src/formats/formatter.js";
import { forwarderDocument } from "../../../src/formats/forwarder.js";
import { leefLine } from "../../../src/formats/leef.js";
import { formatOptions } from "../../../src/formats/options.js";
import { csvLine } from "../../../src/formats/table.js";
import { Rng } from "../../../src/generate/archive-generator.js";
import { ProtoWriter } from "../../../src/generate/protobuf-writer.js";
import { RecordRunFormatter } from "../../../src/pipeline/record-batch-formatter.js";
import { FORMATS, options, PathComparer, referenceLeef, type Settings } from "./compare.js";

/** A CbEventMsg: a header (version 4 and `header` fields), then `body`. */
function record(header: (w: ProtoWriter) => void, body: (w: ProtoWriter) => void = () => {}): Buffer {
  const w = new ProtoWriter(256);
  w.message(1, () => {
    w.int32(1, 4);
    header(w);
  });
  body(w);
  return Buffer.from(w.view());
}

/** The fused writer's line for a record (asserting it was written, not deferred). */
function fastLine(payload: Buffer, settings = {}): string {
  const fast = new FastForwarderJson(options(settings));
  const out = new JsonBytes(64);
  assert.equal(fast.writeRecord(payload, 0, payload.length, {}, out), WRITTEN);
  return out.buf.toString("utf8", 0, out.pos - 1);
}

/** The fused LEEF writer's line for a record, with its "\n" (asserting it was written). */
function leefBytes(payload: Buffer, settings: Settings = {}, context = {}): Buffer {
  const fast = new FastForwarderLeef(options(settings, "leef"));
  const out = new JsonBytes(64);
  assert.equal(fast.writeRecord(payload, 0, payload.length, context, out), WRITTEN);
  return Buffer.from(out.buf.subarray(0, out.pos));
}

/** The same as text (invalid bytes shown one character per byte). */
function leefText(payload: Buffer, settings: Settings = {}, context = {}): string {
  return leefBytes(payload, settings, context).toString("latin1");
}

/** Compares both formats with the reference, without and with a context; returns the LEEF comparer. */
function same(payloads: Buffer[], settings: Settings = {}, maxDeferred = 0): PathComparer {
  let last: PathComparer | undefined;
  for (const format of FORMATS) {
    const comparer = new PathComparer(options(settings, format));
    payloads.forEach((p, i) => {
      comparer.check(p, {}, `case ${i}`);
      comparer.check(p, { sensorId: 12, sensorIdSource: "folder", computerName: "h" }, `case ${i} (context)`);
    });
    comparer.assertSame(maxDeferred * 2);
    last = comparer;
  }
  assert.ok(last !== undefined);
  return last;
}

const regmod = (path: Buffer | string) =>
  record(
    (w) => w.int64(4, 130921710236713495n),
    (w) =>
      w.message(7, () => {
        w.uint32(2, 2);
        if (typeof path === "string") w.string(4, path);
        else w.bytes(4, path);
      }),
  );

describe("fast forwarder JSON and LEEF: edge cases", () => {
  it("invalid UTF-8: one \\ufffd per invalid byte, as Go writes it", () => {
    const line = fastLine(regmod(Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xff, 0x63])));
    assert.match(line, /"path":"a\\ufffd\\ufffdb\\ufffdc"/);
    same([regmod(Buffer.from([0xed, 0xa0, 0x80])), regmod(Buffer.from([0xf0, 0x9f, 0x98]))]);
  });

  it("characters Go escapes and JSON.stringify does not: <, >, &, U+2028, U+2029, \\b, \\f", () => {
    const line = fastLine(regmod('<a>&\u2028\u2029\b\f\u0000\u001f"\\'));
    assert.match(line, /"path":"\\u003ca\\u003e\\u0026\\u2028\\u2029\\u0008\\u000c\\u0000\\u001f\\"\\\\"/);
    same([regmod("zoë 😀 \ufffd \u007f")]);
  });

  it("negative sensor, pid and create time give two's-complement GUIDs", () => {
    const payload = record(
      (w) => {
        w.int64(9, -1n);
        w.int32(10, -2);
      },
      (w) => {
        w.message(7, () => w.uint32(2, 1));
        w.message(13, () => w.message(1, () => w.int32(1, -5)));
      },
    );
    assert.match(fastLine(payload), /"process_guid":"fffffffb-ffff-fffe-ffff-ffffffffffff"/);
    same([payload]);
  });

  it("64-bit values above 2^53 and negative ones stay exact", () => {
    const payloads = [9223372036854775807n, -9223372036854775808n, 9007199254740993n, -1n].map((v) =>
      record(
        (w) => w.int64(5, v),
        (w) =>
          w.message(3, () => {
            w.bool(2, true);
            w.int64(5, v);
            w.int64(4, v);
          }),
      ),
    );
    assert.match(fastLine(payloads[0]), /"parent_guid":9223372036854775807,/);
    assert.match(fastLine(payloads[1]), /"process_guid":"-9223372036854775808"/);
    same(payloads);
  });

  it("FILETIMEs: zero, before 1970 (wraps around), at 1970, the largest", () => {
    const times = [0n, 1n, 116444736000000000n - 1n, 116444736000000000n, 9223372036854775807n, -1n];
    const payloads = times.map((t) => regmodAt(t));
    same(payloads);
    same(payloads, { timeFloat: true });
    // Random FILETIMEs, mostly in this century, some anywhere in the int64 range.
    const r = new Rng(9);
    const random = Array.from({ length: 3000 }, (_, i) =>
      regmodAt(
        i % 3 === 0 ? r.int64() : 116444736000000000n + BigInt(r.uint32()) * BigInt(1 + r.int(1000000)),
      ),
    );
    same(random);
    same(random, { timeFloat: true });
  });

  it("absent optional fields: a bare payload of every kind", () => {
    const payloads = [3, 4, 5, 6, 7, 9, 12, 14, 15, 16, 17, 20, 23].map((field) =>
      record(
        () => {},
        (w) => w.message(field, () => {}),
      ),
    );
    same(payloads);
    same(payloads, { serverUrl: "https://cb/" });
  });

  it("unknown enum values", () => {
    const payloads = [
      ...[0, 3, 16, -1, 1000].map((a) =>
        record(
          () => {},
          (w) => w.message(5, () => w.int32(2, a)),
        ),
      ),
      ...[9, 200, -3].map((t) =>
        record(
          () => {},
          (w) => w.message(5, () => w.int32(5, t)),
        ),
      ),
      ...[0, 9].map((a) =>
        record(
          () => {},
          (w) => w.message(7, () => w.int32(2, a)),
        ),
      ),
      ...[3, -1].map((t) =>
        record(
          () => {},
          (w) => w.message(12, () => w.int32(12, t)),
        ),
      ),
      ...[0, 3].map((t) =>
        record(
          () => {},
          (w) => w.message(14, () => w.message(1, () => w.int32(1, t))),
        ),
      ),
      ...[0, 19, -1].map((m) =>
        record(
          () => {},
          (w) => w.message(17, () => w.message(3, () => w.int32(1, m))),
        ),
      ),
      ...[0, 6].map((t) =>
        record(
          () => {},
          (w) => w.message(15, () => w.int32(1, t)),
        ),
      ),
      ...[2, 3, 7].map((v) =>
        record(
          () => {},
          (w) =>
            w.message(16, () => {
              for (const f of [1, 2, 5]) w.int32(f, v);
            }),
        ),
      ),
      record(
        () => {},
        (w) => w.message(6, () => w.int32(6, 99)),
      ),
    ];
    same(payloads);
  });

  it("IPv6 and IPv4 addresses of netconn v2, with scopes and a proxy", () => {
    const ip = (w: ProtoWriter, field: number, high: bigint, low: bigint, scope?: string | Buffer) =>
      w.message(field, () => {
        w.bool(1, true);
        w.int64(4, high);
        w.int64(3, low);
        if (typeof scope === "string") w.string(5, scope);
        else if (scope !== undefined) w.bytes(5, scope);
      });
    const payloads = [
      [0x00000000b80d0120n, 0x0100000000000000n, undefined],
      [0x00000000000080fen, 0x0100000000000000n, "11"],
      [0n, 0x0a0000c0ffff0000n, undefined],
      [0n, 0n, "<&>"],
      [-1n, -1n, Buffer.from([0xff, 0x41])],
      [0x1234567890abcdefn, 0x0000000100000000n, undefined],
    ].map(([high, low, scope]) =>
      record(
        () => {},
        (w) =>
          w.message(20, () => {
            ip(w, 8, high as bigint, low as bigint, scope as string | undefined);
            w.message(10, () => w.uint32(2, 1679195466));
            w.bool(4, true);
            ip(w, 5, low as bigint, high as bigint);
          }),
      ),
    );
    assert.match(fastLine(payloads[0]), /"remote_ip":"2001:db8::1"/);
    assert.match(fastLine(payloads[1]), /"remote_ip":"fe80::1%11"/);
    assert.match(fastLine(payloads[2]), /"remote_ip":"192.0.0.10"/);
    same(payloads);
  });

  it("unknown fields of every wire type, and known fields with the wrong one, are skipped", () => {
    const base = regmodAt(130921710236713495n);
    const extras = [
      [0x79, 1, 2, 3, 4, 5, 6, 7, 8], // field 15, fixed64
      [0x7d, 1, 2, 3, 4], // field 15, fixed32
      [0xa3, 0x06, 0x08, 0x01, 0xa4, 0x06], // field 100, a group with a varint inside
      [0x0d, 1, 2, 3, 4], // field 1 (header) as fixed32: not a header
    ];
    same(extras.map((e) => Buffer.concat([base, Buffer.from(e)])));
  });

  it("malformed records are left to the reference path, which reports them as damage", () => {
    const base = regmodAt(1n);
    const bad = [
      Buffer.concat([base, Buffer.from([0xa3, 0x06, 0x08, 0x01])]), // unterminated group
      Buffer.concat([base, Buffer.from([0xa3, 0x06, 0xac, 0x06])]), // group ended by another field's end
      Buffer.concat([base, Buffer.from([0x7e])]), // wire type 6
      Buffer.concat([base, Buffer.from([0x3a, 0x02, 0x22, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65])]), // overruns regmod
      Buffer.concat([base, Buffer.from([0x3a, 0x05, 0x22, 0x09])]), // a length past the record
      Buffer.from([0x12, 0x00]), // no header
      Buffer.from([0x0a, 0x02, 0x20, 0x01]), // a header without version
      Buffer.from([0x0a, 0x02, 0x08, 0xff]), // a varint cut off
    ];
    const comparer = same(bad, {}, bad.length);
    assert.equal(comparer.counts.damaged, bad.length * 2);
  });

  it("payload precedence with several payloads; unexported payloads go to the reference path", () => {
    const both = record(
      () => {},
      (w) => {
        w.message(7, () => w.uint32(2, 4));
        w.message(4, () => w.bytes(3, Buffer.alloc(16, 1)));
      },
    );
    assert.match(fastLine(both), /"type":"ingress.event.moduleload"/);
    const meta = record(
      () => {},
      (w) => w.message(19, () => w.int32(3, 5)),
    );
    const fast = new FastForwarderJson(options());
    assert.equal(fast.writeRecord(meta, 0, meta.length, {}, new JsonBytes()), DEFERRED);
    const leef = new FastForwarderLeef(options({}, "leef"));
    assert.equal(leef.writeRecord(meta, 0, meta.length, {}, new JsonBytes()), DEFERRED);
    same([both, meta], {}, 1);
  });

  it("a payload that appears twice replaces the first; a header twice too", () => {
    const payload = record(
      (w) => w.int32(10, 7),
      (w) => {
        w.message(14, () => w.message(1, () => w.uint32(2, 5)));
        w.message(14, () => w.message(2, () => w.uint32(1, 6)));
        w.message(1, () => w.int32(1, 4));
      },
    );
    assert.match(fastLine(payload), /"cross_process_type":"remote_thread"/);
    assert.match(fastLine(payload), /"pid":0/);
    same([payload]);
  });

  it("a record over 1 MiB is left to the reference path; the decoded event still takes the fast one", () => {
    const payload = regmod("x".repeat(1_200_000));
    const comparer = same([payload], {}, 1);
    assert.equal(comparer.counts.deferred, 2);
  });

  it("covers only json and leef + forwarder without remove_from_output", () => {
    const base = formatOptions({ serverName: "s" });
    assert.ok(new EventFormatter({ ...base, format: "json" }).fast);
    assert.equal(new EventFormatter({ ...base, format: "leef" }).fast, undefined);
    assert.equal(new EventFormatter({ ...base, format: "csv" }).fast, undefined);
    assert.equal(new EventFormatter({ ...base, format: "json", profile: "forwarder-3.8" }).fast, undefined);
    assert.equal(new EventFormatter({ ...base, format: "json", profile: "eventexporter" }).fast, undefined);
    const removing = { ...base, format: "json" as const, removeFromOutput: ["md5"] };
    assert.equal(new EventFormatter(removing).fast, undefined);
    assert.equal(new EventFormatter(removing).recordWriter, undefined);
    assert.ok(new EventFormatter({ ...base, format: "json" }).recordWriter instanceof FastForwarderJson);
    assert.ok(new EventFormatter({ ...base, format: "leef" }).recordWriter instanceof FastForwarderLeef);
    const leef38 = { ...base, format: "leef" as const, profile: "forwarder-3.8" as const };
    assert.equal(new EventFormatter(leef38).recordWriter, undefined);
    assert.equal(new EventFormatter({ ...removing, format: "leef" }).recordWriter, undefined);
    const decoded = decodeRecord(regmodAt(1n));
    assert.ok(decoded.ok);
    const outcome = new EventFormatter(removing).event(decoded.event);
    assert.ok(outcome.status === "lines" && !outcome.lines[0].includes('"md5"'));
  });
});

function regmodAt(timestamp: bigint): Buffer {
  return record(
    (w) => {
      w.int64(4, timestamp);
      w.int32(10, 1972);
      w.int64(9, 130921710236713495n);
    },
    (w) => w.message(7, () => w.string(4, "\\registry\\machine")),
  );
}

const TAB = "\t";

/** A netconn v1 record: `outbound` (absent = the default, outbound), local and remote sides when given. */
function netconnV1(
  outbound: boolean | undefined,
  local?: [number, number],
  remote?: [number, number],
): Buffer {
  return record(
    (w) => w.int64(4, 130921710236713495n),
    (w) =>
      w.message(6, () => {
        w.uint32(2, 0x0a0b0c0d);
        w.uint32(5, 0x5000);
        w.int32(6, 17);
        w.bytes(7, Buffer.from("dns=x\tname"));
        if (outbound !== undefined) w.bool(8, outbound);
        if (remote !== undefined) {
          w.uint32(13, remote[0]);
          w.uint32(14, remote[1]);
        }
        if (local !== undefined) {
          w.uint32(15, local[0]);
          w.uint32(16, local[1]);
        }
      }),
  );
}

describe("fast forwarder LEEF: edge cases", () => {
  it('text: backslash, =, LF, CR, TAB escaped; |, <>&, " and non-ASCII as they are', () => {
    const line = leefText(regmod('a\\b=c\nd\re\tf|g<h>&i"zoë😀\u2028\u0000'));
    const want = Buffer.from('path=a\\\\b\\=c\\nd\\re\\tf|g<h>&i"zoë😀\u2028\u0000\t', "utf8");
    assert.ok(line.includes(want.toString("latin1")), line);
    same([regmod("=\\\n\r\t"), regmod("\\\\server\\share=1"), regmod("")]);
  });

  it("invalid UTF-8 goes out as the raw bytes (the pipeline restores them on the reference path)", () => {
    const bytes = [0x61, 0xe2, 0x82, 0x62, 0xff, 0x63, 0xed, 0xa0, 0x80, 0xc0, 0x80, 0x3d, 0xf0, 0x9f, 0x98];
    const line = leefBytes(regmod(Buffer.from(bytes)));
    const at = line.indexOf("path=");
    assert.deepEqual(
      [...line.subarray(at + 5, at + 5 + bytes.length + 1)],
      [...bytes.slice(0, 11), 0x5c, ...bytes.slice(11)],
    );
    same([
      regmod(Buffer.from(bytes)),
      regmod(Buffer.from([0xf4, 0x90, 0x80, 0x80])),
      regmod(Buffer.from([0x80, 0xbf, 0xfe, 0x5c])),
    ]);
  });

  it("netconn v1: src/dst/srcPort/dstPort/proto by direction, only for the sides present", () => {
    const local: [number, number] = [0x0100000a, 0x5000];
    const remote: [number, number] = [0x04030201, 0xbb01];
    const out = leefText(netconnV1(undefined, local, remote));
    assert.match(out, /\tdomain=dns\\=x\\tname\tdst=1\.2\.3\.4\tdstPort=443\tevent_type=netconn\t/);
    assert.match(out, /\tprocess_guid=0\tproto=17\tprotocol=17\t/);
    assert.match(out, /\tsha256=\tsrc=10\.0\.0\.1\tsrcPort=80\ttimestamp=/);
    const inbound = leefText(netconnV1(false, local, remote));
    assert.match(inbound, /\tdirection=inbound\t/);
    assert.match(inbound, /\tdst=10\.0\.0\.1\tdstPort=80\t/);
    assert.match(inbound, /\tsrc=1\.2\.3\.4\tsrcPort=443\t/);
    const noLocal = leefText(netconnV1(true, undefined, remote));
    assert.ok(!noLocal.includes(`${TAB}src=`) && noLocal.includes(`${TAB}dst=`), noLocal);
    const payloads = [true, false, undefined].flatMap((o) => [
      netconnV1(o, local, remote),
      netconnV1(o, local),
      netconnV1(o, undefined, remote),
      netconnV1(o),
    ]);
    same(payloads);
    same(payloads, { serverUrl: "https://cb/=x" });
  });

  it("netconn v2: the additions from IPv6 addresses with scopes, both directions, with a proxy", () => {
    const ip = (w: ProtoWriter, field: number, low: bigint, scope?: string | Buffer) =>
      w.message(field, () => {
        w.bool(1, true);
        w.int64(4, 0x00000000b80d0120n);
        w.int64(3, low);
        if (typeof scope === "string") w.string(5, scope);
        else if (scope !== undefined) w.bytes(5, scope);
      });
    const payloads = [true, false, undefined].flatMap((outbound) =>
      [undefined, "eth0=1\t", Buffer.from([0xff, 0x3d])].map((scope) =>
        record(
          () => {},
          (w) =>
            w.message(20, () => {
              w.int32(1, 6);
              if (outbound !== undefined) w.bool(3, outbound);
              w.bool(4, true);
              ip(w, 5, 0x0300000000000000n);
              w.uint32(6, 0x5000);
              ip(w, 8, 0x0100000000000000n, scope);
              w.uint32(9, 0xbb01);
              ip(w, 10, 0x0200000000000000n);
              w.uint32(11, 0x3930);
              w.string(12, "ja3=");
            }),
        ),
      ),
    );
    const out = leefText(payloads[4]);
    assert.match(out, /\tdirection=inbound\tdomain=\tdst=2001:db8::2\tdstPort=12345\t/);
    assert.match(out, /\tsrc=2001:db8::1%eth0\\=1\\t\tsrcPort=443\t/);
    assert.match(out, /\tproto=6\tprotocol=6\tproxy=true\t/);
    same(payloads);
  });

  it("process start: header event id ingress.event.process, type key ingress.event.procstart", () => {
    const proc = (created: boolean) =>
      record(
        (w) => {
          w.int64(4, 130921710236713495n);
          w.int32(10, 1972);
          w.int64(9, 130921710236713495n);
        },
        (w) =>
          w.message(3, () => {
            w.int32(1, 1972);
            w.bool(2, created);
            w.bytes(9, Buffer.from('"C:\\x.exe" a=b'));
          }),
      );
    const start = leefText(proc(true), { serverUrl: "https://cb/" });
    assert.ok(start.startsWith("LEEF:1.0|CB|CB|5.1|ingress.event.process|cb_server=cbserver\tcommand_line="));
    assert.match(start, /\ttype=ingress\.event\.procstart\n$/);
    assert.match(start, /\tcommand_line="C:\\\\x\.exe" a\\=b\t/);
    assert.match(start, /\tlink_parent=https:\/\/cb\/#analyze\/[0-9a-f-]+\/1\tlink_process=/);
    const end = leefText(proc(false));
    assert.ok(end.startsWith("LEEF:1.0|CB|CB|5.1|ingress.event.procend|cb_server="));
    same([proc(true), proc(false)], { serverUrl: "https://cb/" });
  });

  it("server URL and name with characters LEEF escapes; unknown sensors; host names from the context", () => {
    const payloads = [regmodAt(130921710236713495n), netconnV1(false, [1, 2], [3, 4])];
    const settings = { serverUrl: "https://cb.example.com/a=b\\c\td/", serverName: "cb=\\\n\udc80\ud800" };
    const line = leefBytes(payloads[0], settings);
    // An escaped invalid byte (U+DC80) goes out raw, another lone surrogate as U+FFFD (as Buffer.from).
    const server = Buffer.concat([
      Buffer.from("cb_server=cb\\=\\\\\\n"),
      Buffer.of(0x80, 0xef, 0xbf, 0xbd, 9),
    ]);
    assert.ok(line.includes(server), line.toString("latin1"));
    assert.ok(line.includes(Buffer.from("\tlink_process=https://cb.example.com/a\\=b\\\\c\\td/#analyze/")));
    assert.match(leefText(payloads[0], {}, {}), /\tsensor_id=0\t/);
    for (const format of FORMATS) {
      const comparer = new PathComparer(options(settings, format));
      for (const [i, p] of payloads.entries()) {
        comparer.check(p, {}, `unknown sensor ${i}`);
        comparer.check(p, { sensorId: -1, computerName: "h=\t\\\udcff\ud800x" }, `context ${i}`);
        comparer.check(p, { sensorId: 5, sensorIdSource: "option", computerName: "" }, `option ${i}`);
      }
      comparer.assertSame();
    }
  });

  it("module: digsig as JSON text, byte lists, icon=[] when absent, upper-cased hashes, float times", () => {
    const module = (icon: Buffer | undefined, header: Buffer | undefined, text: string | Buffer) =>
      record(
        (w) => w.int64(4, 130921710236713495n),
        (w) =>
          w.message(9, () => {
            if (typeof text === "string") w.string(1, text);
            else w.bytes(1, text);
            w.uint32(2, 7457624);
            w.uint64(3, 7457624n);
            w.string(4, "NT Kernel & System=\t");
            if (typeof text === "string") w.string(19, text);
            else w.bytes(19, text);
            if (icon !== undefined) w.bytes(24, icon);
            if (header !== undefined) w.bytes(25, header);
          }),
      );
    const bytes = Buffer.from([100, 134, 21, 0, 255]);
    const line = leefBytes(module(undefined, bytes, "<a&b>=ß")).toString("utf8");
    assert.match(line, /\tdigsig=\{"issuer_name":"\\u003ca\\u0026b\\u003e=ß","program_name":"",/);
    assert.match(line, /\ticon=\[\]\timage_file_header=\[100 134 21 0 255\]\tmd5=<A&B>\\=SS\t/);
    assert.match(line, /\tutf8_file_description=NT Kernel & System\\=\\t\t/);
    const payloads = [
      module(undefined, undefined, "abc"),
      module(Buffer.alloc(0), bytes, "d41d8cd98f00b204e9800998ecf8427e"),
      module(Buffer.alloc(300, 7), bytes, Buffer.from([0x61, 0xff, 0x3d, 0xc3, 0x9f])),
    ];
    same(payloads);
    same(payloads, { timeFloat: true });
  });

  it("float times in Go's %v form (exponent from 1e6 on)", () => {
    assert.match(
      leefText(regmodAt(130921710236713495n), { timeFloat: true }),
      /\ttimestamp=1\.44769742367134\d*e\+09\t/,
    );
    same([regmodAt(116444736000000000n + 10000n), regmodAt(116444736000000000n + 1n)], { timeFloat: true });
  });

  it("the pipeline with the LEEF writer: the same bytes as the reference, deferred lines' invalid bytes too", () => {
    // A record over 1 MiB is deferred: its reference line goes through JsonBytes.line, which restores them.
    const big = regmod(Buffer.concat([Buffer.alloc(1_100_000, 0x78), Buffer.from([0xff, 0x3d, 0xe2, 0x82])]));
    const payloads = [regmod(Buffer.from([0xff, 0x3d])), big, netconnV1(false, [1, 2])];
    const run = Buffer.concat(
      payloads.flatMap((p) => {
        const length = Buffer.alloc(4);
        length.writeUInt32LE(p.length);
        return [length, p];
      }),
    );
    const opts = options({}, "leef");
    const formatted = new RecordRunFormatter(opts).format([
      { records: run, offset: 0, index: 0, context: {} },
    ]);
    const expected = payloads.map((p) => {
      const decoded = decodeRecord(p);
      assert.ok(decoded.ok);
      const doc = forwarderDocument(decoded.event, opts);
      assert.ok(doc !== undefined);
      return referenceLeef(leefLine(doc, "forwarder"));
    });
    assert.equal(formatted.lines, 3);
    assert.ok(formatted.output.equals(Buffer.concat(expected)), "pipeline output differs");
  });

  it("the pipeline with the CSV writer: a deferred line's invalid bytes come out as U+FFFD, as the reference's", () => {
    const big = regmod(Buffer.concat([Buffer.alloc(1_100_000, 0x78), Buffer.from([0xff, 0x3d])]));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(big.length);
    const opts = options({}, "json");
    const csv = { ...opts, format: "csv" as const };
    const formatted = new RecordRunFormatter(csv).format([
      { records: Buffer.concat([length, big]), offset: 0, index: 0, context: {} },
    ]);
    const decoded = decodeRecord(big);
    assert.ok(decoded.ok);
    const doc = forwarderDocument(decoded.event, opts);
    assert.ok(doc !== undefined);
    assert.ok(formatted.output.equals(Buffer.from(`${csvLine(doc)}\n`, "utf8")), "pipeline output differs");
    assert.ok(formatted.output.includes(Buffer.from([0xef, 0xbf, 0xbd, 0x3d])));
  });
});
