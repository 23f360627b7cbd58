import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  parseForwarderIni,
  reference,
  translateForwarderConfig,
} from "../../src/cli/import-forwarder-config.js";
import { parseConfig } from "../../src/service/config/load.js";
import { resolveSettings } from "../../src/service/config/settings.js";
import { runCli } from "../helpers/cli.js";

const INI = `[bridge]
# a comment line
message_processor_count=4
server_name=cbprod # our production server
debug=0
http_server_port=33706 # status
rabbit_mq_username=cbuser
rabbit_mq_password=s3cret
cb_server_hostname=cb.example.com
rabbit_mq_port=5004
cb_server_url=https://cb.example.com
output_type=syslog
output_format=leef
syslogout=tcp+tls:siem.example.com:6514
events_raw_sensor=ingress.event.netconn,ingress.event.procstart
events_watchlist=ALL
events_feed=ALL
events_alert=0
events_binary_observed=0
events_binary_upload=0
use_raw_sensor_exchange=true
remove_from_output=cb_server,link_sensor
use_time_float=true

[syslog]
ca_cert=/etc/cb/integrations/event-forwarder/ca.pem
tls_verify=false
`;

describe("import-forwarder-config", () => {
  it("reads the INI as the forwarder does: inline comments are part of values", () => {
    const ini = parseForwarderIni(INI);
    assert.equal(ini.get("bridge")?.get("server_name"), "cbprod # our production server");
    assert.equal(ini.get("syslog")?.get("tls_verify"), "false");
  });

  it("translates keys, names what does not carry over, and the YAML is a valid configuration", () => {
    const { config, notes } = translateForwarderConfig(parseForwarderIni(INI));
    assert.equal(config.server_name, "cbprod # our production server");
    assert.ok(
      notes.some((n) =>
        /\[bridge\] server_name: the value "cbprod # our production server" holds an inline comment/.test(n),
      ),
    );
    assert.ok(
      notes.some((n) =>
        /http_server_port=33706 # status: not a number to the forwarder; it used 33706/.test(n),
      ),
    );
    assert.ok(notes.some((n) => /message_processor_count: not carried over/.test(n)));
    assert.deepEqual(config.raw_events, ["ingress.event.netconn", "ingress.event.procstart"]);
    assert.equal(config.time_float, true);
    const bus = (config.sources as Record<string, Record<string, unknown>>).bus;
    assert.equal(bus.url, "amqp://cb.example.com:5004/");
    assert.equal(bus.username, "cbuser");
    assert.equal(bus.password, reference("RABBITMQ_PASSWORD"), "the password is not copied");
    assert.deepEqual(bus.events, ["all"]);
    assert.deepEqual(bus.bind, ["watchlist.#", "feed.#"]);
    assert.equal(bus.raw_source, "bundles");
    const out = (config.outputs as Record<string, Record<string, unknown>>).forwarder;
    assert.deepEqual(
      { ...out },
      {
        type: "syslog",
        protocol: "tls",
        host: "siem.example.com",
        port: 6514,
        rfc: 3164,
        facility: "kern",
        severity: "info",
        ca: "/etc/cb/integrations/event-forwarder/ca.pem",
        verify: false,
        format: "leef",
        remove_from_output: ["cb_server", "link_sensor"],
      },
    );
  });

  it("prints YAML that cbexport run accepts, with the notes as comments and on stderr", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-import-"));
    const file = join(dir, "cb-event-forwarder.conf");
    writeFileSync(file, INI);
    const r = await runCli(["import-forwarder-config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# cbexport run configuration imported from /);
    assert.match(r.stdout, /# NOTE: \[bridge\] server_name: the value/);
    assert.match(r.stderr, /cbexport import-forwarder-config: \[bridge\] server_name/);
    assert.doesNotMatch(r.stdout, /s3cret/);
    const settings = resolveSettings(
      parseConfig("imported.yaml", r.stdout, { env: { RABBITMQ_PASSWORD: "x" } }),
    );
    assert.equal(
      settings.outputs[0].destination.kind === "network" && settings.outputs[0].destination.scheme,
      "syslog+tls",
    );
    assert.equal(settings.sources[0].config.type, "bus");
  });
});
