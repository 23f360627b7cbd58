import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { rawPath } from "../helpers/corpus.js";
import { expectedLines, fixture } from "../helpers/fixtures.js";

describe("cbexport convert", () => {
  it("converts captured single events as forwarder 3.7 JSON (corpus lines)", async () => {
    const lines = expectedLines("forwarder-3.7.json").filter((l) =>
      l.key.startsWith("ingress.event.netconn/"),
    );
    assert.ok(lines.length > 0);
    const files = lines.map((l) => rawPath("protobuf", l.key));
    const result = await runCli([
      "convert",
      "--routing-key",
      "ingress.event.netconn",
      "--server-name",
      "cbserver",
      ...files,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      result.stdout.trimEnd().split("\n"),
      lines.map((l) => l.output),
    );
  });

  it("converts a JSON notification in every output format", async () => {
    const [line] = expectedLines("forwarder.jsonbus").filter((l) =>
      l.key.startsWith("feed.24.ingress.hit.process/"),
    );
    const file = rawPath("json", line.key);
    const json = await runCli([
      "convert",
      "--routing-key",
      "feed.24.ingress.hit.process",
      "--server-name",
      "cbserver",
      file,
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout.trimEnd(), line.output);
    const [leefLine] = expectedLines("forwarder.jsonbus-leef").filter((l) => l.key === line.key);
    const leef = await runCli([
      "convert",
      "--routing-key",
      "feed.24.ingress.hit.process",
      "--format",
      "leef",
      "--server-name",
      "cbserver",
      file,
    ]);
    assert.equal(leef.stdout.trimEnd(), leefLine.output);
  });

  it("converts a zip bundle with identity from --header", async () => {
    const result = await runCli([
      "convert",
      "--routing-key",
      "",
      "--exchange",
      "api.rawsensordata",
      "--content-type",
      "application/zip",
      "--header",
      "sensorId=1",
      "--header",
      "sensorHostName=HYPERV-WIN7-X86",
      "--server-name",
      "cbserver",
      fixture("corpus", "bus", "4.zip"),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.ok(lines.length >= 1);
    for (const line of lines) assert.match(line, /"computer_name":"HYPERV-WIN7-X86".*"sensor_id":1,/);
  });

  it("exits 3 and names the file for a body that is not a CbEventMsg", async () => {
    const result = await runCli([
      "convert",
      "--routing-key",
      "ingress.event.netconn",
      "--content-type",
      "application/protobuf",
      fixture("corpus", "README.md"),
    ]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /README\.md/);
  });

  it("needs --routing-key", async () => {
    const result = await runCli(["convert", fixture("corpus", "bus", "4.zip")]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--routing-key/);
  });
});
