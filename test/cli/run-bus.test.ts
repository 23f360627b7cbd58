// `cbexport run` with two sources sharing the outputs: a followed archive and the real RabbitMQ on this machine
// (127.0.0.1:5672, guest/guest; own exchanges and queue per test, as test/cli/bus.test.ts).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { rawPath } from "../helpers/corpus.js";
import { expectedLines } from "../helpers/fixtures.js";
import { waitFor } from "../helpers/follow.js";
import { get, metric, startRun, statusAddress } from "../helpers/service.js";
import { BROKER_URL, createTestBus, waitForConsumers } from "../sources/bus/amqp-helpers.js";

function lines(path: string): string[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

describe("cbexport run with a bus source and a follow source", { timeout: 240_000 }, () => {
  it("both feed the shared outputs; the bus messages are acknowledged after the flush", async () => {
    const bus = await createTestBus("run");
    const root = mkdtempSync(join(tmpdir(), "cbexport-run-bus-"));
    const archive = join(root, "archive");
    mkdirSync(archive);
    const gen = await runCli(["generate", "--out", archive, "--events", "500", "--sensors", "2"]);
    assert.equal(gen.code, 0, gen.stderr);
    const fromArchive = (await runCli(["export", "--server-name", "cbserver", archive])).stdout
      .split("\n")
      .filter((l) => l !== "");
    const cases = [
      ...expectedLines("forwarder-3.7.json").map((l) => ({
        ...l,
        kind: "protobuf" as const,
        type: "application/protobuf",
      })),
      ...expectedLines("forwarder.jsonbus").map((l) => ({
        ...l,
        kind: "json" as const,
        type: "application/json",
      })),
    ];
    const fromBus = cases.flatMap((c) => c.output.split("\n"));
    const out = join(root, "out", "events.json");
    const config = join(root, "c.yaml");
    writeFileSync(
      config,
      `sources:
  archive: { type: follow, path: ${archive}, settle_seconds: 0.2 }
  cb-bus:
    type: bus
    url: ${BROKER_URL}
    queue: ${bus.queue}
    events: [all]
    raw_source: events
    bind: ["#"]
    events_exchange: ${bus.eventsExchange}
    raw_exchange: ${bus.rawExchange}
    batch_wait_ms: 50
outputs:
  local: { type: file, path: ${out} }
state: ${join(root, "state")}
status: { listen: "127.0.0.1:0" }
server_name: cbserver
`,
    );
    const service = startRun(config);
    try {
      const address = await statusAddress(service);
      await waitForConsumers(bus, 1);
      for (const c of cases) {
        const key = c.key.slice(0, c.key.lastIndexOf("/"));
        bus.publisher.publish(bus.eventsExchange, key, readFileSync(rawPath(c.kind, c.key)), {
          contentType: c.type,
        });
      }
      await bus.publisher.confirm();
      const expected = [...fromArchive, ...fromBus].sort();
      await waitFor("every line", () => lines(out).length >= expected.length);
      assert.deepEqual(lines(out), expected);
      const m = (await get(address, "/metrics")).body;
      assert.equal(metric(m, 'cbexport_bus_connected{source="cb-bus"}'), 1);
      assert.equal(metric(m, 'cbexport_events_in_total{source="archive"}'), 500);
      assert.ok((metric(m, 'cbexport_events_in_total{source="cb-bus"}') ?? 0) >= cases.length);
      assert.equal((await get(address, "/readyz")).status, 200);
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0, service.stderr().slice(-2000));
      // Everything written was acknowledged: nothing waits in the queue for a next run.
      assert.equal((await bus.queueState())?.messageCount, 0);
    } finally {
      service.child.kill("SIGKILL");
      await bus.cleanup().catch(() => undefined);
    }
  });
});
