// 64-bit values above 2^53 come out exact in every format (JSON-OUTPUT.md §1, SCHEMA.md W2).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeRecord } from "../../src/decode/event.js";
import { EventFormatter, type OutputFormat } from "../../src/formats/formatter.js";
import { formatOptions, type Profile } from "../../src/formats/options.js";

/** Encodes an unsigned varint. */
function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function field(num: number, wire: number, payload: number[]): number[] {
  return [...varint(BigInt((num << 3) | wire)), ...payload];
}

function message(num: number, body: number[]): number[] {
  return field(num, 2, [...varint(BigInt(body.length)), ...body]);
}

// A process start whose parent_guid (-8915740139778150231) and parent create time are far beyond 2^53,
// and an EMET record whose raw FILETIME and id are output unconverted.
const PARENT_GUID = -8915740139778150231n;
const EMET_ID = 9007199254740993n; // 2^53 + 1
const EMET_TIME = 130949318600000001n;

const processRecord = Buffer.from([
  ...message(1, [...field(1, 0, varint(4n)), ...field(4, 0, varint(130921710236713495n))]),
  ...message(3, [...field(2, 0, [1]), ...field(5, 0, varint(PARENT_GUID))]),
]);
const emetRecord = Buffer.from([
  ...message(1, [...field(1, 0, varint(4n)), ...field(4, 0, varint(130949318607663302n))]),
  ...message(17, [...field(1, 0, varint(EMET_ID)), ...field(2, 0, varint(EMET_TIME))]),
]);

function lines(record: Buffer, format: OutputFormat, profile: Profile): string {
  const result = decodeRecord(record, { sensorId: 3, sensorIdSource: "folder" });
  assert.ok(result.ok);
  const formatter = new EventFormatter({ ...formatOptions({ profile, serverName: "s" }), format });
  const outcome = formatter.event(result.event);
  assert.equal(outcome.status, "lines");
  return outcome.status === "lines" ? outcome.lines.join("\n") : "";
}

describe("64-bit values stay exact", () => {
  for (const [format, profile] of [
    ["json", "forwarder"],
    ["json", "forwarder-3.8"],
    ["leef", "forwarder"],
  ] as const) {
    it(`${format} ${profile}`, () => {
      const proc = lines(processRecord, format, profile);
      assert.ok(proc.includes(String(PARENT_GUID)), proc);
      const emet = lines(emetRecord, format, profile);
      assert.ok(emet.includes(String(EMET_ID)), emet);
      assert.ok(emet.includes(String(EMET_TIME)), emet);
    });
  }

  it("json eventexporter (legacy process id as a number)", () => {
    const out = lines(processRecord, "json", "eventexporter");
    assert.ok(out.includes(`"process_guid": 0`), out);
    const record = Buffer.from([
      ...message(1, [
        ...field(1, 0, varint(4n)),
        ...field(4, 0, varint(1n)),
        ...field(5, 0, varint(PARENT_GUID)),
      ]),
      ...message(3, [...field(2, 0, [1])]),
    ]);
    assert.ok(lines(record, "json", "eventexporter").includes(`"process_guid": ${PARENT_GUID}`));
  });

  it("leef forwarder-3.8 renders numbers as doubles, as that release did (documented exception)", () => {
    assert.ok(lines(emetRecord, "leef", "forwarder-3.8").includes("log_id=9.007199254740992e+15"));
  });
});
