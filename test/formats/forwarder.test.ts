import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { forwarderDocument } from "../../src/formats/forwarder.js";
import { documentJson } from "../../src/formats/json-text.js";
import { formatOptions, type Profile } from "../../src/formats/options.js";
import { rawEvent } from "../helpers/corpus.js";
import { expectedLines } from "../helpers/fixtures.js";

function reproduce(file: string, profile: Profile, timeFloat: boolean, serverUrl?: string): void {
  const options = formatOptions({ profile, serverName: "cbserver", timeFloat, serverUrl });
  const lines = expectedLines(file);
  assert.ok(lines.length > 800);
  const mismatches: string[] = [];
  for (const { key, output } of lines) {
    const doc = forwarderDocument(rawEvent(key), options);
    const text = doc === undefined ? "<no output>" : documentJson(doc, profile !== "forwarder-3.8");
    if (text !== output) mismatches.push(`${key}\n  want ${output}\n  got  ${text}`);
  }
  assert.equal(
    mismatches.length,
    0,
    `${mismatches.length}/${lines.length} differ:\n${mismatches.slice(0, 5).join("\n")}`,
  );
}

describe("forwarder JSON reproduces cb-event-forwarder byte for byte", () => {
  it("3.7 JSON, integer time, no links", () => reproduce("forwarder-3.7.json", "forwarder", false));
  it("3.7 JSON, float time, deep links", () =>
    reproduce("forwarder-3.7.json-float-links", "forwarder", true, "https://cb.example.com/"));
  it("3.8 JSON, integer time, no links", () => reproduce("forwarder-3.8.json", "forwarder-3.8", false));
  it("3.8 JSON, float time, deep links", () =>
    reproduce("forwarder-3.8.json-float-links", "forwarder-3.8", true, "https://cb.example.com/"));
});
