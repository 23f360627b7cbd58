import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DeadLetterBox, DeadLetterError } from "../../../src/sources/bus/dead-letter.js";

const letter = {
  body: Buffer.from([0, 1, 2, 0xff]),
  exchange: "api.rawsensordata",
  routingKey: "",
  properties: {
    contentType: "application/zip",
    headers: { sensorId: 12n, raw: Buffer.from("hi"), sensorHostName: "WIN-1" },
    deliveryMode: 1,
  },
  redelivered: true,
  queue: "cbexport",
  reasons: ["bad-message in x at byte 0: damaged ZIP"],
  exportedEvents: 0,
};

describe("dead-letter folder", () => {
  it("keeps the body and a JSON record of where it came from and why", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "cbexport-dl-")), "made", "on", "demand");
    const box = new DeadLetterBox(dir);
    const first = await box.add(letter);
    await box.add({ ...letter, routingKey: "feed.ingress.hit.process" });
    await box.flush();
    assert.equal(box.count, 2);
    const names = readdirSync(dir).sort();
    assert.equal(names.length, 4);
    assert.match(names[0], /^\d{8}T\d{6}\.\d{3}Z-\d+-1\.body$/);
    const record = JSON.parse(readFileSync(first, "utf8"));
    assert.deepEqual(readFileSync(join(dir, record.bodyFile)), letter.body);
    assert.equal(record.exchange, "api.rawsensordata");
    assert.equal(record.routingKey, "");
    assert.equal(record.queue, "cbexport");
    assert.equal(record.redelivered, true);
    assert.equal(record.bodyBytes, 4);
    assert.deepEqual(record.reasons, letter.reasons);
    assert.deepEqual(record.properties.headers, {
      sensorId: "12",
      raw: { base64: "aGk=" },
      sensorHostName: "WIN-1",
    });
  });

  it("fails with the path when the folder cannot be written", async (t) => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: use a path below a file instead of a read-only folder.
      const dir = mkdtempSync(join(tmpdir(), "cbexport-dl-"));
      const box = new DeadLetterBox(join(dir, "x"));
      await box.add(letter);
      const below = new DeadLetterBox(join(dir, "x", readdirSync(join(dir, "x"))[0], "sub"));
      await assert.rejects(
        below.add(letter),
        (err: Error) => err instanceof DeadLetterError && /dead-letter folder/.test(err.message),
      );
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "cbexport-dl-"));
    chmodSync(dir, 0o500);
    t.after(() => chmodSync(dir, 0o700));
    await assert.rejects(new DeadLetterBox(join(dir, "sub")).add(letter), DeadLetterError);
  });
});
