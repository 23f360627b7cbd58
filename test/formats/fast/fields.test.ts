import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import * as fields from "../../../src/formats/fast/fields.js";
import { KIND } from "../../../src/formats/fast/selection.js";

// V8's own check, compiled after enabling its natives syntax for this process.
setFlagsFromString("--allow-natives-syntax");
const hasFastProperties = new Function("o", "return %HasFastProperties(o)") as (o: object) => boolean;

/** Every layout the module exports, by name. */
const LAYOUTS = Object.entries(fields as Record<string, unknown>).filter(
  (entry): entry is [string, { slot: Record<string, number> }] =>
    typeof entry[1] === "object" && entry[1] !== null && "slot" in entry[1],
);

describe("field layouts", () => {
  it("are fast objects, so that the writers' slot names compile to constants", () => {
    assert.ok(LAYOUTS.length >= 20);
    for (const [name, layout] of LAYOUTS) assert.ok(hasFastProperties(layout.slot), `${name}.slot`);
    assert.ok(hasFastProperties(KIND));
  });

  it("give every field its own slot, below SLOTS", () => {
    const seen = new Set<number>();
    for (const [, layout] of LAYOUTS) {
      for (const s of Object.values(layout.slot)) {
        assert.ok(s >= 0 && s < fields.SLOTS);
        assert.ok(!seen.has(s), `slot ${s} used twice`);
        seen.add(s);
      }
    }
  });
});
