// The library API as a user sees it: import from the package entry point.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeRecord, formatEvent, type RecordItem, readEvents } from "../src/index.js";
import { fixture, ROOT } from "./helpers/fixtures.js";

const SAMPLE = fixture("corpus", "archive", "2013-02-08_17-12-24-277.log");

async function collect(items: AsyncIterable<RecordItem>): Promise<RecordItem[]> {
  const out: RecordItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("library API", () => {
  it("readEvents over a file gives 20 typed events in order", async () => {
    const items = await collect(readEvents(SAMPLE, { sensorId: 42 }));
    assert.equal(items.length, 20);
    assert.deepEqual(
      items.slice(0, 2).map((i) => [i.event?.kind, i.event?.offset, i.event?.sensorId]),
      [
        ["procstart", 0, 42],
        ["regmod", 170, 42],
      ],
    );
  });

  it("readEvents over a stream reports damage in order with the good records", async () => {
    const damaged = Buffer.concat([
      readFileSync(SAMPLE).subarray(0, 170),
      Buffer.alloc(4),
      readFileSync(SAMPLE),
    ]);
    async function* chunks() {
      for (let i = 0; i < damaged.length; i += 500) yield damaged.subarray(i, i + 500);
    }
    const items = await collect(readEvents(chunks()));
    assert.equal(items.length, 22);
    assert.equal(items[1].damage?.kind, "zero-length");
    assert.equal(items[1].damage?.offset, 170);
    const fromFile = await collect(readEvents(createReadStream(SAMPLE)));
    assert.equal(fromFile.length, 20);
  });

  it("formatEvent renders one event like the CLI", () => {
    const result = decodeRecord(readFileSync(SAMPLE).subarray(2788, 2788 + 154), {
      sensorId: 42,
      sensorIdSource: "folder",
    });
    assert.ok(result.ok);
    assert.deepEqual(formatEvent(result.event, { serverName: "cbserver" }), [
      '{"cb_server":"cbserver","computer_name":"","event_type":"modload","md5":"4CBCC37856EA2039C27A2FB661DDA0E5","path":"c:\\\\windows\\\\system32\\\\dhcpcsvc6.dll","pid":0,"process_guid":"-2396758718873065495","sensor_id":42,"sha256":"","timestamp":1360343539,"type":"ingress.event.moduleload"}',
    ]);
  });

  it("the README example (examples/netconn-ports.mjs) runs and counts ports", () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, "examples", "netconn-ports.mjs"), fixture("corpus", "bus")],
      {
        encoding: "utf8",
      },
    );
    assert.equal(run.status, 0, run.stderr);
    // bundleone.bin holds 12 netconns; the zip files are not archive logs and come out as damage.
    assert.match(run.stdout, /^443\t8$/m);
  });
});
