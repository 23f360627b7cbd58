import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { displayUrl, parseBrokerUrl, redactUrlText, resolveBroker } from "../../../src/sources/bus/broker.js";

function files(): { conf: string; ca: string } {
  const dir = mkdtempSync(join(tmpdir(), "cbexport-broker-"));
  const conf = join(dir, "cb.conf");
  writeFileSync(conf, "RabbitMQUser=cb\nRabbitMQPassword=s3cret\n");
  const ca = join(dir, "ca.pem");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n");
  return { conf, ca };
}

describe("broker URL and connection settings", () => {
  it("parses amqp URLs: CB port 5004 and vhost / by default, percent-decoded parts", () => {
    assert.deepEqual(parseBrokerUrl("amqp://cb.example.com"), {
      protocol: "amqp",
      hostname: "cb.example.com",
      port: 5004,
      vhost: "/",
    });
    assert.deepEqual(parseBrokerUrl("amqps://u%40x:p%2Fw@10.0.0.1:5671/%2F?heartbeat=10"), {
      protocol: "amqps",
      hostname: "10.0.0.1",
      port: 5671,
      vhost: "/",
      credentials: { user: "u@x", password: "p/w" },
      heartbeat: 10,
    });
    assert.equal(parseBrokerUrl("amqp://h:1/cb").vhost, "cb");
    assert.equal(parseBrokerUrl("amqp://[::1]:5672/").hostname, "::1");
  });

  it("rejects other schemes, parameters it does not know and broken URLs, without echoing the password", () => {
    assert.throws(() => parseBrokerUrl("http://h/"), /amqp:\/\/ or amqps:\/\//);
    assert.throws(() => parseBrokerUrl("amqp://h/?frame_max=1"), /unsupported parameter "frame_max"/);
    assert.throws(
      () => parseBrokerUrl("amqp://user:pw@"),
      (err: Error) => !err.message.includes("pw") && /not a URL|no host/.test(err.message),
    );
  });

  it("hides the password in what it logs", () => {
    assert.equal(redactUrlText("amqp://cb:secret@host:5004/"), "amqp://cb:***@host:5004/");
    assert.equal(displayUrl(parseBrokerUrl("amqps://cb:secret@[::1]:5004/v")), "amqps://cb:***@[::1]:5004/v");
  });

  it("takes credentials from the URL, else from cb.conf", async () => {
    const { conf } = files();
    const fromConf = await resolveBroker({ url: "amqp://127.0.0.1:5672/", cbConf: conf });
    assert.equal(fromConf.connect.username, "cb");
    assert.equal(fromConf.connect.password, "s3cret");
    assert.equal(fromConf.display, "amqp://cb:***@127.0.0.1:5672/");
    const byDefault = await resolveBroker({ cbConf: conf, connectionName: "cbexport bus q" });
    assert.equal(byDefault.connect.hostname, "localhost");
    assert.equal(byDefault.connect.port, 5004);
    assert.equal(byDefault.connect.vhost, "%2F");
    assert.equal(byDefault.connect.heartbeat, 30);
    assert.deepEqual(byDefault.socket.clientProperties, { connection_name: "cbexport bus q" });
    const fromUrl = await resolveBroker({ url: "amqp://a:b@h/", cbConf: "/nonexistent" });
    assert.equal(fromUrl.connect.username, "a");
    await assert.rejects(
      resolveBroker({ url: "amqp://h/", cbConf: "/nonexistent/cb.conf" }),
      /no bus credentials: cannot read/,
    );
  });

  it("verifies the server by default; TLS files need amqps and are read up front", async () => {
    const { conf, ca } = files();
    const tls = await resolveBroker({ url: "amqps://h/", cbConf: conf, tls: { ca } });
    assert.ok(tls.socket.ca?.toString().startsWith("-----BEGIN"));
    assert.equal(tls.socket.rejectUnauthorized, undefined);
    const insecure = await resolveBroker({ url: "amqps://h/", cbConf: conf, tls: { insecure: true } });
    assert.equal(insecure.socket.rejectUnauthorized, false);
    await assert.rejects(resolveBroker({ url: "amqp://h/", cbConf: conf, tls: { ca } }), /need an amqps/);
    await assert.rejects(
      resolveBroker({ url: "amqps://h/", cbConf: conf, tls: { cert: ca } }),
      /go together/,
    );
    await assert.rejects(
      resolveBroker({ url: "amqps://h/", cbConf: conf, tls: { ca: "/nonexistent.pem" } }),
      /--tls-ca: cannot read \/nonexistent\.pem/,
    );
  });
});
