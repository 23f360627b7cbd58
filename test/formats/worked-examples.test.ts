// The 18 worked examples of JSON-OUTPUT.md §8 (copied into test/fixtures/worked-examples.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { decodeRecord } from "../../src/decode/event.js";
import { forwarderDocument } from "../../src/formats/forwarder.js";
import { documentJson } from "../../src/formats/json-text.js";
import { formatOptions } from "../../src/formats/options.js";
import { fixture } from "../helpers/fixtures.js";

interface Example {
  id: string;
  input: string;
  forwarderJson: string;
}

const examples = (
  JSON.parse(readFileSync(fixture("worked-examples.json"), "utf8")) as { examples: Example[] }
).examples;
const options = formatOptions({
  profile: "forwarder",
  serverName: "cbserver",
  serverUrl: "https://cbserver.example.com/",
});

describe("JSON-OUTPUT.md §8 worked examples, forwarder profile", () => {
  it("has all 18 examples", () => assert.equal(examples.length, 18));
  for (const ex of examples) {
    it(ex.id, () => {
      const result = decodeRecord(Buffer.from(ex.input, "base64"));
      assert.ok(result.ok);
      const doc = forwarderDocument(result.event, options);
      assert.ok(doc !== undefined);
      // EX-B1 prints the 3.7 bytes with its link_target defect; the project writes the correct link (§3.12).
      const want = ex.forwarderJson.replace(
        "#analyze/%!s(\\u003cnil\\u003e)/1",
        "#analyze/00000001-0000-04ec-01d1-39d2e376f020/1",
      );
      assert.equal(documentJson(doc, true), want);
    });
  }
});
