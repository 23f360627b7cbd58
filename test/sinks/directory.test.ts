import assert from "node:assert/strict";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { makeDirectory } from "../../src/sinks/directory.js";

describe("makeDirectory (mkdir -p)", () => {
  it("creates missing parents, and takes a folder that exists", async () => {
    const root = mkdtempSync(join(tmpdir(), "cbexport-dir-"));
    const deep = join(root, "a", "b", "c");
    await makeDirectory(deep);
    assert.ok(statSync(deep).isDirectory());
    await makeDirectory(deep);
    await Promise.all([makeDirectory(join(root, "x", "y")), makeDirectory(join(root, "x", "z"))]);
    assert.ok(statSync(join(root, "x", "z")).isDirectory());
  });

  it("fails with the error of the level it cannot create", async () => {
    const root = mkdtempSync(join(tmpdir(), "cbexport-dir-"));
    writeFileSync(join(root, "file"), "");
    await assert.rejects(makeDirectory(join(root, "file", "sub")), { code: "ENOTDIR" });
    await assert.rejects(makeDirectory(join(root, "file")), { code: "EEXIST" });
  });

  // Node's recursive mkdir never returns for these (procfs answers ENOENT with the parent there).
  it("fails instead of looping for ever where the file system refuses the folder (/proc)", {
    timeout: 5000,
  }, async () => {
    await assert.rejects(makeDirectory("/proc/cbexport-nope/x"), { code: "ENOENT" });
  });
});
