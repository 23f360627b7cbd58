import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EventKind } from "../../../src/decode/event.js";
import { KIND, KINDS, kindIndex, selectedKinds } from "../../../src/formats/fast/selection.js";

const UNWRITTEN: EventKind[] = [
  "empty",
  "netconnblockedv2",
  "netconnblocked",
  "processmeta",
  "filebackedscript",
  "vtwrite",
  "vtload",
  "stats",
  "internaluse",
];

/** The kinds selected by `--events` names, by name. */
function selected(names?: string[]): string[] {
  const flags = selectedKinds(names === undefined ? undefined : new Set(names));
  return KINDS.filter((_, i) => flags[i] === 1);
}

describe("kind indexes", () => {
  it("number the written kinds 0..n-1, and give -1 for every other kind", () => {
    KINDS.forEach((kind, i) => {
      assert.equal(KIND[kind], i);
      assert.equal(kindIndex(kind), i);
    });
    assert.equal(KINDS.length, 15);
    for (const kind of UNWRITTEN) assert.equal(kindIndex(kind), -1, kind);
  });

  it("select as the forwarder does", () => {
    assert.deepEqual(selected(), [...KINDS]);
    assert.deepEqual(selected(["ingress.event.process"]), ["procstart"]);
    assert.deepEqual(selected(["ingress.event.procend"]), ["procstart", "procend"]);
    assert.deepEqual(selected(["ingress.event.netconn"]), ["netconn", "netconnv2"]);
    assert.deepEqual(selected(["ingress.event.crossprocopen"]), ["crossprocopen", "remotethread"]);
    assert.deepEqual(selected(["ingress.event.remotethread", "ingress.event.module"]), [
      "remotethread",
      "module",
    ]);
    assert.deepEqual(selected(["ingress.event.nothing"]), []);
  });
});
