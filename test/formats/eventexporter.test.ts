import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeRecord, type RecordContext, type SensorEvent, toSensorEvent } from "../../src/decode/event.js";
import { eventExporterDocument, UnsupportedEventError, unixTime } from "../../src/formats/eventexporter.js";
import { pythonJson } from "../../src/formats/python-json.js";
import { tableLine } from "../../src/formats/table.js";
import type { CbEventMsg } from "../../src/schema/generated.js";
import { CORPUS, fixture } from "../helpers/fixtures.js";

interface WorkedExample {
  id: string;
  input: string;
  eventexporterJson: string | null;
  eventexporterUnsupported?: boolean;
}

const EXAMPLES = (
  JSON.parse(readFileSync(fixture("worked-examples.json"), "utf8")) as { examples: WorkedExample[] }
).examples;

function decodeBase64(b64: string): SensorEvent {
  const result = decodeRecord(Buffer.from(b64, "base64"));
  if (!result.ok) throw new Error(result.damage.message);
  return result.event;
}

function example(id: string): SensorEvent {
  const ex = EXAMPLES.find((e) => e.id === id);
  if (ex === undefined) throw new Error(`no worked example ${id}`);
  return decodeBase64(ex.input);
}

/** The example's message changed, re-classified without `env` (archive/bus-bundle records carry none). */
function variant(id: string, change: Partial<CbEventMsg>, context: RecordContext = {}): SensorEvent {
  const msg = { ...example(id).msg, env: undefined, ...change };
  return toSensorEvent(msg, context);
}

describe("eventexporter documents: §8 worked examples byte for byte", () => {
  for (const ex of EXAMPLES) {
    if (ex.eventexporterJson !== null) {
      it(`${ex.id} JSON`, () => {
        assert.equal(pythonJson(eventExporterDocument(decodeBase64(ex.input))), ex.eventexporterJson);
      });
    } else {
      it(`${ex.id} is not handled by the original`, () => {
        assert.equal(ex.eventexporterUnsupported, true);
        assert.throws(() => eventExporterDocument(decodeBase64(ex.input)), UnsupportedEventError);
      });
    }
  }
  it("covers all 18 examples, 5 of them unsupported", () => {
    assert.equal(EXAMPLES.length, 18);
    assert.equal(EXAMPLES.filter((e) => e.eventexporterUnsupported).length, 5);
  });
});

