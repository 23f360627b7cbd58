// Syslog outputs against a real rsyslogd on loopback (a private instance: own config, pid file and ports).
// .ci/run installs rsyslog; on a machine without it these tests are skipped, except in CI where they must run.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { ROOT } from "../helpers/fixtures.js";
import {
  expectedLines,
  generatedArchive,
  hasRsyslog,
  makeCertificates,
  Rsyslog,
  sorted,
  tempDir,
  waitFor,
} from "./support.js";

const SMALL = join(ROOT, "examples", "archive");
const skip = !hasRsyslog() && process.env.CI === undefined ? "rsyslogd is not installed" : false;

/** Exports `archive` to `url` and waits until rsyslog has written `count` messages. */
async function deliver(rsyslog: Rsyslog, url: string, archive: string, count: number): Promise<string[][]> {
  const result = await runCli(["export", "--server-name", "cbtest", "--output", url, archive]);
  assert.equal(result.code, 0, result.stderr);
  await waitFor(`${count} messages in ${rsyslog.output}`, () => rsyslog.received().length >= count);
  return rsyslog.received();
}

describe("syslog outputs into rsyslogd", { skip }, () => {
  let plain: Rsyslog;
  let secure: Rsyslog;
  let certificates: { ca: string; cert: string; key: string };
  let archive: string;
  let small: string[];
  let many: string[];

  before(async () => {
    certificates = makeCertificates(tempDir("certs"));
    plain = await Rsyslog.start();
    secure = await Rsyslog.start(certificates);
    archive = await generatedArchive(2000);
    small = await expectedLines(SMALL);
    many = await expectedLines(archive);
  });

  after(async () => {
    await plain?.stop();
    await secure?.stop();
  });

  it("delivers RFC 5424 over UDP, one event per datagram, with the configured header fields", async () => {
    const url =
      `syslog+udp://127.0.0.1:${plain.ports.udp}?hostname=cbtest-host&app_name=cbexport-test` +
      "&facility=local3&severity=notice";
    const received = await deliver(plain, url, SMALL, small.length);
    assert.equal(received.length, small.length);
    for (const [host, app, facility, severity, message] of received) {
      assert.deepEqual([host, app, facility, severity], ["cbtest-host", "cbexport-test", "local3", "notice"]);
      JSON.parse(message as string);
    }
    assert.deepEqual(sorted(received.map((r) => r[4] as string)), sorted(small));
  });

  it("delivers over TCP with octet counting (the default), every event once", async () => {
    const before = plain.received().length;
    const url = `syslog+tcp://127.0.0.1:${plain.ports.tcp}?hostname=octet-host`;
    await deliver(plain, url, archive, before + many.length);
    const received = plain.received().slice(before);
    assert.equal(received.length, many.length);
    assert.ok(received.every((r) => r[0] === "octet-host" && r[1] === "cbexport" && r[2] === "local0"));
    for (const r of received) JSON.parse(r[4] as string);
    assert.deepEqual(sorted(received.map((r) => r[4] as string)), sorted(many));
  });

  it("delivers RFC 3164 over TCP with line-feed framing", async () => {
    const before = plain.received().length;
    const url = `syslog+tcp://127.0.0.1:${plain.ports.tcp}?framing=lf&rfc=3164&hostname=lf-host&app_name=cbx`;
    await deliver(plain, url, archive, before + many.length);
    const received = plain.received().slice(before);
    assert.equal(received.length, many.length);
    assert.ok(received.every((r) => r[0] === "lf-host" && r[1] === "cbx"));
    assert.deepEqual(sorted(received.map((r) => r[4] as string)), sorted(many));
  });

  it("delivers over TLS, verifying rsyslogd's certificate with the given CA", async () => {
    const url = `syslog+tls://localhost:${secure.ports.tcp}?ca=${encodeURIComponent(certificates.ca)}`;
    const received = await deliver(secure, url, archive, many.length);
    assert.equal(received.length, many.length);
    assert.deepEqual(sorted(received.map((r) => r[4] as string)), sorted(many));
  });

  it("fails at once (exit 1, no retries) when the server's certificate cannot be verified", async () => {
    const result = await runCli(["export", "--output", `syslog+tls://localhost:${secure.ports.tcp}`, SMALL]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /output syslog\+tls:\/\/localhost:\d+: TLS with localhost:\d+ refused/);
    assert.doesNotMatch(result.stderr, /retrying/);
  });
});
