import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { archiveLocation, parseProperties } from "../../src/sources/archive-properties.js";

function propertiesFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "cbexport-props-")), "archive.properties");
  writeFileSync(path, text);
  return path;
}

describe("archive.properties", () => {
  it("parses the documented file", async () => {
    const path = propertiesFile(
      [
        "# archive settings",
        "cbfs-http.log-archive.type=filesystem",
        "cbfs-http.log-archive.filesystem.location=/path/to/archive/dir",
        "cbfs-http.log-archive.filesystem.queue-size=100",
      ].join("\n"),
    );
    assert.equal(await archiveLocation(path), "/path/to/archive/dir");
  });

  it("follows the Java format: ':' separator, spaces, '!' comments, continuations, escapes, '=' in values", () => {
    const props = parseProperties(
      [
        "! comment",
        "  a : one",
        "b=/x/y=z",
        "c = first \\",
        "    second",
        "d=tab\\there\\u00e9",
        "e\\ key=v",
      ].join("\r\n"),
    );
    assert.equal(props.get("a"), "one");
    assert.equal(props.get("b"), "/x/y=z");
    assert.equal(props.get("c"), "first second");
    assert.equal(props.get("d"), "tab\there\u00e9");
    assert.equal(props.get("e key"), "v");
  });

  it("fails clearly when the location or the filesystem type is missing", async () => {
    await assert.rejects(
      archiveLocation(propertiesFile("cbfs-http.log-archive.type=filesystem\n")),
      /has no cbfs-http\.log-archive\.filesystem\.location/,
    );
    await assert.rejects(
      archiveLocation(propertiesFile("cbfs-http.log-archive.filesystem.location=/a\n")),
      /archiving needs cbfs-http\.log-archive\.type=filesystem/,
    );
    await assert.rejects(
      archiveLocation(
        propertiesFile("cbfs-http.log-archive.type=s3\ncbfs-http.log-archive.filesystem.location=/a\n"),
      ),
      /is "s3", only "filesystem"/,
    );
    await assert.rejects(archiveLocation("/nonexistent/archive.properties"), /cannot read \/nonexistent/);
  });
});
