import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";

describe("cbexport check", () => {
  it("passes when every output can be reached, and names each failure otherwise", async () => {
    const root = mkdtempSync(join(tmpdir(), "cbexport-check-"));
    mkdirSync(join(root, "archive"));
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const open = (server.address() as AddressInfo).port;
    // A port nothing listens on: bind one, then close it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const config = (tcpPort: number) => {
      const file = join(root, `c-${tcpPort}.yaml`);
      writeFileSync(
        file,
        `sources:
  a: { type: follow, path: ${join(root, "archive")} }
outputs:
  f: { type: file, path: ${join(root, "out", "e.json")} }
  t: { type: tcp, host: 127.0.0.1, port: ${tcpPort} }
state: ${join(root, "state")}
`,
      );
      return file;
    };
    try {
      const good = await runCli(["check", "--config", config(open)]);
      assert.equal(good.code, 0, good.stdout);
      assert.match(good.stdout, /^ok {3}output t \(tcp:\/\/127\.0\.0\.1:\d+\): connected$/m);
      assert.match(good.stdout, /^ok {3}source a \(follow\) .*archive: readable$/m);
      assert.match(good.stdout, /every check passed/);
      const bad = await runCli(["check", "--config", config(closed)]);
      assert.equal(bad.code, 1, bad.stdout);
      assert.match(
        bad.stdout,
        /^FAIL output t \(tcp:\/\/127\.0\.0\.1:\d+\): cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/m,
      );
      assert.match(bad.stdout, /1 check\(s\) failed/);
      writeFileSync(join(root, "broken.yaml"), "sources: {}\noutputs: {}\n");
      const broken = await runCli(["check", "--config", join(root, "broken.yaml")]);
      assert.equal(broken.code, 2);
      assert.match(broken.stdout, /broken\.yaml:1:\d+: sources: needs at least one entry/);
    } finally {
      server.close();
    }
  });
});
