import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeRecord } from "../../src/decode/event.js";
import { frameBuffer } from "../../src/decode/framing.js";
import { CORPUS, fixture } from "../helpers/fixtures.js";

/** Routing key → payload kinds it may carry. */
const KINDS: Record<string, string[]> = {
  "ingress.event.childproc": ["childproc"],
  "ingress.event.crossprocopen": ["crossprocopen"],
  "ingress.event.emetmitigation": ["emet"],
  "ingress.event.filemod": ["filemod"],
  "ingress.event.module": ["module"],
  "ingress.event.moduleload": ["modload"],
  "ingress.event.netconn": ["netconn", "netconnv2"],
  "ingress.event.procend": ["procend"],
  "ingress.event.process": ["procstart"],
  "ingress.event.processblock": ["processblock"],
  "ingress.event.regmod": ["regmod"],
  "ingress.event.remotethread": ["remotethread"],
  "ingress.event.tamper": ["tamper"],
};

describe("decoding the real captures", () => {
  it("decodes all 8,143 single raw events to the kind of their routing key, with env identity", () => {
    const root = join(CORPUS, "raw", "protobuf");
    let count = 0;
    for (const key of readdirSync(root)) {
      for (const name of readdirSync(join(root, key))) {
        const result = decodeRecord(readFileSync(join(root, key, name)), { file: name });
        assert.ok(result.ok, `${key}/${name}: ${result.ok ? "" : result.damage.message}`);
        assert.ok(KINDS[key].includes(result.event.kind), `${key}/${name} decoded as ${result.event.kind}`);
        assert.equal(result.event.sensorIdSource, "env");
        assert.ok(result.event.sensorId > 0);
        count++;
      }
    }
    assert.equal(count, 8143);
  });

  it("frames and decodes bus/bundleone.bin completely: 716 records", () => {
    const { frames, damages } = frameBuffer(readFileSync(fixture("corpus", "bus", "bundleone.bin")));
    assert.deepEqual(damages, []);
    assert.equal(frames.length, 716);
    const kinds = new Map<string, number>();
    for (const frame of frames) {
      const result = decodeRecord(frame.payload, {}, frame.offset);
      assert.ok(result.ok);
      assert.equal(result.event.msg.env, undefined);
      assert.equal(result.event.sensorIdSource, "unknown");
      kinds.set(result.event.kind, (kinds.get(result.event.kind) ?? 0) + 1);
    }
    assert.equal(kinds.get("modload"), 310);
    assert.equal(kinds.get("filemod"), 220);
    assert.equal(kinds.get("regmod"), 99);
    assert.equal((kinds.get("crossprocopen") ?? 0) + (kinds.get("remotethread") ?? 0), 41);
    assert.equal(kinds.get("childproc"), 25);
    assert.equal((kinds.get("netconn") ?? 0) + (kinds.get("netconnv2") ?? 0), 12);
    assert.equal((kinds.get("procstart") ?? 0) + (kinds.get("procend") ?? 0), 9);
  });

  it("keeps 64-bit values exact (FILETIMEs and negative legacy GUIDs)", () => {
    const archive = readFileSync(fixture("corpus", "archive", "2013-02-08_17-12-24-277.log"));
    const result = decodeRecord(archive.subarray(4, 170));
    assert.ok(result.ok);
    assert.equal(result.event.msg.header.process_guid, -3051024288762533596n);
    assert.equal(result.event.kind, "procstart");
    assert.ok(
      result.event.kind === "procstart" && result.event.payload.parent_guid === -7909959799707835525n,
    );
  });
});
