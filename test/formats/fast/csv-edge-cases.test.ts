import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordContext } from "../../../src/decode/event.js";
import { FastForwarderCsv } from "../../../src/formats/fast/forwarder-csv.js";
import { FastForwarderJson } from "../../../src/formats/fast/forwarder-json.js";
import { FastForwarderLeef } from "../../../src/formats/fast/forwarder-leef.js";
import { JsonBytes } from "../../../src/formats/fast/json-bytes.js";
import { DEFERRED, WRITTEN } from "../../../src/formats/fast/record-writer.js";
import { EventFormatter } from "../../../src/formats/formatter.js";
import { formatOptions } from "../../../src/formats/options.js";
import { Rng } from "../../../src/generate/archive-generator.js";
import { ProtoWriter } from "../../../src/generate/protobuf-writer.js";
import { CSV_SETTINGS, CsvComparer, type CsvSettings, csvOptions } from "./compare-csv.js";

const TIME = 130921710236713495n; // 2015-11-16 18:10:23 UTC
const MD5 = Buffer.from("0123456789abcdeffedcba9876543210", "hex");

/** A CbEventMsg: a header (version 4, a timestamp unless given, and `header` fields), then `body`. */
function record(header: (w: ProtoWriter) => void, body: (w: ProtoWriter) => void = () => {}): Buffer {
  const w = new ProtoWriter(256);
  w.message(1, () => {
    w.int32(1, 4);
    header(w);
  });
  body(w);
  return Buffer.from(w.view());
}

/** A record of the current time with the acting process's md5, the payload `field` and its `body`. */
function event(field: number, body: (w: ProtoWriter) => void = () => {}, timestamp = TIME): Buffer {
  return record(
    (w) => {
      w.int64(4, timestamp);
      w.bytes(11, MD5);
      w.int64(6, 77n);
    },
    (w) => w.message(field, () => body(w)),
  );
}

/** The writer's line for a record (asserting it was written, not deferred). */
function fastLine(payload: Buffer, settings: CsvSettings = {}, context: RecordContext = {}): string {
  const fast = new FastForwarderCsv(csvOptions(settings));
  const out = new JsonBytes(64);
  assert.equal(fast.writeRecord(payload, 0, payload.length, context, out), WRITTEN);
  return out.buf.toString("utf8", 0, out.pos - 1);
}

/** Compares every payload in every setting, without and with a context; returns the comparers. */
function same(payloads: Buffer[], maxDeferred = 0): CsvComparer[] {
  return CSV_SETTINGS.map(([, settings]) => {
    const comparer = new CsvComparer(csvOptions(settings));
    payloads.forEach((p, i) => {
      comparer.check(p, {}, `case ${i}`);
      comparer.check(
        p,
        { sensorId: 12, sensorIdSource: "folder", computerName: "hôst" },
        `case ${i} (context)`,
      );
    });
    comparer.assertSame(maxDeferred * 2);
    return comparer;
  });
}

const regmod = (path: Buffer | string) =>
  event(7, (w) => {
    w.uint32(2, 2);
    if (typeof path === "string") w.string(4, path);
    else w.bytes(4, path);
  });

/** A record whose env names the host. */
function withHost(host: Buffer | string, payload: Buffer): Buffer {
  const w = new ProtoWriter(64);
  w.message(13, () =>
    w.message(1, () => {
      w.int32(1, 5);
      if (typeof host === "string") w.string(2, host);
      else w.bytes(2, host);
    }),
  );
  return Buffer.concat([payload, w.view()]);
}

