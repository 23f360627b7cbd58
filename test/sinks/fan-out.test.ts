// Outputs with a format of their own (format=... in their URL) next to outputs in --format.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { runCli } from "../helpers/cli.js";
import { expectedLines, generatedArchive, tempDir } from "./support.js";

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").slice(0, -1);
}

describe("per-output formats", () => {
  it("writes each output in its own format, also for inputs large enough for worker threads", async () => {
    // Over the 16 MiB from which export formats on worker threads.
    const archive = await generatedArchive(70_000);
    const dir = tempDir("fan-out");
    const json = join(dir, "events.json");
    const leef = join(dir, "events.leef");
    const csv = join(dir, "events.csv");
    const result = await runCli([
      "export",
      "--server-name",
      "cbtest",
      "--threads",
      "2",
      "--output",
      json,
      "--output",
      `${pathToFileURL(leef).href}?format=leef`,
      "--output",
      `${pathToFileURL(csv).href}?format=csv`,
      archive,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(json), await expectedLines(archive));
    assert.deepEqual(lines(leef), await expectedLines(archive, ["--format", "leef"]));
    assert.deepEqual(lines(csv), await expectedLines(archive, ["--format", "csv"]));
  });

  it("formats in the outputs' format when none uses --format, and rejects LEEF for the eventexporter profile", async () => {
    const archive = await generatedArchive(300);
    const leef = join(tempDir("fan-out"), "events.leef");
    const result = await runCli([
      "export",
      "--server-name",
      "cbtest",
      "--output",
      `${pathToFileURL(leef).href}?format=leef`,
      archive,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(leef), await expectedLines(archive, ["--format", "leef"]));

    const bad = await runCli([
      "export",
      "--profile",
      "eventexporter",
      "--output",
      `tcp://127.0.0.1:9?format=leef`,
      archive,
    ]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /format=leef needs --profile forwarder/);
  });
});
