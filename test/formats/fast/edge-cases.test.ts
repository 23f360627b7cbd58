import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeRecord } from "../../../src/decode/event.js";
import { DEFERRED, FastForwarderJson, WRITTEN } from "../../../src/formats/fast/forwarder-json.js";
import { JsonBytes } from "../../../src/formats/fast/json-bytes.js";
import { EventFormatter } from "../../../src/formats/formatter.js";
import { formatOptions } from "../../../src/formats/options.js";
import { Rng } from "../../../src/generate/archive-generator.js";
import { ProtoWriter } from "../../../src/generate/protobuf-writer.js";
import { options, PathComparer } from "./compare.js";

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

function same(payloads: Buffer[], settings = {}, maxDeferred = 0): PathComparer {
  const comparer = new PathComparer(options(settings));
  payloads.forEach((p, i) => {
    comparer.check(p, {}, `case ${i}`);
    comparer.check(p, { sensorId: 12, sensorIdSource: "folder", computerName: "h" }, `case ${i} (context)`);
  });
  comparer.assertSame(maxDeferred * 2);
  return comparer;
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

describe("fast forwarder JSON: edge cases", () => {
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

  it("covers only json + forwarder without remove_from_output", () => {
    const base = formatOptions({ serverName: "s" });
    assert.ok(new EventFormatter({ ...base, format: "json" }).fast);
    assert.equal(new EventFormatter({ ...base, format: "leef" }).fast, undefined);
    assert.equal(new EventFormatter({ ...base, format: "csv" }).fast, undefined);
    assert.equal(new EventFormatter({ ...base, format: "json", profile: "forwarder-3.8" }).fast, undefined);
    assert.equal(new EventFormatter({ ...base, format: "json", profile: "eventexporter" }).fast, undefined);
    const removing = { ...base, format: "json" as const, removeFromOutput: ["md5"] };
    assert.equal(new EventFormatter(removing).fast, undefined);
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
