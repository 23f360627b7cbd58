import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { toSensorEvent } from "../../src/decode/event.js";
import type { CbEventMsg } from "../../src/schema/generated.js";
import { HostEnricher } from "../../src/transforms/enrich/host-enricher.js";
import { SensorApi } from "../../src/transforms/enrich/sensor-api.js";

/** A CB server's REST API: sensor 1 answers at once, 2 after `slowMs`, 3 fails with 500; counts requests. */
function fakeCb(slowMs: number) {
  const requests: { path: string; token: string | undefined }[] = [];
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? "", token: req.headers["x-auth-token"] as string | undefined });
    if (req.headers["x-auth-token"] !== "t0ken") {
      res.writeHead(401).end("no");
      return;
    }
    const id = Number(/\/api\/v1\/sensor\/(\d+)$/.exec(req.url ?? "")?.[1]);
    const answer = () =>
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ id, computer_name: `HOST-${id}`, computer_sid: `S-1-5-21-${id}`, os_type: 1 }));
    if (id === 2) setTimeout(answer, slowMs);
    else if (id === 3) res.writeHead(500).end("boom");
    else answer();
  });
  return { server, requests };
}

function event(sensorId: number) {
  const msg = { header: { timestamp: 1n }, strings: [], filemod: { action: 1 } } as unknown as CbEventMsg;
  return toSensorEvent(msg, { sensorId, sensorIdSource: "folder" });
}

describe("host enrichment against an HTTP server", () => {
  const cb = fakeCb(1500);
  let url = "";
  before(async () => {
    await new Promise<void>((r) => cb.server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(cb.server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => (cb.server as Server).close(() => r())));

  const enricher = (now?: () => number) => {
    const api = new SensorApi({ url, token: "t0ken", timeoutMs: 5000 });
    const logs: string[] = [];
    const e = new HostEnricher({
      lookup: (id) => api.sensor(id),
      ttlMs: 60_000,
      failureTtlMs: 60_000,
      waitMs: 200,
      concurrency: 2,
      log: (_level, m) => logs.push(m),
      now,
    });
    return { e, logs };
  };

  it("adds computer_name (and keeps computer_sid for the documents), cached per sensor", async () => {
    const { e } = enricher();
    const events = [event(1), event(1), event(1)];
    const before = cb.requests.length;
    await e.prepare(events);
    assert.deepEqual(
      events.map((ev) => ev.computerName),
      ["HOST-1", "HOST-1", "HOST-1"],
    );
    assert.deepEqual(e.detailsOf(events[0]), { computerName: "HOST-1", computerSid: "S-1-5-21-1" });
    assert.equal(cb.requests.length - before, 1);
    assert.equal(cb.requests.at(-1)?.token, "t0ken");
    const again = [event(1)];
    assert.equal(e.prepare(again), undefined, "a cached sensor never waits");
    assert.equal(again[0].computerName, "HOST-1");
    assert.equal(e.stats.lookups, 1);
  });

  it("a slow API holds events back only for the short bound, once; later events get the details", async () => {
    const { e } = enricher();
    const first = [event(2)];
    const started = Date.now();
    await e.prepare(first);
    const waited = Date.now() - started;
    assert.ok(waited >= 150 && waited < 1000, `waited ${waited} ms`);
    assert.equal(first[0].computerName, "", "sent without the details");
    assert.equal(e.stats.missed, 1);
    // While the lookup is still in flight, a batch does not wait again.
    const second = [event(2)];
    assert.equal(e.prepare(second), undefined);
    assert.equal(second[0].computerName, "");
    await new Promise((r) => setTimeout(r, 1700));
    const third = [event(2)];
    assert.equal(e.prepare(third), undefined);
    assert.equal(third[0].computerName, "HOST-2");
  });

  it("a failing API: events go out without details, the failure is logged once and not retried at once", async () => {
    const { e, logs } = enricher();
    const before = cb.requests.length;
    const a = [event(3)];
    await e.prepare(a);
    assert.equal(a[0].computerName, "");
    assert.equal(e.detailsOf(a[0]), undefined);
    const b = [event(3), event(3)];
    assert.equal(e.prepare(b), undefined);
    assert.equal(cb.requests.length - before, 1);
    assert.equal(e.stats.failures, 1);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /sensor 3 not available: sensor 3: HTTP 500 "boom"; next attempt in 60 s/);
    assert.doesNotMatch(logs[0], /t0ken/);
  });

  it("stale details are used while they are refreshed, and kept when the refresh fails", async () => {
    let now = 1_000_000;
    const { e } = enricher(() => now);
    await e.prepare([event(1)]);
    now += 120_000; // past the TTL
    const stale = [event(1)];
    assert.equal(e.prepare(stale), undefined, "a known sensor never waits");
    assert.equal(stale[0].computerName, "HOST-1");
  });

  it("records that carry a host name, or no sensor, are left alone", () => {
    const { e } = enricher();
    const withEnv = toSensorEvent(
      {
        header: { timestamp: 1n },
        strings: [],
        env: { endpoint: { SensorId: 1, SensorHostName: "REAL" } },
      } as unknown as CbEventMsg,
      {},
    );
    const noSensor = toSensorEvent({ header: { timestamp: 1n }, strings: [] } as unknown as CbEventMsg, {});
    assert.equal(e.prepare([withEnv, noSensor]), undefined);
    assert.equal(withEnv.computerName, "REAL");
    assert.equal(e.stats.lookups, 0);
  });

  it("a token the server refuses is an error naming the sensor and status, never the token", async () => {
    const api = new SensorApi({ url, token: "wrong", timeoutMs: 5000 });
    await assert.rejects(api.sensor(1), /sensor 1: HTTP 401/);
  });

  it("a server that does not answer in time", async () => {
    const api = new SensorApi({ url, token: "t0ken", timeoutMs: 100 });
    await assert.rejects(api.sensor(2), /no answer within 100 ms/);
  });
});
