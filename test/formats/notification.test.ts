import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { JsonParseError } from "../../src/decode/json-parse.js";
import type { Doc } from "../../src/formats/document.js";
import { documentJson } from "../../src/formats/json-text.js";
import {
  firstQueryParam,
  NotificationError,
  normalizeNotification,
  notificationType,
  parseFullId,
} from "../../src/formats/notification.js";
import { type FormatOptions, formatOptions } from "../../src/formats/options.js";
import { rawPath } from "../helpers/corpus.js";
import { expectedLines } from "../helpers/fixtures.js";

const LINKS = formatOptions({ serverName: "cbserver", serverUrl: "https://cbserver.example.com" });
const NO_LINKS = formatOptions({ serverName: "cbserver" });

/** The output text of one body: its documents joined with "\n", as in the expected files. */
function render(body: Buffer | string, routingKey: string, options: FormatOptions): string {
  return normalizeNotification(body, routingKey, options)
    .map((doc) => documentJson(doc, true))
    .join("\n");
}

/** The single output document of a body. */
function one(body: object | string, routingKey = "binaryinfo.observed", options = LINKS): Doc {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const docs = normalizeNotification(text, routingKey, options);
  assert.equal(docs.length, 1);
  return docs[0];
}

function reproduce(file: string, serverUrl?: string): void {
  const options = formatOptions({ serverName: "cbserver", serverUrl });
  const lines = expectedLines(file);
  assert.equal(lines.length, 268);
  const mismatches: string[] = [];
  for (const { key, output } of lines) {
    const routingKey = key.slice(0, key.lastIndexOf("/"));
    const text = render(readFileSync(rawPath("json", key)), routingKey, options);
    if (text !== output) mismatches.push(`${key}\n  want ${output}\n  got  ${text}`);
  }
  assert.equal(
    mismatches.length,
    0,
    `${mismatches.length}/${lines.length} differ:\n${mismatches.slice(0, 5).join("\n")}`,
  );
}

describe("JSON notifications reproduce cb-event-forwarder byte for byte", () => {
  it("server name only (forwarder.jsonbus)", () => reproduce("forwarder.jsonbus"));
  it("with deep links (forwarder.jsonbus-links)", () =>
    reproduce("forwarder.jsonbus-links", "https://cb.example.com/"));
});

describe("JSON-OUTPUT.md §5 worked examples", () => {
  it("example A: watchlist.hit.process with docs, IPs, GUIDs and links", () => {
    const body = readFileSync(rawPath("json", "watchlist.hit.process/0"));
    assert.equal(render(body, "watchlist.hit.process", LINKS), EXAMPLE_A);
  });

  it("example B: feed.24.ingress.hit.process loses the feed id in type", () => {
    const body = readFileSync(rawPath("json", "feed.24.ingress.hit.process/0"));
    assert.equal(render(body, "feed.24.ingress.hit.process", LINKS), EXAMPLE_B);
  });
});

describe("numbers stay verbatim", () => {
  it("keeps a decimal fraction and integers beyond 2^53", () => {
    const text = render(
      '{"event_timestamp":1447698003.24,"big":123456789012345678901,"neg":-9223372036854775809,"f":1.50}',
      "binaryinfo.observed",
      NO_LINKS,
    );
    assert.equal(
      text,
      '{"big":123456789012345678901,"cb_server":"cbserver","f":1.50,"neg":-9223372036854775809,' +
        '"timestamp":1447698003.24,"type":"binaryinfo.observed"}',
    );
  });
});

describe("errors", () => {
  it("malformed JSON gives a JsonParseError with its position", () => {
    assert.throws(() => normalizeNotification('{"a":1,', "binaryinfo.observed", NO_LINKS), {
      name: "JsonParseError",
      position: 7,
    });
    assert.throws(() => normalizeNotification(Buffer.from("{'a':1}"), "x", NO_LINKS), JsonParseError);
  });

  it("a body that is not an object, or docs that are not objects, gives a NotificationError", () => {
    for (const body of ["[]", "null", '"s"', "7", '{"docs":{}}', '{"docs":null}', '{"docs":[1]}']) {
      assert.throws(
        () => normalizeNotification(body, "watchlist.hit.process", NO_LINKS),
        NotificationError,
        body,
      );
    }
  });
});

