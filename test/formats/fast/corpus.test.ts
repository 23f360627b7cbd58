import { describe, it } from "node:test";
import type { RecordContext } from "../../../src/decode/event.js";
import { options, PathComparer, type Settings } from "./compare.js";
import { bundleRecords, corpusRecords, type NamedRecord, withoutEnv } from "./records.js";

const CORPUS = corpusRecords();
const BUNDLE = bundleRecords();
const NO_ENV = CORPUS.map((r) => ({ name: `${r.name} (no env)`, payload: withoutEnv(r.payload) }));

const SETTINGS: [string, Settings][] = [
  ["integer time, no links", {}],
  ["float time, deep links", { timeFloat: true, serverUrl: "https://cb.example.com/" }],
  [
    "integer time, deep links with characters Go escapes",
    { serverUrl: "https://cb.example.com/<a&b>/", serverName: "cb<&>\u2028\ud800" },
  ],
];

function compareAll(records: readonly NamedRecord[], context: RecordContext, settings: Settings): void {
  const comparer = new PathComparer(options(settings));
  for (const r of records) comparer.check(r.payload, context, r.name);
  comparer.assertSame();
}

describe("fast forwarder JSON = reference path, on the real corpus", () => {
  for (const [label, settings] of SETTINGS) {
    it(`all 8,143 raw events, ${label}`, () => compareAll(CORPUS, {}, settings));
    it(`all 716 bundleone.bin records, unknown sensor (no env, no context), ${label}`, () =>
      compareAll(BUNDLE, {}, settings));
    it(`bundleone.bin records, sensor and host from the context, ${label}`, () =>
      compareAll(
        BUNDLE,
        { sensorId: -7, sensorIdSource: "folder", computerName: "WIN-<7>\ud800" },
        settings,
      ));
    it(`the raw events without env, unknown sensor, ${label}`, () => compareAll(NO_ENV, {}, settings));
  }

  it("the raw events without env, sensor from the --sensor-id option", () =>
    compareAll(NO_ENV, { sensorId: 2147483647, sensorIdSource: "option" }, { serverUrl: "https://cb/" }));

  it("with a raw event selection (--events)", () => {
    for (const names of [
      ["ingress.event.procend"],
      ["ingress.event.process"],
      ["ingress.event.remotethread", "ingress.event.netconn"],
      ["ingress.event.crossprocopen", "ingress.event.module", "ingress.event.tamper"],
      [],
    ]) {
      const comparer = new PathComparer(options({ rawEvents: new Set(names) }));
      for (const r of [...CORPUS, ...BUNDLE]) comparer.check(r.payload, {}, `${names.join(",")} ${r.name}`);
      comparer.assertSame();
    }
  });
});
