import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { DestinationError, parseDestination } from "../../src/sinks/index.js";
import { runCli } from "../helpers/cli.js";
import { fixture } from "../helpers/fixtures.js";

describe("parseDestination", () => {
  it("reads rotation options from a file:// URL's query", () => {
    assert.deepEqual(
      parseDestination("file:///var/log/x.json?rotate_bytes=1048576&rotate_seconds=3600&gzip=true"),
      {
        kind: "file",
        path: "/var/log/x.json",
        options: { rotateBytes: 1048576, rotateSeconds: 3600, gzip: true },
      },
    );
    assert.deepEqual(parseDestination("file:///var/log/x.json?rotate_seconds=60&gzip"), {
      kind: "file",
      path: "/var/log/x.json",
      options: { rotateSeconds: 60, gzip: true },
    });
  });

  it("decodes the path and lets URL options override the run's defaults", () => {
    const defaults = { rotateBytes: 10, rotateSeconds: 20, gzip: true };
    assert.deepEqual(
      parseDestination("file:///var/log/cb%20events%3F.json?rotate_bytes=99&gzip=false", defaults),
      {
        kind: "file",
        path: "/var/log/cb events?.json",
        options: { rotateBytes: 99, rotateSeconds: 20, gzip: false },
      },
    );
    // A plain path takes no query: "?" is part of the name.
    assert.deepEqual(parseDestination("out/x.json?rotate_bytes=1", defaults), {
      kind: "file",
      path: "out/x.json?rotate_bytes=1",
      options: defaults,
    });
    assert.deepEqual(parseDestination("-", defaults), { kind: "stdout" });
  });

  it("rejects bad values, unknown options and other schemes with the destination in the message", () => {
    for (const bad of [
      "file:///x.json?rotate_bytes=0",
      "file:///x.json?rotate_bytes=-5",
      "file:///x.json?rotate_bytes=1e6",
      "file:///x.json?rotate_seconds=abc",
      "file:///x.json?gzip=maybe",
      "file:///x.json?rotate_byte=100",
      "file:///x.json?gzip=true",
      "file://host/x.json",
      "ftp://host/x.json",
    ]) {
      assert.throws(
        () => parseDestination(bad),
        (err: unknown) => err instanceof DestinationError && err.message.includes(bad),
        bad,
      );
    }
  });
});

const SAMPLE = fixture("corpus", "archive", "2013-02-08_17-12-24-277.log");

function archiveTree(): string {
  const root = mkdtempSync(join(tmpdir(), "cbexport-rotate-"));
  mkdirSync(join(root, "42"));
  copyFileSync(SAMPLE, join(root, "42", "2013-02-08_17-12-24-277.log"));
  return root;
}

describe("cbexport export with rotation", () => {
  it("rotates an output file that is already past --rotate-bytes and gzips it", async () => {
    const archive = archiveTree();
    const dir = mkdtempSync(join(tmpdir(), "cbexport-rotate-out-"));
    const out = join(dir, "events.json");
    const first = await runCli(["export", "--server-name", "cb", "--output", out, archive]);
    assert.equal(first.code, 0, first.stderr);
    const firstText = readFileSync(out, "utf8");
    assert.equal(firstText.split("\n").length, 21);

    const second = await runCli([
      "export",
      "--server-name",
      "cb",
      "--rotate-bytes",
      "1000",
      "--gzip",
      "--output",
      out,
      archive,
    ]);
    assert.equal(second.code, 0, second.stderr);
    const names = readdirSync(dir).sort();
    assert.equal(names.length, 2, names.join(", "));
    assert.match(names[0] as string, /^events\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json\.gz$/);
    assert.equal(gunzipSync(readFileSync(join(dir, names[0] as string))).toString("utf8"), firstText);
    assert.equal(readFileSync(out, "utf8"), firstText);
  });

  it("takes the options from a file:// URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-rotate-url-"));
    const url = `${pathToFileURL(join(dir, "events.json")).href}?rotate_seconds=3600`;
    const result = await runCli(["export", "--output", url, archiveTree()]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(dir), ["events.json"]);
  });

  it("reports bad rotation options as usage errors (exit 2) and creates no file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-rotate-bad-"));
    const out = join(dir, "events.json");
    const cases: [string[], RegExp][] = [
      [["--rotate-bytes", "0", "--output", out], /--rotate-bytes must be between 1 and/],
      [["--rotate-seconds", "soon", "--output", out], /--rotate-seconds must be a whole number/],
      [["--gzip", "--output", out], /--gzip compresses rotated files/],
      [["--rotate-bytes", "100"], /--rotate-bytes applies to file outputs/],
      [
        ["--output", `${pathToFileURL(out).href}?rotate_bytes=big`],
        /rotate_bytes must be a positive whole number/,
      ],
      [["--output", out, "--output", "ftp://host/x"], /unsupported output ftp:\/\/host\/x/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["export", ...args, archiveTree()]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.equal(existsSync(out), false);
  });
});