describe("type from the routing key", () => {
  it("strips the id of feed.<digits>. keys only", () => {
    assert.equal(notificationType("feed.24.ingress.hit.process"), "feed.ingress.hit.process");
    assert.equal(notificationType("feed.7.storage.hit.binary"), "feed.storage.hit.binary");
    assert.equal(notificationType("feed.1.2.x"), "feed.2.x");
    assert.equal(notificationType("feed.24."), "feed.");
    assert.equal(notificationType("watchlist.12.storage.hit.process"), "watchlist.12.storage.hit.process");
    assert.equal(notificationType("feed.ingress.hit.process"), "feed.ingress.hit.process");
    assert.equal(notificationType("feed.24"), "feed.24");
    assert.equal(notificationType("feed.2a.x"), "feed.2a.x");
    assert.equal(notificationType("feed.24.a\nb"), "feed.24.a\nb");
  });

  it("replaces an incoming type and cb_server", () => {
    const doc = one({ type: "other", cb_server: "None" }, "feed.3.query.hit.binary");
    assert.equal(doc.type, "feed.query.hit.binary");
    assert.equal(doc.cb_server, "cbserver");
  });
});

describe("fix-ups", () => {
  it("removes highlights, renames event_timestamp, copies hostname", () => {
    const doc = one({ highlights: [1], event_timestamp: 5, timestamp: 1, hostname: "H", computer_name: "C" });
    assert.equal(documentJson(doc, true).includes("highlights"), false);
    assert.equal(Object.hasOwn(doc, "event_timestamp"), false);
    assert.equal(
      documentJson(doc, true),
      '{"cb_server":"cbserver","computer_name":"H","hostname":"H",' +
        '"timestamp":5,"type":"binaryinfo.observed"}',
    );
  });

  it("upper-cases md5 strings of exactly 32 characters and links them", () => {
    const md5 = "445c3e95c8cb05403aedaec3baaa3a1d";
    const doc = one({ md5, parent_md5: `${md5}0`, process_md5: md5.slice(1), other_md5: md5 });
    assert.equal(doc.md5, md5.toUpperCase());
    assert.equal(doc.parent_md5, `${md5}0`);
    assert.equal(doc.process_md5, md5.slice(1));
    assert.equal(doc.other_md5, md5);
    assert.equal(doc.link_md5, `https://cbserver.example.com/#/binary/${md5.toUpperCase()}`);
    assert.equal(Object.hasOwn(doc, "link_parent_md5"), false);
    assert.equal(Object.hasOwn(doc, "link_process_md5"), false);
  });

  it("counts md5 length in UTF-8 bytes and upper-cases per character like Go", () => {
    const thirty = "a".repeat(30);
    assert.equal(one({ md5: `${thirty}\u00df` }).md5, `${"A".repeat(30)}\u00df`); // 32 bytes, ß stays
    assert.equal(one({ md5: `${thirty}\u00e9\u00e9` }).md5, `${thirty}\u00e9\u00e9`); // 34 bytes: unchanged
  });

  it("upper-cases ioc_type.md5 whatever its length", () => {
    const doc = one({ ioc_type: { md5: "abc", other: "def" } });
    assert.deepEqual(doc.ioc_type, { md5: "ABC", other: "def" });
  });

  it("decodes a query IOC into ioc_query_index and ioc_query_string", () => {
    const iocValue = JSON.stringify({
      index_type: "events",
      search_query: "cb.urlver=1&q=a%3Ab+c%20d&q=second",
    });
    const doc = one({ ioc_type: "query", ioc_value: iocValue });
    assert.equal(doc.ioc_query_index, "events");
    assert.equal(doc.ioc_query_string, "a:b c d");
  });

  it("adds nothing when the query IOC cannot be decoded", () => {
    const bad = [
      "not json",
      '{"index_type":"events"}',
      '{"search_query":"q=x"}',
      '{"index_type":"events","search_query":"cb.urlver=1"}',
      '{"index_type":"events","search_query":"q=%zz"}',
      '{"index_type":"events","search_query":"a=1;b=2&q=x"}',
      '{"index_type":1,"search_query":"q=x"}',
      '["q=x"]',
    ];
    for (const iocValue of bad) {
      const doc = one({ ioc_type: "query", ioc_value: iocValue });
      assert.equal(Object.hasOwn(doc, "ioc_query_string"), false, iocValue);
      assert.equal(Object.hasOwn(doc, "ioc_query_index"), false, iocValue);
    }
    assert.equal(Object.hasOwn(one({ ioc_type: "query", ioc_value: 5 }), "ioc_query_index"), false);
  });

  it("treats a null member of the query IOC as an empty string (Go's map[string]string)", () => {
    const doc = one({ ioc_type: "query", ioc_value: '{"index_type":null,"search_query":"q=x"}' });
    assert.equal(doc.ioc_query_index, "");
    assert.equal(doc.ioc_query_string, "x");
  });

  it("parses URL queries like Go's url.ParseQuery", () => {
    assert.equal(firstQueryParam("&&q=1&q=2", "q"), "1");
    assert.equal(firstQueryParam("q", "q"), "");
    assert.equal(firstQueryParam("%71=x", "q"), "x");
    assert.equal(firstQueryParam("q=a=b", "q"), "a=b");
    assert.equal(firstQueryParam("q=%E2%82%AC", "q"), "\u20ac");
    assert.equal(firstQueryParam("q=1&x=%4", "q"), undefined);
    assert.equal(firstQueryParam("x=1", "q"), undefined);
  });

  it("converts integer comms_ip / interface_ip in signed 32-bit range to big-endian IPv4", () => {
    const ip = (value: string) => one(`{"comms_ip":${value},"interface_ip":${value}}`).comms_ip;
    assert.equal(ip("917477092"), "54.175.150.228");
    assert.equal(ip("-1407246848"), "172.31.30.0");
    assert.equal(ip("2147483647"), "127.255.255.255");
    assert.equal(ip("-2147483648"), "128.0.0.0");
    assert.equal(ip("-0"), "0.0.0.0");
    assert.equal(one('{"interface_ip":-1}').interface_ip, "255.255.255.255");
    assert.equal(
      render('{"comms_ip":2147483648}', "x", NO_LINKS),
      '{"cb_server":"cbserver","comms_ip":2147483648,"type":"x"}',
    );
    assert.equal(
      render('{"comms_ip":1.0}', "x", NO_LINKS),
      '{"cb_server":"cbserver","comms_ip":1.0,"type":"x"}',
    );
    assert.equal(one({ comms_ip: "1.2.3.4" }).comms_ip, "1.2.3.4");
  });
});

