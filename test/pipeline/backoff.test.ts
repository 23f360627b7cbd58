import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff, sleep } from "../../src/pipeline/backoff.js";

describe("reconnect backoff", () => {
  it("doubles up to the ceiling, with half of each delay random", () => {
    const low = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 8 }, () => low.next()),
      [250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000],
    );
    const high = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 8 }, () => high.next()),
      [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
    assert.equal(high.attempts, 8);
  });

  it("starts again from the first delay after a reset", () => {
    const b = new Backoff({ random: () => 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 250);
  });

  it("sleeps until aborted", async () => {
    const abort = new AbortController();
    const pending = sleep(3_600_000, abort.signal);
    abort.abort();
    await pending;
    await sleep(10_000, abort.signal);
  });
});
