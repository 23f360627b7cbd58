import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { fixture } from "../helpers/fixtures.js";

const SAMPLE = fixture("corpus", "archive", "2013-02-08_17-12-24-277.log");

function tree(): { root: string; clean: string; damaged: string } {
  const root = mkdtempSync(join(tmpdir(), "cbexport-remove-"));
  mkdirSync(join(root, "42"));
  mkdirSync(join(root, "43"));
  const clean = join(root, "42", "clean.log");
  const damaged = join(root, "43", "damaged.log");
  copyFileSync(SAMPLE, clean);
  writeFileSync(damaged, readFileSync(SAMPLE).subarray(0, 3000));
  return { root, clean, damaged };
}

describe("export --remove", () => {
  it("deletes clean files once written, keeps damaged ones", async () => {
    const { root, clean, damaged } = tree();
    const out = join(root, "..", `${root.split("/").pop()}.json`);
    const result = await runCli(["export", "--remove", "--output", out, root]);
    assert.equal(result.code, 3);
    assert.equal(existsSync(clean), false);
    assert.equal(existsSync(damaged), true);
    assert.match(result.stderr, /kept .*damaged\.log: it had damaged records/);
    assert.equal(readFileSync(out, "utf8").trimEnd().split("\n").length, 37);
  });

  it("--remove-damaged deletes damaged files too, after exporting their good records", async () => {
    const { root, clean, damaged } = tree();
    const result = await runCli(["export", "--remove", "--remove-damaged", root]);
    assert.equal(result.code, 3);
    assert.equal(result.stdout.trimEnd().split("\n").length, 37);
    assert.equal(existsSync(clean), false);
    assert.equal(existsSync(damaged), false);
  });

  it("deletes nothing when the output fails (a full disk: /dev/full)", async () => {
    const { root, clean } = tree();
    const result = await runCli(["export", "--remove", "--output", "/dev/full", root]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\/dev\/full/);
    assert.equal(existsSync(clean), true);
  });

  it("--auto reads the archive folder from archive.properties", async () => {
    const { root } = tree();
    const props = join(root, "..", `${root.split("/").pop()}.properties`);
    writeFileSync(
      props,
      `cbfs-http.log-archive.type=filesystem\ncbfs-http.log-archive.filesystem.location=${join(root, "42")}\n`,
    );
    const result = await runCli(["export", "--archive-properties", props, "--server-name", "s"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trimEnd().split("\n").length, 20);
    const missing = await runCli(["export", "--archive-properties", join(root, "none.properties")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read/);
  });
});
