import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { decodeRecord } from "../../src/decode/event.js";
import { type Doc, FloatValue, RawNumber } from "../../src/formats/document.js";
import { eventExporterDocument } from "../../src/formats/eventexporter.js";
import { csvLine, formatTime, TableFormatError, tableLine } from "../../src/formats/table.js";
import { fixture } from "../helpers/fixtures.js";

interface WorkedExample {
  id: string;
  input: string;
  forwarderJson: string;
  tableLine: string | null;
}

const EXAMPLES = (
  JSON.parse(readFileSync(fixture("worked-examples.json"), "utf8")) as { examples: WorkedExample[] }
).examples;
const WITH_TABLE = EXAMPLES.filter((e) => e.tableLine !== null);
const LEGACY = { legacyMd5Column: true };

function exporterDoc(ex: WorkedExample): Doc {
  const result = decodeRecord(Buffer.from(ex.input, "base64"));
  if (!result.ok) throw new Error(result.damage.message);
  return eventExporterDocument(result.event);
}

/** The §8 forwarder line as a document (its few numbers beyond 2^53 are not shown in table columns). */
function forwarderDoc(id: string): Doc {
  const ex = EXAMPLES.find((e) => e.id === id);
  if (ex === undefined) throw new Error(`no worked example ${id}`);
  return JSON.parse(ex.forwarderJson) as Doc;
}

/** The table line's five columns with the padding removed, i.e. the CSV fields. */
function tableFields(line: string): string[] {
  const [time, host, type, md5, ...detail] = line.split(" | ");
  return [time.trimEnd(), host.trimEnd(), type.trimStart(), md5.trimStart(), detail.join(" | ")];
}

describe("table lines: §8 worked examples byte for byte (original md5 column)", () => {
  for (const ex of WITH_TABLE) {
    it(ex.id, () => assert.equal(tableLine(exporterDoc(ex), LEGACY), ex.tableLine));
  }
  it("covers the 13 examples the original handled", () => assert.equal(WITH_TABLE.length, 13));
});

describe("CSV lines: the same examples", () => {
  for (const ex of WITH_TABLE) {
    it(ex.id, () => {
      assert.equal(csvLine(exporterDoc(ex), LEGACY), tableFields(ex.tableLine ?? "").join(" ; "));
    });
  }
  it("matches the §7.4 example", () => {
    const n1 = EXAMPLES.find((e) => e.id === "EX-N1");
    assert.ok(n1 !== undefined);
    assert.equal(
      csvLine(exporterDoc(n1)),
      "2015-11-16 18:15:05 ;  ; netconn ;  ; 74.125.22.100:443 (tools.google.com) via tcp outbound",
    );
  });
});

describe("md5 column", () => {
  it("is the 32-character upper-case MD5 by default", () => {
    const p1 = EXAMPLES.find((e) => e.id === "EX-P1");
    assert.ok(p1 !== undefined);
    assert.equal(
      tableLine(exporterDoc(p1)),
      "2015-11-16 18:10:23 |                      |       proc |  D6021013D7C4E248AEB8BED12D3DCC88 | " +
        "c:\\windows\\system32\\searchprotocolhost.exe",
    );
    assert.equal(
      csvLine({ timestamp: 0, type: "binary_info", md5: "edb8de74e38f1b6e4a9b8b8000334df7" }).split(" ; ")[3],
      "EDB8DE74E38F1B6E4A9B8B8000334DF7",
    );
  });
  it("is empty without md5, in both modes", () => {
    assert.equal(csvLine({ timestamp: 0, type: "x" }, LEGACY), "1970-01-01 00:00:00 ;  ; x ;  ; ");
    assert.equal(csvLine({ timestamp: 0, type: "x", md5: null }), "1970-01-01 00:00:00 ;  ; x ;  ; ");
  });
});