describe("process ids", () => {
  const guid = "00000007-0000-0fd4-01d1-209aa22a57ee";

  it("parses full ids by length", () => {
    assert.deepEqual(parseFullId(guid), { guid, segment: "1", valid: true });
    assert.deepEqual(parseFullId(`${guid}-0000000a`), { guid, segment: "10", valid: true });
    assert.deepEqual(parseFullId(`${guid}-zzzzzzzz`), { guid, segment: "1", valid: true });
    assert.deepEqual(parseFullId(`${guid}-00000000ffff`), { guid, segment: "65535", valid: true });
    assert.deepEqual(parseFullId(`${guid}-ffffffffffff`), { guid, segment: "281474976710655", valid: true });
    assert.deepEqual(parseFullId(`${guid}-00000000fffz`), { guid, segment: "0", valid: false });
    assert.deepEqual(parseFullId("short"), { guid: "short", segment: "1", valid: false });
    assert.deepEqual(parseFullId(`${guid}-01`), { guid, segment: "1", valid: false });
  });

  it("takes process_guid and segment_id from unique_id", () => {
    const doc = one(
      { unique_id: `${guid}-00000002`, process_id: "ignored", segment_id: 9 },
      "watchlist.hit.process",
    );
    assert.equal(doc.process_guid, guid);
    assert.equal(doc.segment_id, "2");
    assert.equal(doc.link_process, `https://cbserver.example.com/#analyze/${guid}/2`);
  });

  it("ignores unique_id for alert. routing keys and falls back to process_id", () => {
    const doc = one(
      { unique_id: "f1c5c90d-bc72-4d64-939b-54b20584c024", process_id: `${guid}-00000003` },
      "alert.x",
    );
    assert.equal(doc.process_guid, guid);
    assert.equal(doc.segment_id, "3");
    const noProcess = one({ unique_id: `${guid}-00000003` }, "alert.watchlist.hit.query.binary");
    assert.equal(Object.hasOwn(noProcess, "process_guid"), false);
    assert.equal(Object.hasOwn(noProcess, "link_process"), false);
  });

  it("falls back to process_id when unique_id is not a full id; short ids are kept whole", () => {
    const doc = one({ unique_id: "bad", process_id: "abc" });
    assert.equal(doc.process_guid, "abc");
    assert.equal(doc.segment_id, "1");
    assert.equal(doc.link_process, "https://cbserver.example.com/#analyze/abc/1");
  });

  it("sets parent_guid and parent_segment_id from parent_unique_id", () => {
    const doc = one({ parent_unique_id: `${guid}-0000000f` });
    assert.equal(doc.parent_guid, guid);
    assert.equal(doc.parent_segment_id, "15");
    assert.equal(doc.link_parent, `https://cbserver.example.com/#analyze/${guid}/15`);
  });

  it("links an incoming process_guid / parent_guid with default segments 0 and 1", () => {
    const doc = one({ process_guid: "p", parent_guid: "q" });
    assert.equal(doc.link_process, "https://cbserver.example.com/#analyze/p/0");
    assert.equal(doc.link_parent, "https://cbserver.example.com/#analyze/q/1");
    const numbered = one('{"process_guid":"p","segment_id":4,"parent_guid":"q","parent_segment_id":"5"}');
    assert.equal(numbered.link_process, "https://cbserver.example.com/#analyze/p/4");
    assert.equal(numbered.link_parent, "https://cbserver.example.com/#analyze/q/5");
  });
});

