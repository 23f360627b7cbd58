import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../../../src/service/config/load.js";
import { resolveSettings } from "../../../src/service/config/settings.js";

const BASE = `sources:
  archive: { type: follow, path: /var/cb/archive }
outputs:
  local: { type: file, path: /var/log/cbexport/events.json }
state: /var/lib/cbexport
`;

/** The problems of a configuration text, as "line: path: message" strings. */
function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    resolveSettings(parseConfig("c.yaml", text, { env }));
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split("\n");
  }
  return [];
}

describe("configuration: validation names the file, line and key path", () => {
  it("accepts the issue's example", () => {
    const text = `sources:
  archive: { type: follow, path: /var/cb/archive }
outputs:
  siem: { type: splunk, url: "https://splunk:8088/services/collector/event", token: "\${SPLUNK_TOKEN}", format: json }
  local: { type: file, path: /var/log/cbexport/events.json, format: json, rotate_bytes: 1073741824 }
state: /var/lib/cbexport
status: { listen: "127.0.0.1:33706" }
`;
    const settings = resolveSettings(parseConfig("c.yaml", text, { env: { SPLUNK_TOKEN: "secret-token" } }));
    const siem = settings.outputs.find((o) => o.name === "siem");
    assert.equal(siem?.destination.kind, "network");
    if (siem?.destination.kind !== "network") return;
    assert.equal(siem.destination.scheme, "splunk+https");
    assert.equal(siem.destination.hec?.token, "secret-token");
    assert.equal(siem.destination.name, "splunk+https://splunk:8088/services/collector/event");
    const local = settings.outputs.find((o) => o.name === "local");
    assert.equal(local?.destination.kind === "file" && local.destination.options.rotateBytes, 1073741824);
  });

  it("an unknown output type", () => {
    const out = problems(BASE.replace("type: file", "type: fiel"));
    assert.equal(out.length, 1);
    assert.match(
      out[0],
      /^c\.yaml:4:\d+: outputs\.local\.type: unknown output type "fiel" \(expected one of: file, stdout, syslog/,
    );
  });

  it("an unknown source type and a missing type", () => {
    const out = problems(BASE.replace("type: follow, ", "").replace("type: file", "type: kafkaa"));
    assert.ok(
      out.some((l) =>
        /sources\.archive\.type: missing \(the source type: one of follow, export, bus\)/.test(l),
      ),
      out.join("\n"),
    );
    assert.ok(
      out.some((l) => /outputs\.local\.type: unknown output type "kafkaa"/.test(l)),
      out.join("\n"),
    );
  });

  it("a missing key", () => {
    const out = problems(BASE.replace("path: /var/log/cbexport/events.json", "format: json"));
    assert.deepEqual(out, ["c.yaml:4:3: outputs.local.path: missing (expected a string)"]);
  });

  it("a value of the wrong type", () => {
    const out = problems(`${BASE.replace("}", ", rotate_bytes: lots }")}`);
    assert.ok(
      out.some((l) => /^c\.yaml:2:\d+: sources\.archive\.rotate_bytes: unknown key$/.test(l)),
      out.join("\n"),
    );
    const wrong = problems(
      BASE.replace("path: /var/log/cbexport/events.json", "path: /x, rotate_bytes: lots"),
    );
    assert.deepEqual(wrong, ["c.yaml:4:48: outputs.local.rotate_bytes: expected a number (got string)"]);
  });

  it("an unknown key, a list instead of a mapping, a bad enum", () => {
    const out = problems(`${BASE}statuss: { listen: x }\nformat: xml\n`);
    assert.ok(out.some((l) => /statuss: unknown key/.test(l)));
    assert.ok(
      out.some((l) => /^c\.yaml:7:9: format: /.test(l)),
      out.join("\n"),
    );
    const list = problems(
      BASE.replace("outputs:\n  local: { type: file, path: /var/log/cbexport/events.json }", "outputs: [a]"),
    );
    assert.ok(
      list.some((l) => /outputs: expected a mapping/.test(l)),
      list.join("\n"),
    );
  });

  it("problems found after the schema have paths too: output options, filters, state", () => {
    const text = `sources:
  bus1: { type: bus }
outputs:
  siem:
    type: syslog
    url: tls://siem.example.com:6514
    ca: /etc/ca.pem
    facility: nonsense
  udp1: { type: udp, host: siem.example.com }
  f:
    type: file
    path: /tmp/x.json
    gzip: true
    filter: { kinds: [netconn, netkonn] }
  g: { type: stdout, filter: { where: [{ field: path, matches: "(" }] } }
`;
    const out = problems(text);
    assert.ok(
      out.some((l) => /^c\.yaml:4:\d+: outputs\.siem: facility must be 0\.\.23 or one of kern/.test(l)),
      out.join("\n"),
    );
    assert.ok(
      out.some((l) => /outputs\.udp1\.port: missing/.test(l)),
      out.join("\n"),
    );
    assert.ok(
      out.some((l) => /outputs\.f: gzip compresses rotated files/.test(l)),
      out.join("\n"),
    );
    assert.ok(
      out.some((l) =>
        /^c\.yaml:14:\d+: outputs\.f\.filter\.kinds\[1\]: unknown event kind "netkonn"/.test(l),
      ),
      out.join("\n"),
    );
    assert.ok(
      out.some((l) => /outputs\.g\.filter\.where\[0\]\.matches: not a valid regular expression/.test(l)),
      out.join("\n"),
    );
    assert.ok(
      out.some((l) => /state: missing \(the folder for the bus source's state\)/.test(l)),
      out.join("\n"),
    );
  });

  it("TLS options on a plain output are named as not its options", () => {
    const out = problems(
      BASE.replace(
        "{ type: file, path: /var/log/cbexport/events.json }",
        "{ type: tcp, host: h, port: 5000, ca: /x.pem }",
      ),
    );
    assert.deepEqual(
      out.map((l) => l.replace(/^c\.yaml:\d+:\d+: /, "")),
      ["outputs.local.ca: not an option of a tcp output"],
    );
  });
});

describe("configuration: references", () => {
  it("environment variables, defaults, secrets from files and $$", () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-config-"));
    writeFileSync(join(dir, "token"), "from-file\n");
    const text = `sources:
  archive: { type: follow, path: "\${ARCHIVE}" }
outputs:
  s:
    type: syslog
    host: \${HOST:-siem.local}
    port: \${PORT}
    app_name: "a$$b"
  h: { type: splunk, url: "https://h:8088", token: "\${file:${join(dir, "token")}}" }
state: /tmp/state
`;
    const settings = resolveSettings(
      parseConfig("c.yaml", text, { env: { ARCHIVE: "/data/archive", PORT: "1514" } }),
    );
    const s = settings.outputs[0].destination;
    assert.ok(s.kind === "network");
    assert.equal(s.host, "siem.local");
    assert.equal(s.port, 1514);
    assert.equal(s.syslog?.appName, "a$b");
    const h = settings.outputs[1].destination;
    assert.equal(h.kind === "network" && h.hec?.token, "from-file");
    assert.equal(
      settings.sources[0].config.type === "follow" && settings.sources[0].config.path,
      "/data/archive",
    );
  });

  it("an unset variable and an unreadable file are named with their key", () => {
    const out = problems(`${BASE}server_name: "\${NOPE}"\nserver_url: "\${file:/nonexistent/x}"\n`);
    assert.ok(
      out.some((l) => /^c\.yaml:6:\d+: server_name: environment variable NOPE is not set$/.test(l)),
      out.join("\n"),
    );
    assert.ok(
      out.some((l) => /server_url: cannot read \/nonexistent\/x: ENOENT/.test(l)),
      out.join("\n"),
    );
  });

  it("YAML syntax errors have a line", () => {
    const out = problems("sources: [\n  a: b\n");
    assert.equal(out.length > 0, true);
    assert.match(out[0], /^c\.yaml:\d+:\d+: not valid YAML/);
  });
});
