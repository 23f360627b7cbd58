import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { fixture } from "../helpers/fixtures.js";
import { lineCount, sleep, waitFor } from "../helpers/follow.js";
import { get, metric, startRun, statusAddress } from "../helpers/service.js";

function dirs() {
  const root = mkdtempSync(join(tmpdir(), "cbexport-run-"));
  const archive = join(root, "archive");
  mkdirSync(archive);
  return { root, archive, state: join(root, "state"), out: join(root, "out") };
}

async function generate(dir: string, events: number, sensors: number, seed = 1): Promise<void> {
  const r = await runCli([
    "generate",
    "--out",
    dir,
    "--events",
    String(events),
    "--sensors",
    String(sensors),
    "--seed",
    String(seed),
  ]);
  assert.equal(r.code, 0, r.stderr);
}

/** Lines of a one-off export of the archive (server name "s"), sorted. */
async function exported(archive: string, extra: string[] = []): Promise<string[]> {
  const r = await runCli(["export", "--server-name", "s", ...extra, archive]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

function lines(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

describe("cbexport run", () => {
  it("serves /healthz, /readyz, /metrics and /status; events_out_total equals the events written", async () => {
    const d = dirs();
    await generate(d.archive, 3000, 4);
    const expected = await exported(d.archive);
    const netconns = expected.filter((l) => l.includes('"event_type":"netconn"'));
    const config = join(d.root, "c.yaml");
    writeFileSync(
      config,
      `sources:
  archive: { type: follow, path: ${d.archive}, settle_seconds: 0.2 }
outputs:
  local: { type: file, path: ${join(d.out, "events.json")} }
  net:
    type: file
    path: ${join(d.out, "net.json")}
    filter: { kinds: [ingress.event.netconn] }
state: ${d.state}
status: { listen: "127.0.0.1:0" }
server_name: s
`,
    );
    const service = startRun(config);
    try {
      const address = await statusAddress(service);
      await waitFor("every event written", () => lineCount(join(d.out, "events.json")) === expected.length);
      await waitFor("the filtered output", () => lineCount(join(d.out, "net.json")) === netconns.length);
      assert.deepEqual(lines(join(d.out, "events.json")), expected);
      assert.deepEqual(lines(join(d.out, "net.json")), netconns);
      // The metric counts what the output accepted at the end of a flush (the checkpoint after the scan).
      let text = "";
      for (let i = 0; i < 200; i++) {
        text = (await get(address, "/metrics")).body;
        if (metric(text, 'cbexport_events_out_total{output="local"}') === expected.length) break;
        await sleep(50);
      }
      const m = await get(address, "/metrics");
      assert.equal(m.status, 200);
      assert.match(m.type, /^text\/plain; version=0\.0\.4/);
      assert.equal(metric(m.body, 'cbexport_events_out_total{output="local"}'), expected.length);
      assert.equal(metric(m.body, 'cbexport_events_out_total{output="net"}'), netconns.length);
      assert.equal(
        metric(m.body, 'cbexport_events_filtered_total{output="net"}'),
        expected.length - netconns.length,
      );
      assert.equal(metric(m.body, 'cbexport_events_in_total{source="archive"}'), 3000);
      assert.equal(metric(m.body, 'cbexport_records_damaged_total{source="archive"}'), 0);
      assert.equal(metric(m.body, 'cbexport_output_errors_total{output="local"}'), 0);
      assert.equal(metric(m.body, 'cbexport_buffer_events{output="local"}'), 0);
      assert.equal(metric(m.body, 'cbexport_archive_backlog_bytes{source="archive"}'), 0);
      assert.equal(metric(m.body, 'cbexport_archive_lag_seconds{source="archive"}'), 0);
      assert.match(m.body, /# TYPE cbexport_events_out_total counter/);
      assert.deepEqual(await get(address, "/healthz"), { status: 200, body: "ok\n", type: "text/plain" });
      const ready = await get(address, "/readyz");
      assert.equal(ready.status, 200, ready.body);
      const status = JSON.parse((await get(address, "/status")).body) as {
        ready: boolean;
        sources: Record<string, { type: string; events_in: number }>;
        outputs: Record<string, { events_out: number; state: string; destination: string }>;
      };
      assert.equal(status.ready, true);
      assert.equal(status.sources.archive.type, "follow");
      assert.equal(status.sources.archive.events_in, 3000);
      assert.equal(status.outputs.local.events_out, expected.length);
      assert.equal(status.outputs.net.state, "ok");
      assert.equal((await get(address, "/nope")).status, 404);
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0, service.stderr());
      // Structured logs: every line of stderr is a JSON record.
      for (const line of service
        .stderr()
        .split("\n")
        .filter((l) => l !== ""))
        JSON.parse(line);
    } finally {
      service.child.kill("SIGKILL");
    }
  });

  it("a plain output gets the records formatted straight from their bytes: the same bytes as export", async () => {
    const d = dirs();
    await generate(d.archive, 5000, 3, 7);
    for (const format of ["json", "leef", "csv"]) {
      const out = join(d.out, `events.${format}`);
      const config = join(d.root, `${format}.yaml`);
      writeFileSync(
        config,
        `sources:
  archive: { type: follow, path: ${d.archive}, settle_seconds: 0.1 }
outputs:
  local: { type: file, path: ${out}, format: ${format} }
state: ${join(d.state, format)}
status: { listen: "127.0.0.1:0" }
server_name: s
`,
      );
      const reference = join(d.root, `export.${format}`);
      const r = await runCli([
        "export",
        "--server-name",
        "s",
        "--format",
        format,
        "--output",
        reference,
        d.archive,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const expected = readFileSync(reference);
      const count = lineCount(reference);
      const service = startRun(config);
      try {
        const address = await statusAddress(service);
        await waitFor(`every ${format} line written`, () => lineCount(out) === count);
        let m = "";
        for (let i = 0; i < 200; i++) {
          m = (await get(address, "/metrics")).body;
          if (metric(m, 'cbexport_events_out_total{output="local"}') === count) break;
          await sleep(50);
        }
        assert.equal(metric(m, 'cbexport_events_out_total{output="local"}'), count);
        assert.equal(metric(m, 'cbexport_events_in_total{source="archive"}'), 5000);
        service.child.kill("SIGTERM");
        assert.equal(await service.exited, 0, service.stderr());
        assert.ok(readFileSync(out).equals(expected), `${format}: not the same bytes as export`);
      } finally {
        service.child.kill("SIGKILL");
      }
    }
  });

  it("an export source writes what export writes, removes the files it finished, keeps a damaged one (exit 3)", async () => {
    const d = dirs();
    await generate(d.archive, 4000, 2, 11);
    const sensor = readdirSync(d.archive)[0];
    // A zero-length record: the file is damaged, its other records exported.
    const damaged = join(d.archive, sensor, "damaged.log");
    const sample = readFileSync(fixture("corpus", "archive", "2013-02-08_17-12-24-277.log"));
    writeFileSync(damaged, Buffer.concat([sample, Buffer.alloc(4), sample]));
    const reference = join(d.root, "export.json");
    const r = await runCli(["export", "--server-name", "s", "--output", reference, d.archive]);
    assert.equal(r.code, 3, r.stderr);
    // First with a filter (each record decoded into an event), then without (records straight to the direct
    // writer, Routing.direct), removing the files.
    for (const [name, filter] of [
      ["decoded", ", filter: { exclude_kinds: [tamper] }"],
      ["direct", ""],
    ]) {
      const out = join(d.out, `${name}.json`);
      const config = join(d.root, `${name}.yaml`);
      writeFileSync(
        config,
        `sources:
  archive: { type: export, path: ${d.archive}, remove: ${name === "direct"} }
outputs:
  local: { type: file, path: ${out}${filter} }
state: ${join(d.state, name)}
server_name: s
`,
      );
      const service = startRun(config);
      try {
        assert.equal(await service.exited, 3, service.stderr());
        const expected = readFileSync(reference, "utf8")
          .split("\n")
          .filter((l) => l !== "" && (name === "direct" || !l.includes('"event_type":"tamper"')));
        assert.deepEqual(readFileSync(out, "utf8").split("\n").slice(0, -1), expected, name);
      } finally {
        service.child.kill("SIGKILL");
      }
    }
    // The direct run removed every file but the damaged one.
    assert.deepEqual(
      readdirSync(d.archive).flatMap((s) => readdirSync(join(d.archive, s))),
      ["damaged.log"],
    );
  });

  it("refuses a bad configuration with the file, line and key path (exit 2)", async () => {
    const d = dirs();
    const config = join(d.root, "bad.yaml");
    writeFileSync(
      config,
      `sources:\n  a: { type: follow, path: ${d.archive} }\noutputs:\n  o: { type: splunk }\n`,
    );
    const r = await runCli(["run", "--config", config]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(`${config}:4:\\d+: outputs\\.o\\.url: missing \\(expected a string\\)`),
    );
  });

  it("enriches archive records with host details from the CB server's REST API", async () => {
    const d = dirs();
    await generate(d.archive, 800, 3);
    const sensors = readdirSync(d.archive);
    const requests: string[] = [];
    const api = createServer((req, res) => {
      requests.push(`${req.url} ${req.headers["x-auth-token"]}`);
      const id = Number(/(\d+)$/.exec(req.url ?? "")?.[1]);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id, computer_name: `WIN-${id}`, computer_sid: `S-1-5-21-${id}` }));
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    const config = join(d.root, "c.yaml");
    writeFileSync(
      config,
      `sources:
  archive: { type: follow, path: ${d.archive}, settle_seconds: 0.2 }
outputs:
  json: { type: file, path: ${join(d.out, "e.json")} }
  ee: { type: file, path: ${join(d.out, "ee.json")}, filter: { kinds: [filemod] } }
profile: forwarder
server_name: s
state: ${d.state}
enrich:
  url: http://127.0.0.1:${(api.address() as AddressInfo).port}
  api_token: "\${CB_TOKEN}"
  wait_ms: 5000
`,
    );
    const expected = await exported(d.archive);
    const service = startRun(config, { CB_TOKEN: "tok" });
    try {
      await waitFor("every event written", () => lineCount(join(d.out, "e.json")) === expected.length);
      const docs = lines(join(d.out, "e.json")).map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const doc of docs) {
        assert.equal(doc.computer_name, `WIN-${doc.sensor_id}`);
        assert.equal(doc.computer_sid, `S-1-5-21-${doc.sensor_id}`);
      }
      assert.equal(requests.length, sensors.length, requests.join("\n"));
      assert.ok(requests.every((r) => /^\/api\/v1\/sensor\/\d+ tok$/.test(r)));
      assert.doesNotMatch(service.stderr(), /tok\b/);
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0);
    } finally {
      service.child.kill("SIGKILL");
      api.close();
    }
  });

  it("SIGHUP under load reloads the configuration without losing or repeating an event", async () => {
    const d = dirs();
    const incoming = join(d.root, "incoming");
    // Several generated archives (different seeds) arrive one file at a time while the service reloads.
    for (let seed = 1; seed <= 4; seed++) await generate(join(incoming, String(seed)), 4000, 3, seed);
    const arrivals: { from: string; to: string }[] = [];
    for (const seed of readdirSync(incoming)) {
      for (const sensor of readdirSync(join(incoming, seed))) {
        for (const file of readdirSync(join(incoming, seed, sensor))) {
          arrivals.push({
            from: join(incoming, seed, sensor, file),
            to: join(d.archive, sensor, `${seed}-${file}`),
          });
        }
      }
    }
    const config = join(d.root, "c.yaml");
    const write = (extra: string) =>
      writeFileSync(
        config,
        `sources:
  archive: { type: follow, path: ${d.archive}, settle_seconds: 0.1, rescan_seconds: 0.5 }
outputs:
  local: { type: file, path: ${join(d.out, "events.json")} }
${extra}state: ${d.state}
status: { listen: "127.0.0.1:0" }
server_name: s
`,
      );
    write("");
    const service = startRun(config);
    try {
      const address = await statusAddress(service);
      let reloads = 0;
      for (const [i, { from, to }] of arrivals.entries()) {
        mkdirSync(join(to, ".."), { recursive: true });
        renameSync(from, to);
        await sleep(60);
        // Every other arrival: a reload, alternating between two configurations; one bad configuration too.
        if (i % 2 === 1) {
          if (i === 5) writeFileSync(config, "sources: [broken\n");
          else write(i % 4 === 1 ? `  extra: { type: file, path: ${join(d.out, "extra.json")} }\n` : "");
          service.child.kill("SIGHUP");
          reloads++;
          await sleep(40);
        }
      }
      write("");
      service.child.kill("SIGHUP");
      const expected = await exported(d.archive);
      await waitFor(
        "every event written",
        () => lineCount(join(d.out, "events.json")) >= expected.length,
        60000,
      );
      await sleep(300);
      assert.deepEqual(lines(join(d.out, "events.json")), expected, "every event exactly once");
      const m = (await get(address, "/metrics")).body;
      assert.ok((metric(m, 'cbexport_config_reloads_total{result="ok"}') ?? 0) >= 3, m);
      assert.ok((metric(m, 'cbexport_config_reloads_total{result="failed"}') ?? 0) >= 1, m);
      assert.equal(metric(m, 'cbexport_events_in_total{source="archive"}'), 4 * 4000);
      assert.ok(
        service
          .logs()
          .some((l) => l.msg === "SIGHUP: the new configuration is refused; running on with the current one"),
      );
      assert.ok(reloads > 3);
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0, service.stderr().slice(-3000));
      assert.deepEqual(lines(join(d.out, "events.json")), expected);
    } finally {
      service.child.kill("SIGKILL");
    }
  });
});