describe("deep links", () => {
  it("links the sensor only for an integer sensor_id", () => {
    assert.equal(one('{"sensor_id":7}').link_sensor, "https://cbserver.example.com/#/host/7");
    for (const value of ['"9"', "7.0", "4294967296", "null"]) {
      assert.equal(Object.hasOwn(one(`{"sensor_id":${value}}`), "link_sensor"), false, value);
    }
  });

  it("adds no links without a server URL", () => {
    const doc = one(
      { sensor_id: 1, md5: "a".repeat(32), unique_id: "x".repeat(36) },
      "binaryinfo.observed",
      NO_LINKS,
    );
    assert.deepEqual(
      Object.keys(doc).filter((k) => k.startsWith("link_")),
      [],
    );
    assert.equal(doc.process_guid, "x".repeat(36));
  });
});

describe("docs", () => {
  it("gives one output per document, each with its own fixed-up copy", () => {
    const body = {
      watchlist_id: 2,
      event_timestamp: 1.5,
      ioc_attr: { a: 1 },
      docs: [
        { sensor_id: 1, unique_id: "00000001-0000-0001-0000-000000000001", hostname: "A", highlights: [] },
        { sensor_id: 2, md5: "b".repeat(32) },
      ],
    };
    const docs = normalizeNotification(JSON.stringify(body), "watchlist.hit.process", LINKS);
    assert.equal(docs.length, 2);
    assert.equal(
      documentJson(docs[0], true),
      '{"cb_server":"cbserver","docs":[{"computer_name":"A","hostname":"A",' +
        '"link_process":"https://cbserver.example.com/#analyze/00000001-0000-0001-0000-000000000001/1",' +
        '"link_sensor":"https://cbserver.example.com/#/host/1","process_guid":"00000001-0000-0001-0000-000000000001",' +
        '"segment_id":"1","sensor_id":1,"unique_id":"00000001-0000-0001-0000-000000000001"}],"ioc_attr":{"a":1},' +
        '"timestamp":1.5,"type":"watchlist.hit.process","watchlist_id":2}',
    );
    assert.equal(
      documentJson(docs[1], true),
      `{"cb_server":"cbserver","docs":[{"link_md5":"https://cbserver.example.com/#/binary/${"B".repeat(32)}",` +
        `"link_sensor":"https://cbserver.example.com/#/host/2","md5":"${"B".repeat(32)}","sensor_id":2}],` +
        '"ioc_attr":{"a":1},"timestamp":1.5,"type":"watchlist.hit.process","watchlist_id":2}',
    );
    assert.notEqual(docs[0].ioc_attr, docs[1].ioc_attr); // deep copies, not shared
  });

  it("gives no output at all for an empty docs array", () => {
    assert.deepEqual(
      normalizeNotification('{"watchlist_id":1,"docs":[]}', "watchlist.hit.process", LINKS),
      [],
    );
  });
});

