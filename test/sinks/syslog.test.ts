import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headerField, type SyslogSettings, syslogEncoder } from "../../src/sinks/syslog.js";

const settings: SyslogSettings = {
  rfc: 5424,
  facility: 16,
  severity: 6,
  hostname: "cb host",
  appName: "cbexport",
  msgid: "-",
};
const at = Date.UTC(2026, 10, 28, 7, 12, 3, 45);
const event = Buffer.from('{"a":"é"}');

describe("syslogEncoder", () => {
  it("writes RFC 5424 with PRI, UTC timestamp, sanitised hostname, app, pid, and the event as MSG", () => {
    const encode = syslogEncoder(settings, "none", () => at, 42);
    assert.equal(
      encode(event).toString("utf8"),
      '<134>1 2026-11-28T07:12:03.045Z cb_host cbexport 42 - - {"a":"é"}',
    );
  });

  it("frames by octet counting (bytes, not characters) or with a line feed (RFC 6587)", () => {
    const octet = syslogEncoder(settings, "octet", () => at, 42)(event).toString("utf8");
    const message = '<134>1 2026-11-28T07:12:03.045Z cb_host cbexport 42 - - {"a":"é"}';
    assert.equal(octet, `${Buffer.byteLength(message)} ${message}`);
    assert.equal(syslogEncoder(settings, "lf", () => at, 42)(event).toString("utf8"), `${message}\n`);
  });

  it("writes RFC 3164 with local time, host and tag[pid]", () => {
    const encode = syslogEncoder({ ...settings, rfc: 3164, facility: 1, severity: 5 }, "none", () => at, 7);
    const d = new Date(at);
    const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
      d.getMonth()
    ];
    const pad = (n: number) => String(n).padStart(2, "0");
    const time = `${month} ${String(d.getDate()).padStart(2, " ")} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    assert.equal(encode(event).toString("utf8"), `<13>${time} cb_host cbexport[7]: {"a":"é"}`);
  });

  it("keeps header fields printable ASCII, bounded, and '-' when empty", () => {
    assert.equal(headerField("", 48), "-");
    assert.equal(headerField("a b\tc", 48), "a_b_c");
    assert.equal(headerField("x".repeat(60), 48).length, 48);
  });
});