describe("forwarder-profile documents", () => {
  const fields = (doc: Doc) => csvLine(doc).split(" ; ");

  it("take the type column from event_type and the host from computer_name", () => {
    assert.deepEqual(fields(forwarderDoc("EX-P1")), [
      "2015-11-16 18:10:23",
      "JASON-WIN81-VM",
      "proc",
      "D6021013D7C4E248AEB8BED12D3DCC88",
      "c:\\windows\\system32\\searchprotocolhost.exe",
    ]);
    assert.equal(
      tableLine(forwarderDoc("EX-N2")),
      "2015-11-16 19:49:43 | WIN-OTEMNUTBS23      |    netconn |  E3A2AD05E24105B35E986CF9CB38EC47 | " +
        "70.106.217.240:49161 () via tcp inbound",
    );
  });

  it("show target_path for cross_process, path for blocked_process, nothing for tamper/emet", () => {
    assert.equal(fields(forwarderDoc("EX-X1"))[4], "c:\\windows\\system32\\lsass.exe");
    assert.equal(fields(forwarderDoc("EX-X2"))[2], "cross_process");
    assert.equal(fields(forwarderDoc("EX-X2"))[4], "c:\\users\\dragon\\desktop\\injector.exe");
    assert.deepEqual(fields(forwarderDoc("EX-B1")).slice(2), [
      "blocked_process",
      "458F4590F80563EB2A0A72709BFC2BD9",
      "c:\\windows\\system32\\mspaint.exe",
    ]);
    assert.deepEqual(fields(forwarderDoc("EX-T1")).slice(2), ["tamper", "", ""]);
    assert.equal(fields(forwarderDoc("EX-E1"))[4], "");
    assert.equal(fields(forwarderDoc("EX-C1"))[4], "True");
    assert.equal(fields(forwarderDoc("EX-I1"))[2], "binary_info");
  });

  it("netconn v2 uses remote_ip/remote_port (and the 3.8 key Protocol)", () => {
    const v2: Doc = {
      timestamp: 1447697705,
      type: "ingress.event.netconn",
      event_type: "netconn",
      computer_name: "HOST",
      remote_ip: "2001:db8::1",
      remote_port: 443,
      local_ip: "10.0.0.1",
      local_port: 50000,
      domain: "example.com",
      protocol: 17,
      direction: "outbound",
    };
    assert.equal(fields(v2)[4], "2001:db8::1:443 (example.com) via udp outbound");
    const v38: Doc = { ...v2, Protocol: 6 };
    delete v38.protocol;
    assert.equal(fields(v38)[4], "2001:db8::1:443 (example.com) via tcp outbound");
  });

  it("pads a long host and type without truncating", () => {
    const doc: Doc = {
      timestamp: 0,
      type: "watchlist.hit.process",
      computer_name: "A-VERY-LONG-HOST-NAME-01",
    };
    assert.equal(
      tableLine(doc),
      `1970-01-01 00:00:00 | A-VERY-LONG-HOST-NAME-01 | watchlist.hit.process | ${" ".repeat(33)} | `,
    );
  });
});

describe("time column", () => {
  it("accepts integers, bigints, float and verbatim times (fraction dropped), in UTC", () => {
    assert.equal(formatTime(1447697423), "2015-11-16 18:10:23");
    assert.equal(formatTime(1447697423n), "2015-11-16 18:10:23");
    assert.equal(formatTime(new FloatValue(1447697423.6713495)), "2015-11-16 18:10:23");
    assert.equal(formatTime(new RawNumber("1447698003.24")), "2015-11-16 18:20:03");
    assert.equal(formatTime(-0.5), "1969-12-31 23:59:59");
    assert.equal(formatTime(-62135596800), "0001-01-01 00:00:00");
    assert.equal(formatTime(253402300799), "9999-12-31 23:59:59");
  });

  it("fails without a usable timestamp (vtwrite's empty document), as the original", () => {
    assert.throws(() => tableLine({}), TableFormatError);
    assert.throws(() => csvLine({}), TableFormatError);
    assert.throws(() => tableLine({ timestamp: "1447697423" }), TableFormatError);
    assert.throws(() => tableLine({ timestamp: 253402300800 }), TableFormatError);
    assert.throws(() => tableLine({ timestamp: 18446744073709551615n }), TableFormatError);
    assert.throws(() => tableLine({ timestamp: new FloatValue(Number.NaN) }), TableFormatError);
  });
});