describe("remove_from_output", () => {
  it("deletes top-level keys in the forwarder profile only", () => {
    const body = '{"a":1,"b":{"a":2},"docs":[{"a":3}]}';
    const forwarder = formatOptions({ serverName: "s", removeFromOutput: ["a", "cb_server", "missing"] });
    assert.equal(render(body, "t", forwarder), '{"b":{"a":2},"docs":[{"a":3}],"type":"t"}');
    const v38 = formatOptions({ profile: "forwarder-3.8", serverName: "s", removeFromOutput: ["a"] });
    assert.equal(render(body, "t", v38), '{"a":1,"b":{"a":2},"cb_server":"s","docs":[{"a":3}],"type":"t"}');
  });
});

const EXAMPLE_A = String.raw`{"cb_server":"cbserver","cb_version":"5.1.0.150914.1400","docs":[{"childproc_count":0,"cmdline":"\"C:\\Users\\Administrator\\Downloads\\procexp.exe\" ","comms_ip":"54.175.150.228","computer_name":"WIN-OTEMNUTBS23","crossproc_count":94,"filemod_count":4,"group":"Default Group","host_type":"server","hostname":"WIN-OTEMNUTBS23","id":"00000007-0000-0fd4-01d1-209aa22a57ee","interface_ip":"172.31.30.0","last_update":"2015-11-16T18:14:34.366Z","link_parent":"https://cbserver.example.com/#analyze/00000007-0000-0fc8-01d1-209aa208f788/1","link_process":"https://cbserver.example.com/#analyze/00000007-0000-0fd4-01d1-209aa22a57ee/1","link_process_md5":"https://cbserver.example.com/#/binary/445C3E95C8CB05403AEDAEC3BAAA3A1D","link_sensor":"https://cbserver.example.com/#/host/7","modload_count":83,"netconn_count":0,"os_type":"windows","parent_guid":"00000007-0000-0fc8-01d1-209aa208f788","parent_md5":"000000000000000000000000000000","parent_name":"procexp.exe","parent_pid":4040,"parent_segment_id":"1","parent_unique_id":"00000007-0000-0fc8-01d1-209aa208f788-00000001","path":"c:\\users\\administrator\\appdata\\local\\temp\\2\\procexp64.exe","process_guid":"00000007-0000-0fd4-01d1-209aa22a57ee","process_md5":"445C3E95C8CB05403AEDAEC3BAAA3A1D","process_name":"procexp64.exe","process_pid":4052,"regmod_count":61,"segment_id":"1","sensor_id":7,"start":"2015-11-16T18:14:28.819Z","unique_id":"00000007-0000-0fd4-01d1-209aa22a57ee-00000001","username":"WIN-OTEMNUTBS23\\Administrator"}],"server_name":"cbtest","timestamp":1447698003.24,"type":"watchlist.hit.process","watchlist_id":2,"watchlist_name":"Non-System Filemods to system32"}`;

const EXAMPLE_B =
  '{"cb_server":"cbserver","cb_version":"5.2.0.161004.1206","computer_name":"WIN-IA9NQ1GN8OI","feed_id":24,"feed_name":"threatconnectintegration","from_feed_search":false,"group":"Default Group","hostname":"WIN-IA9NQ1GN8OI","ioc_attr":{"direction":"Outbound","dns_name":"actblues.com","local_ip":"172.22.5.141","local_port":52802,"port":80,"protocol":"TCP","remote_ip":"40.112.210.240","remote_port":80},"ioc_type":"dns","ioc_value":"actblues.com","link_process":"https://cbserver.example.com/#analyze/00000003-0000-03a0-01d2-3eb59e345cd5/1","link_sensor":"https://cbserver.example.com/#/host/3","os_type":"Windows","process_guid":"00000003-0000-03a0-01d2-3eb59e345cd5","process_id":"00000003-0000-03a0-01d2-3eb59e345cd5","report_id":"17326959","report_score":100,"segment_id":"1","sensor_id":3,"server_name":"localhost","timestamp":1479155289.752,"type":"feed.ingress.hit.process"}';
