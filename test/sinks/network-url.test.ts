import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DestinationError, parseDestination } from "../../src/sinks/index.js";
import type { NetworkDestination } from "../../src/sinks/network-url.js";

function network(url: string): NetworkDestination {
  const d = parseDestination(url);
  assert.equal(d.kind, "network");
  return d as NetworkDestination;
}

describe("network output URLs", () => {
  it("reads syslog options, with defaults: RFC 5424, octet counting, local0.info, ports 514/6514", () => {
    const d = network("syslog+tcp://siem.example.com?rfc=3164&framing=lf&facility=local4&severity=warning");
    assert.equal(d.name, "syslog+tcp://siem.example.com");
    assert.equal(d.port, 514);
    assert.deepEqual(
      {
        rfc: d.syslog?.rfc,
        framing: d.syslog?.framing,
        facility: d.syslog?.facility,
        severity: d.syslog?.severity,
      },
      { rfc: 3164, framing: "lf", facility: 20, severity: 4 },
    );
    const tls = network(
      "syslog+tls://siem:7000?ca=/etc/ca.pem&servername=siem.example.com&min_version=TLSv1.3",
    );
    assert.equal(tls.port, 7000);
    assert.deepEqual(tls.tls, {
      ca: "/etc/ca.pem",
      cert: undefined,
      key: undefined,
      servername: "siem.example.com",
      minVersion: "TLSv1.3",
      verify: true,
    });
    const udp = network("syslog+udp://[::1]");
    assert.deepEqual([udp.host, udp.port, udp.syslog?.framing, udp.maxDatagram], ["::1", 514, "none", 65507]);
    assert.equal(network("tcp://h:80").port, 80);
  });

  it("reads delivery, format and HTTP options; credentials become a header and leave the name", () => {
    const d = network(
      "https://u:p%40ss@collector:8443/in?gzip&header=X-Key:%20abc&format=leef&spool=/var/spool/cb" +
        "&spool_max_bytes=1000&retry_for=forever&batch_bytes=5000&timeout=2.5",
    );
    assert.equal(d.name, "https://collector:8443/in");
    assert.equal(d.format, "leef");
    assert.deepEqual(d.delivery, {
      bufferBytes: undefined,
      batchBytes: 5000,
      spool: { dir: "/var/spool/cb", maxBytes: 1000 },
      retryForMs: Number.POSITIVE_INFINITY,
      timeoutMs: 2500,
    });
    assert.equal(d.http?.url.href, "https://collector:8443/in");
    assert.equal(d.http?.gzip, true);
    assert.deepEqual(d.http?.headers, {
      "x-key": "abc",
      authorization: `Basic ${Buffer.from("u:p@ss").toString("base64")}`,
    });
  });

  it("reads Splunk HEC options with the default path, port and sourcetype", () => {
    const d = network("splunk+https://splunk?token=abc&index=edr&ack=true");
    assert.equal(d.name, "splunk+https://splunk");
    assert.equal(d.http?.url.href, "https://splunk:8088/services/collector/event");
    assert.equal(d.hec?.token, "abc");
    assert.equal(d.hec?.sourcetype, "bit9:carbonblack:json");
    assert.equal(d.hec?.ack, true);
  });

  it("rejects mistakes with the output's name and never its query (tokens stay secret)", () => {
    for (const [url, message] of [
      ["tcp://host", /needs a port/],
      ["udp://host:99999", /udp:\/\/host:99999: not a valid URL/],
      ["udp://host:0", /port must be 1..65535/],
      ["syslog+tcp://h?framing=crlf", /framing must be one of octet, lf/],
      ["syslog+udp://h?framing=lf", /unknown option "framing"/],
      ["syslog+tcp://h?facility=local9", /facility must be 0..23 or one of/],
      ["tcp://h:1?gzip=true", /unknown option "gzip"/],
      ["https://h?verify=maybe", /verify must be true or false/],
      ["tls://h:1?cert=/c.pem", /needs both cert=FILE and key=FILE/],
      ["splunk+https://h?index=x", /give the HEC token/],
      ["splunk+https://h?token=SECRET&tokn=1", /unknown option "tokn"/],
      ["http://h?format=xml&token=SECRET", /unknown option "token"|format must be one of/],
      ["tcp://h:1/path", /takes no path/],
      ["http://h?spool_max_bytes=5", /spool_max_bytes needs spool=DIR/],
      ["mqtt://broker/x?key=SECRET", /unsupported output mqtt:\/\/broker\/x:/],
      ["s3://bucket/x?key=SECRET", /output s3:\/\/bucket\/x: unknown option "key"/],
      ["kafka://u:SECRET@k/t", /a user and password need sasl=/],
    ] as const) {
      assert.throws(
        () => parseDestination(url),
        (err: unknown) =>
          err instanceof DestinationError && message.test(err.message) && !err.message.includes("SECRET"),
        url,
      );
    }
  });

  it("gives file:// URLs a format of their own too", () => {
    assert.deepEqual(parseDestination("file:///var/log/x.leef?format=leef&rotate_bytes=10"), {
      kind: "file",
      path: "/var/log/x.leef",
      options: { rotateBytes: 10 },
      format: "leef",
    });
  });
});
