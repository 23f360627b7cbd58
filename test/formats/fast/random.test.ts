import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../../../src/generate/archive-generator.js";
import { FORMATS, options, PathComparer, type Settings } from "./compare.js";
import { RandomRecords } from "./random-records.js";
import { bundleRecords, corpusRecords } from "./records.js";

const SETTINGS: [string, Settings][] = [
  ["integer time, no links", {}],
  ["float time, deep links", { timeFloat: true, serverUrl: "https://cb.example.com/a&b/" }],
];

for (const format of FORMATS) {
  describe(`fast forwarder ${format} = reference path, on random records of the schema`, () => {
    for (const [label, settings] of SETTINGS) {
      it(`20,000 random records, ${label}`, () => {
        const records = new RandomRecords(new Rng(42));
        const comparer = new PathComparer(options(settings, format));
        for (let i = 0; i < 20_000; i++) {
          const context =
            i % 3 === 0 ? {} : { sensorId: (i % 7) - 3, computerName: i % 2 ? "host" : "<h\u2028>" };
          comparer.check(records.record(), context, `random #${i}`);
        }
        // Records with two payloads, or one the fast path does not write, are left to the reference path.
        comparer.assertSame(4_000);
        assert.ok(comparer.counts.written > 12_000, `written ${comparer.counts.written}`);
        assert.ok(comparer.counts.damaged > 0);
      });
    }

    it("mutated real records: flipped, dropped and inserted bytes, truncations", () => {
      const r = new Rng(7);
      const sources = [...corpusRecords(), ...bundleRecords()];
      const comparer = new PathComparer(options({ serverUrl: "https://cb/" }, format));
      for (let i = 0; i < 30_000; i++) {
        const source = r.pick(sources).payload;
        let bytes = Buffer.from(source);
        const edits = 1 + r.int(3);
        for (let e = 0; e < edits; e++) {
          const at = r.int(bytes.length);
          switch (r.int(4)) {
            case 0:
              bytes[at] = r.int(256);
              break;
            case 1:
              bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
              break;
            case 2:
              bytes = Buffer.concat([bytes.subarray(0, at), Buffer.of(r.int(256)), bytes.subarray(at)]);
              break;
            default:
              bytes = bytes.subarray(0, at);
          }
        }
        comparer.check(bytes, i % 2 ? {} : { sensorId: 9 }, `mutation #${i}`);
      }
      comparer.assertSame(30_000);
      assert.ok(
        comparer.counts.damaged > 1000 && comparer.counts.written > 1000,
        JSON.stringify(comparer.counts),
      );
    });

    it("every truncation of a record of each kind", () => {
      const comparer = new PathComparer(options({}, format));
      const seen = new Set<string>();
      for (const { name, payload } of corpusRecords()) {
        const kind = name.slice(0, name.indexOf("/"));
        if (seen.has(kind)) continue;
        seen.add(kind);
        for (let end = 0; end <= payload.length; end++)
          comparer.check(payload.subarray(0, end), {}, `${name}[..${end}]`);
      }
      comparer.assertSame(100_000);
    });
  });
}