describe("direct CSV/table writer: edge cases", () => {
  it("columns of a regmod, in CSV and as a table", () => {
    const payload = withHost("WIN-1", regmod("\\registry\\machine"));
    assert.equal(
      fastLine(payload),
      "2015-11-16 18:10:23 ; WIN-1 ; regmod ; 0123456789ABCDEFFEDCBA9876543210 ; \\registry\\machine",
    );
    assert.equal(
      fastLine(payload, { format: "table" }),
      "2015-11-16 18:10:23 | WIN-1                |     regmod |  0123456789ABCDEFFEDCBA9876543210 | \\registry\\machine",
    );
    assert.match(
      fastLine(payload, { legacyMd5Column: true }),
      / ; 3031323334353637383941424344454646454443424139383736353433323130 ; /,
    );
    same([payload]);
  });

  it("invalid UTF-8: one U+FFFD per invalid byte, as the reference line is encoded", () => {
    const line = fastLine(regmod(Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xff, 0x63])));
    assert.ok(line.endsWith(" ; a\ufffd\ufffdb\ufffdc"), line);
    same([
      regmod(Buffer.from([0xed, 0xa0, 0x80])),
      regmod(Buffer.from([0xf0, 0x9f, 0x98])),
      regmod(Buffer.from([0xc0, 0x80, 0xc1, 0xbf, 0xf4, 0x90, 0x80, 0x80, 0x80, 0xbf, 0xfe])),
    ]);
  });

  it("non-ASCII, control characters and separators are copied as they are", () => {
    same([regmod("zoë ファイル 😀 \ufffd \u2028 \u0000\t\n ; | \\")]);
  });

  it("host names from env: non-ASCII, invalid UTF-8, empty, absent, longer than the table column", () => {
    const base = regmod("p");
    const hosts: (string | Buffer)[] = [
      "zoë-😀",
      Buffer.from([0x68, 0xff, 0xe2, 0x82, 0x69]),
      "",
      "a-host-name-longer-than-twenty",
      "exactly-twenty-chars",
    ];
    const noName = Buffer.concat([base, Buffer.from([0x6a, 0x04, 0x0a, 0x02, 0x08, 0x05])]); // env.endpoint.SensorId only
    assert.match(fastLine(withHost("zoë-😀", base), { format: "table" }), /^.{19} \| zoë-😀 {15} \| /u);
    same([...hosts.map((h) => withHost(h, base)), noName]);
  });

  it("host names from the context (unknown sensor, lone surrogates, long names)", () => {
    const payload = regmod("p");
    for (const computerName of ["", "h\ud800x", "😀".repeat(25), "<a>"]) {
      for (const [, settings] of CSV_SETTINGS) {
        const comparer = new CsvComparer(csvOptions(settings));
        comparer.check(payload, { computerName }, computerName);
        comparer.check(payload, { computerName, sensorId: 3, sensorIdSource: "option" }, computerName);
        comparer.assertSame();
      }
    }
  });

  it("netconn v1: outbound/inbound, tcp/udp, with and without domain and addresses", () => {
    const payloads = [
      event(6, (w) => {
        w.uint32(2, 1679195466);
        w.uint32(5, 47873);
        w.int32(6, 6);
        w.bytes(7, Buffer.from("www.example.com"));
        w.bool(8, true);
      }),
      event(6, (w) => {
        w.uint32(2, 0xffffffff);
        w.uint32(5, 0x3500);
        w.int32(6, 17);
        w.bool(8, false);
        w.uint32(13, 1);
        w.uint32(14, 80);
      }),
      event(6, () => {}),
      event(6, (w) => {
        w.int32(6, 99);
        w.bytes(7, Buffer.from([0xe2, 0x82, 0x41]));
      }),
    ];
    assert.ok(fastLine(payloads[0]).endsWith(" ; 74.125.22.100:443 (www.example.com) via tcp outbound"));
    assert.ok(fastLine(payloads[1]).endsWith(" ; 255.255.255.255:53 () via udp inbound"));
    assert.ok(fastLine(payloads[2]).endsWith(" ; 0.0.0.0:0 () via tcp outbound"));
    same(payloads);
  });

  it("netconn v2: IPv4 and IPv6 remote addresses, scopes, none, udp inbound", () => {
    const ip = (w: ProtoWriter, field: number, high: bigint, low: bigint, scope?: string | Buffer) =>
      w.message(field, () => {
        w.bool(1, true);
        w.int64(4, high);
        w.int64(3, low);
        if (typeof scope === "string") w.string(5, scope);
        else if (scope !== undefined) w.bytes(5, scope);
      });
    const payloads = [
      event(20, (w) => {
        ip(w, 8, 0x00000000b80d0120n, 0x0100000000000000n);
        w.uint32(9, 47873);
        w.bytes(2, Buffer.from("v6.example"));
      }),
      event(20, (w) => {
        ip(w, 8, 0x00000000000080fen, 0x0100000000000000n, "11");
        w.int32(1, 17);
        w.bool(3, false);
      }),
      event(20, (w) => ip(w, 8, -1n, -1n, Buffer.from([0xff, 0x41]))),
      event(20, (w) => w.message(8, () => w.uint32(2, 1679195466))),
      event(20, (w) => w.message(10, () => w.uint32(2, 1679195466))),
      event(20, () => {}),
    ];
    assert.ok(fastLine(payloads[0]).endsWith(" ; 2001:db8::1:443 (v6.example) via tcp outbound"));
    assert.ok(fastLine(payloads[1]).endsWith(" ; fe80::1%11:0 () via udp inbound"));
    assert.ok(fastLine(payloads[3]).endsWith(" ; 74.125.22.100:0 () via tcp outbound"));
    same(payloads);
  });

  it("childproc created True/False/absent; cross-process open, remote thread, neither", () => {
    const payloads = [
      event(12, (w) => {
        w.bool(1, true);
        w.bytes(3, MD5);
        w.string(5, "c:\\child.exe");
      }),
      event(12, (w) => w.bool(1, false)),
      event(12),
      event(14, (w) => w.message(1, () => w.string(5, "c:\\target.exe"))),
      event(14, (w) => w.message(2, () => w.string(3, "c:\\remote.exe"))),
      event(14, (w) => w.bool(4, true)),
    ];
    assert.ok(fastLine(payloads[0]).endsWith(" ; childproc ; 0123456789ABCDEFFEDCBA9876543210 ; True"));
    assert.ok(fastLine(payloads[1]).endsWith(" ; childproc ;  ; False"));
    assert.ok(
      fastLine(payloads[3]).endsWith(" ; cross_process ; 0123456789ABCDEFFEDCBA9876543210 ; c:\\target.exe"),
    );
    same(payloads);
  });

  it("process start (own md5 or the header's), process end, modload, filemod: path from the strings table", () => {
    const strings = (w: ProtoWriter) => {
      w.message(2, () => {
        w.int64(1, 76n);
        w.string(2, "wrong");
      });
      w.message(2, () => {
        w.int64(1, 77n);
        w.bytes(2, Buffer.from("c:\\wïndows\\x.dll"));
      });
    };
    const own = Buffer.alloc(16, 0xab);
    const withStrings = (field: number, body: (w: ProtoWriter) => void) =>
      Buffer.concat([
        event(field, body),
        (() => {
          const w = new ProtoWriter(64);
          strings(w);
          return Buffer.from(w.view());
        })(),
      ]);
    const payloads = [
      withStrings(3, (w) => {
        w.bool(2, true);
        w.bytes(6, own);
      }),
      withStrings(3, (w) => w.bool(2, true)),
      withStrings(3, (w) => {
        w.bool(2, false);
        w.bytes(6, own);
      }),
      withStrings(4, (w) => w.bytes(3, own)),
      withStrings(4, () => {}),
      withStrings(5, (w) => w.int32(2, 4)),
      event(5, () => {}),
    ];
    assert.ok(fastLine(payloads[0]).endsWith(` ; proc ; ${"AB".repeat(16)} ; c:\\wïndows\\x.dll`));
    assert.ok(
      fastLine(payloads[2]).endsWith(" ; proc ; 0123456789ABCDEFFEDCBA9876543210 ; c:\\wïndows\\x.dll"),
    );
    assert.ok(fastLine(payloads[4]).endsWith(" ; modload ;  ; c:\\wïndows\\x.dll"));
    assert.ok(fastLine(payloads[6]).endsWith(" ; filemod ; 0123456789ABCDEFFEDCBA9876543210 ; "));
    same(payloads);
  });

  it("blocked process, and the kinds without a detail (emet, fileless script, tamper, module)", () => {
    const payloads = [
      event(16, (w) => {
        w.bytes(3, MD5);
        w.string(4, "c:\\blocked.exe");
        w.int32(7, 5);
      }),
      event(16),
      event(17, (w) => w.bytes(4, Buffer.from("text"))),
      event(23, (w) => w.string(1, "script")),
      event(15, (w) => w.int32(1, 3)),
      event(9, (w) => w.bytes(1, Buffer.from("0123456789abcdefABCDEF-xyz"))),
      event(9),
    ];
    assert.ok(
      fastLine(payloads[0]).endsWith(
        " ; blocked_process ; 0123456789ABCDEFFEDCBA9876543210 ; c:\\blocked.exe",
      ),
    );
    assert.ok(fastLine(payloads[4]).endsWith(" ; tamper ;  ; "));
    assert.ok(fastLine(payloads[4], { format: "table" }).endsWith(`|     tamper | ${" ".repeat(33)} | `));
    assert.ok(fastLine(payloads[5]).endsWith(" ; binary_info ; 0123456789ABCDEFABCDEF-XYZ ; "));
    same(payloads);
  });

  it("an md5 column longer than the table's, and a module md5 that is not ASCII (left to the reference)", () => {
    const long = event(4, (w) => w.bytes(3, Buffer.alloc(40, 0x5a)));
    const nonAscii = [
      event(9, (w) => w.string(1, "straße")),
      event(9, (w) => w.bytes(1, Buffer.from([0x61, 0xff]))),
    ];
    same([long]);
    same(nonAscii, nonAscii.length);
  });

  it("times: zero, the year 1 and 9999 bounds, outside them (failed by the reference, deferred here)", () => {
    const SECOND = 10_000_000n;
    const EPOCH = 116444736000000000n;
    const year9999End = (253402300799n + 11644473600n) * SECOND; // 9999-12-31 23:59:59
    const year1 = (-62135596800n + 11644473600n) * SECOND; // 0001-01-01 00:00:00 (negative FILETIME)
    const times = [
      0n,
      1n,
      EPOCH - 1n,
      EPOCH,
      EPOCH + SECOND - 1n,
      year9999End,
      year9999End + SECOND - 1n,
      year9999End + SECOND,
      year1,
      year1 - 1n,
      -1n,
      9223372036854775807n,
      -9223372036854775808n,
    ];
    const payloads = times.map((t) => event(7, (w) => w.string(4, "p"), t));
    assert.ok(fastLine(payloads[0]).startsWith("1970-01-01 00:00:00 ; "));
    assert.ok(fastLine(payloads[6]).startsWith("9999-12-31 23:59:59 ; "));
    assert.ok(fastLine(payloads[8], { timeFloat: true }).startsWith("0001-01-01 00:00:00 ; "));
    const fast = new FastForwarderCsv(csvOptions());
    assert.equal(fast.writeRecord(payloads[7], 0, payloads[7].length, {}, new JsonBytes()), DEFERRED);
    for (const comparer of same(payloads))
      assert.ok(comparer.counts.failed >= 4, JSON.stringify(comparer.counts));
    // Random FILETIMEs: mostly in this century (consecutive ones share days and seconds), some anywhere.
    const r = new Rng(9);
    let t = 133500000000000000n;
    const random = Array.from({ length: 5000 }, (_, i) => {
      t += BigInt(r.int(3)) * BigInt(r.int(100_000_000)) * (i % 50 === 0 ? 100_000n : 1n);
      return event(7, (w) => w.string(4, "p"), i % 7 === 0 ? r.int64() : t);
    });
    same(random);
  });

  it("covers csv and table with the forwarder profile and no remove_from_output", () => {
    const base = formatOptions({ serverName: "s" });
    for (const format of ["csv", "table"] as const) {
      assert.ok(new EventFormatter({ ...base, format }).recordWriter instanceof FastForwarderCsv);
      assert.ok(
        new EventFormatter({
          ...base,
          format,
          legacyMd5Column: true,
          timeFloat: true,
          serverUrl: "https://cb/",
        }).recordWriter instanceof FastForwarderCsv,
      );
      assert.equal(new EventFormatter({ ...base, format, profile: "forwarder-3.8" }).recordWriter, undefined);
      assert.equal(new EventFormatter({ ...base, format, profile: "eventexporter" }).recordWriter, undefined);
      assert.equal(
        new EventFormatter({ ...base, format, removeFromOutput: ["md5"] }).recordWriter,
        undefined,
      );
    }
    assert.ok(new EventFormatter({ ...base, format: "json" }).recordWriter instanceof FastForwarderJson);
    assert.ok(new EventFormatter({ ...base, format: "leef" }).recordWriter instanceof FastForwarderLeef);
  });
});