describe("eventexporter documents: rules of §7.1", () => {
  it("names the unsupported kind in the error", () => {
    const err = (() => {
      try {
        eventExporterDocument(example("EX-T1"));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof UnsupportedEventError);
    assert.equal(err.kind, "tamper");
    assert.match(err.message, /tamper/);
  });

  it("sensor_id is null without a known sensor id, and GUIDs use sensor 0", () => {
    const doc = eventExporterDocument(variant("EX-N1", {}));
    assert.equal(doc.sensor_id, null);
    assert.equal(doc.process_guid, "00000000-0000-0ccc-01d1-209ab5339f45");
  });

  it("sensor_id is the integer from the archive folder", () => {
    const doc = eventExporterDocument(variant("EX-N1", {}, { sensorId: 42, sensorIdSource: "folder" }));
    assert.equal(doc.sensor_id, 42);
    assert.equal(doc.process_guid, "0000002a-0000-0ccc-01d1-209ab5339f45");
  });

  it("adds no computer_name", () => {
    assert.equal("computer_name" in eventExporterDocument(example("EX-P1")), false);
  });

  it("uses the legacy header process_guid (a number, exact beyond 2^53) without header pid", () => {
    const base = example("EX-N1").msg.header;
    const header = { ...base, process_pid: undefined };
    const doc = eventExporterDocument(variant("EX-N1", { header }));
    assert.equal(doc.process_guid, -7800743760298080135n);
    assert.match(pythonJson(doc), /"process_guid": -7800743760298080135,/);
  });

  it("negative create times use the two's-complement GUID", () => {
    const header = { ...example("EX-N1").msg.header, process_create_time: -1n, process_pid: -2 };
    const doc = eventExporterDocument(
      variant("EX-N1", { header }, { sensorId: -5, sensorIdSource: "option" }),
    );
    assert.equal(doc.process_guid, "fffffffb-ffff-fffe-ffff-ffffffffffff");
  });

  it("process parent GUID is always built (zeros when absent); path falls back to the key's decimal text", () => {
    const p1 = example("EX-P1").msg;
    assert.ok(p1.process !== undefined);
    const process = {
      ...p1.process,
      parent_pid: undefined,
      parent_create_time: undefined,
      username: undefined,
    };
    const doc = eventExporterDocument(variant("EX-P1", { process, strings: [] }, { sensorId: 1 }));
    assert.equal(doc.parent_process_guid, "00000001-0000-0000-0000-000000000000");
    assert.equal(doc.path, "8102128062513263617");
    assert.equal("username" in doc, false);
    const noKey = { ...p1.header, filepath_string_guid: undefined };
    assert.equal(eventExporterDocument(variant("EX-P1", { header: noKey, strings: [] })).path, "0");
  });

  it("filemod and regmod actions outside the known values are 'unknown' without number", () => {
    const f = example("EX-F1").msg.filemod;
    const r = example("EX-R1").msg.regmod;
    assert.ok(f !== undefined && r !== undefined);
    const fdoc = eventExporterDocument(variant("EX-F1", { filemod: { ...f, action: 16 } }));
    assert.deepEqual([fdoc.action, fdoc.actiontype], ["unknown", 16]);
    const rdoc = eventExporterDocument(variant("EX-R1", { regmod: { ...r, action: 3 } }));
    assert.deepEqual([rdoc.action, rdoc.actiontype], ["unknown", 3]);
    // An absent enum read as its first value in the original's protobuf library.
    const adoc = eventExporterDocument(variant("EX-F1", { filemod: { ...f, action: undefined } }));
    assert.deepEqual([adoc.action, adoc.actiontype], ["create", 1]);
  });

  it("netconn defaults: 0.0.0.0, port 0, protocol 6, outbound", () => {
    const doc = eventExporterDocument(variant("EX-N1", { network: {} }));
    assert.deepEqual(
      [doc.ipv4, doc.port, doc.protocol, doc.direction, doc.domain],
      ["0.0.0.0", 0, 6, "outbound", ""],
    );
  });

  it("childproc without create_time keeps the legacy child_guid number", () => {
    const c = example("EX-C1").msg.childproc;
    assert.ok(c !== undefined);
    const doc = eventExporterDocument(variant("EX-C1", { childproc: { ...c, create_time: undefined } }));
    assert.equal(doc.child_process_guid, 6310356296581332974n);
    assert.equal(doc.process_guid, -8915740139778150230n);
  });

  it("vtwrite gives an empty document", () => {
    const doc = eventExporterDocument(variant("EX-P1", { process: undefined, vtwrite: {} }));
    assert.deepEqual(doc, {});
    assert.equal(pythonJson(doc), "{}");
  });

  it("checks payloads in the original's order, not the forwarder's", () => {
    const r = example("EX-R1").msg.regmod;
    // The forwarder (and SensorEvent.kind) prefers networkv2; the original only knew regmod here.
    const event = variant("EX-R1", { regmod: r, networkv2: {} });
    assert.equal(event.kind, "netconnv2");
    assert.equal(eventExporterDocument(event).type, "regmod");
    assert.throws(() => eventExporterDocument(variant("EX-N1", { network: undefined, networkv2: {} })), {
      name: "UnsupportedEventError",
    });
  });

  it("timestamps use floor division (Python) and keep 0", () => {
    assert.equal(unixTime(0n), 0);
    assert.equal(unixTime(undefined), 0);
    assert.equal(unixTime(130921710236713495n), 1447697423);
    // Reference values from Python: ((ft // 10000) - 11644473600000) // 1000.
    assert.equal(unixTime(1n), -11644473600);
    assert.equal(unixTime(-1n), -11644473601);
    assert.equal(unixTime(-9223372036854775808n), -933981677286);
    assert.equal(unixTime(9223372036854775807n), 910692730085);
  });
});

/** Every file below a folder. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

const HANDLED_KINDS: ReadonlySet<string> = new Set([
  "procstart",
  "procend",
  "modload",
  "filemod",
  "regmod",
  "netconn",
  "vtwrite",
  "module",
  "childproc",
]);

describe("eventexporter over the whole raw protobuf corpus", () => {
  it("maps every handled kind (JSON and table text too) and rejects every other one", (t) => {
    const files = walk(join(CORPUS, "raw", "protobuf"));
    const mapped = new Map<string, number>();
    const rejected = new Map<string, number>();
    const problems: string[] = [];
    for (const file of files) {
      const result = decodeRecord(readFileSync(file), { file });
      if (!result.ok) {
        problems.push(`${file}: ${result.damage.message}`);
        continue;
      }
      const { kind } = result.event;
      const tally = HANDLED_KINDS.has(kind) ? mapped : rejected;
      try {
        const doc = eventExporterDocument(result.event);
        pythonJson(doc);
        if (kind !== "vtwrite") tableLine(doc, { legacyMd5Column: true });
        if (!HANDLED_KINDS.has(kind)) problems.push(`${file}: ${kind} was mapped`);
      } catch (err) {
        if (HANDLED_KINDS.has(kind) || !(err instanceof UnsupportedEventError))
          problems.push(`${file}: ${err}`);
      }
      tally.set(kind, (tally.get(kind) ?? 0) + 1);
    }
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    t.diagnostic(`mapped ${sum(mapped)} ${JSON.stringify(Object.fromEntries(mapped))}`);
    t.diagnostic(`rejected ${sum(rejected)} ${JSON.stringify(Object.fromEntries(rejected))}`);
    assert.deepEqual(problems.slice(0, 5), []);
    assert.equal(files.length, 8143);
    assert.equal(sum(mapped) + sum(rejected), files.length);
    assert.ok(sum(mapped) > 0 && sum(rejected) > 0);
  });
});
