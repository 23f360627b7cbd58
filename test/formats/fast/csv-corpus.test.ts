import { describe, it } from "node:test";
import type { RecordContext } from "../../../src/decode/event.js";
import { CSV_SETTINGS, CsvComparer, type CsvSettings, csvOptions } from "./compare-csv.js";
import { bundleRecords, corpusRecords, type NamedRecord, withoutEnv } from "./records.js";

const CORPUS = corpusRecords();
const BUNDLE = bundleRecords();
const NO_ENV = CORPUS.map((r) => ({ name: `${r.name} (no env)`, payload: withoutEnv(r.payload) }));

function compareAll(records: readonly NamedRecord[], context: RecordContext, settings: CsvSettings): void {
  const comparer = new CsvComparer(csvOptions(settings));
  for (const r of records) comparer.check(r.payload, context, r.name);
  comparer.assertSame();
}

describe("direct CSV/table writer = reference path, on the real corpus", () => {
  for (const [label, settings] of CSV_SETTINGS) {
    it(`all 8,143 raw events, ${label}`, () => compareAll(CORPUS, {}, settings));
    it(`all 716 bundleone.bin records, unknown sensor (no env, no context), ${label}`, () =>
      compareAll(BUNDLE, {}, settings));
    it(`bundleone.bin records, host from the context, ${label}`, () =>
      compareAll(
        BUNDLE,
        { sensorId: -7, sensorIdSource: "folder", computerName: "WIN-<7>\ud800 zoë 😀" },
        settings,
      ));
    it(`the raw events without env, ${label}`, () =>
      compareAll(NO_ENV, { sensorId: 3, sensorIdSource: "option", computerName: "h" }, settings));
  }

  it("with a raw event selection (--events)", () => {
    for (const names of [
      ["ingress.event.procend"],
      ["ingress.event.process"],
      ["ingress.event.remotethread", "ingress.event.netconn"],
      ["ingress.event.crossprocopen", "ingress.event.module", "ingress.event.tamper"],
      [],
    ]) {
      for (const format of ["csv", "table"] as const) {
        const comparer = new CsvComparer(csvOptions({ format, rawEvents: new Set(names) }));
        for (const r of [...CORPUS, ...BUNDLE]) comparer.check(r.payload, {}, `${names.join(",")} ${r.name}`);
        comparer.assertSame();
      }
    }
  });
});
