// `follow` with a network output: the checkpoint waits until the destination has the records (flush), so an
// outage holds the checkpoint back instead of losing records.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fixture } from "../helpers/fixtures.js";
import { startFollow } from "../helpers/follow.js";
import { expectedLines, freePort, HttpReceiver, sorted, stopProcess, tempDir, waitFor } from "./support.js";

const SAMPLE = fixture("corpus", "archive", "2013-02-08_17-12-24-277.log");

function savedOffset(state: string, file: string): number {
  const path = join(state, "state.json");
  if (!existsSync(path)) return 0;
  const saved = JSON.parse(readFileSync(path, "utf8")) as { files: Record<string, { offset: number }> };
  return saved.files[file]?.offset ?? 0;
}

describe("follow to a network output", () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const step of cleanup) await step();
  });

  it("checkpoints only once the destination has the records", async () => {
    const root = tempDir("follow-net");
    const archive = join(root, "archive");
    mkdirSync(join(archive, "42"), { recursive: true });
    const file = join(archive, "42", "a.log");
    copyFileSync(SAMPLE, file);
    const state = join(root, "state");
    const port = await freePort();
    const proc = startFollow([
      archive,
      "--state",
      state,
      "--settle",
      "0",
      "--server-name",
      "cbtest",
      "--output",
      `http://127.0.0.1:${port}/`,
    ]);
    cleanup.push(() => stopProcess(proc.child));
    await waitFor("the outage to be reported", () => proc.stderr().includes("retrying for up to 300 s"));
    assert.equal(savedOffset(state, file), 0, "no checkpoint while the destination is down");

    const receiver = await HttpReceiver.start(undefined, { port });
    cleanup.push(() => receiver.stop());
    await waitFor(
      "the checkpoint after delivery",
      () => savedOffset(state, file) === readFileSync(SAMPLE).length,
    );
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0, proc.stderr());
    assert.deepEqual(sorted(receiver.lines()), sorted(await expectedLines(archive)));
  });
});
