import { describe, it } from "node:test";
import type { RecordContext } from "../../../src/decode/event.js";
import { type FastFormat, FORMATS, options, PathComparer, type Settings } from "./compare.js";
import { bundleRecords, corpusRecords, type NamedRecord, withoutEnv } from "./records.js";

const CORPUS = corpusRecords();
const BUNDLE = bundleRecords();
const NO_ENV = CORPUS.map((r) => ({ name: `${r.name} (no env)`, payload: withoutEnv(r.payload) }));

const SETTINGS: [string, Settings][] = [
  ["integer time, no links", {}],
  ["float time, deep links", { timeFloat: true, serverUrl: "https://cb.example.com/" }],
  [
    "integer time, deep links with characters Go and LEEF escape",
    { serverUrl: "https://cb.example.com/<a&b>/?x=1\t\\", serverName: "cb<&>\u2028\ud800=\udc80" },
  ],
];

function compareAll(
  records: readonly NamedRecord[],
  context: RecordContext,
  settings: Settings,
  format: FastFormat,
): void {
  const comparer = new PathComparer(options(settings, format));
  for (const r of records) comparer.check(r.payload, context, r.name);
  comparer.assertSame();
}

for (const format of FORMATS) {
  describe(`fast forwarder ${format} = reference path, on the real corpus`, () => {
    for (const [label, settings] of SETTINGS) {
      it(`all 8,143 raw events, ${label}`, () => compareAll(CORPUS, {}, settings, format));
      it(`all 716 bundleone.bin records, unknown sensor (no env, no context), ${label}`, () =>
        compareAll(BUNDLE, {}, settings, format));
      it(`bundleone.bin records, sensor and host from the context, ${label}`, () =>
        compareAll(
          BUNDLE,
          { sensorId: -7, sensorIdSource: "folder", computerName: "WIN-<7>\ud800\udcff=\t\\" },
          settings,
          format,
        ));
      it(`the raw events without env, unknown sensor, ${label}`, () =>
        compareAll(NO_ENV, {}, settings, format));
    }

    it("the raw events without env, sensor from the --sensor-id option", () =>
      compareAll(
        NO_ENV,
        { sensorId: 2147483647, sensorIdSource: "option" },
        { serverUrl: "https://cb/" },
        format,
      ));

    it("with a raw event selection (--events)", () => {
      for (const names of [
        ["ingress.event.procend"],
        ["ingress.event.process"],
        ["ingress.event.remotethread", "ingress.event.netconn"],
        ["ingress.event.crossprocopen", "ingress.event.module", "ingress.event.tamper"],
        [],
      ]) {
        const comparer = new PathComparer(options({ rawEvents: new Set(names) }, format));
        for (const r of [...CORPUS, ...BUNDLE]) comparer.check(r.payload, {}, `${names.join(",")} ${r.name}`);
        comparer.assertSame();
      }
    });
  });
}
