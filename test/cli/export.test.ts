import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { fixture } from "../helpers/fixtures.js";

const SAMPLE = fixture("corpus", "archive", "2013-02-08_17-12-24-277.log");

/** An archive tree with the sample under sensor folder 42 (as the server lays it out). */
function archiveTree(): string {
  const root = mkdtempSync(join(tmpdir(), "cbexport-test-"));
  mkdirSync(join(root, "42"));
  copyFileSync(SAMPLE, join(root, "42", "2013-02-08_17-12-24-277.log"));
  return root;
}

// ARCHIVE.md §3.1: records 1, 14 and 17 of the sample in folder 42/.
const RECORD_1 =
  '{"cb_server":"cbserver","command_line":"","computer_name":"","event_type":"proc","expect_followon_w_md5":false,"filtering_known_dlls":false,"md5":"60AE15C8CDEDF083B9D218952F435BA9","parent_create_time":0,"parent_guid":-7909959799707835525,"parent_path":"","parent_pid":0,"parent_process_guid":"-7909959799707835525","path":"c:\\\\program files\\\\vmware\\\\vmware tools\\\\tpautoconnect.exe","pid":0,"process_guid":"-3051024288762533596","sensor_id":42,"sha256":"","timestamp":1360293403,"type":"ingress.event.procstart"}';
const RECORD_17 =
  '{"cb_server":"cbserver","computer_name":"","event_type":"modload","md5":"4CBCC37856EA2039C27A2FB661DDA0E5","path":"c:\\\\windows\\\\system32\\\\dhcpcsvc6.dll","pid":0,"process_guid":"-2396758718873065495","sensor_id":42,"sha256":"","timestamp":1360343539,"type":"ingress.event.moduleload"}';

describe("cbexport export", () => {
  it("exports a folder tree with the sensor id from the folder name (ARCHIVE.md §3.1)", async () => {
    const result = await runCli(["export", "--server-name", "cbserver", archiveTree()]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 20);
    assert.equal(lines[0], RECORD_1);
    assert.equal(lines[16], RECORD_17);
    assert.match(result.stderr, /1 file\(s\), 20 record\(s\), 20 event\(s\) exported/);
  });

  it("writes to --output files (every event to each) and nothing to stdout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-out-"));
    const a = join(dir, "a.json");
    const b = join(dir, "sub", "b.json");
    const result = await runCli([
      "export",
      "--server-name",
      "cbserver",
      "--output",
      a,
      "--output",
      b,
      archiveTree(),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(readFileSync(a, "utf8").split("\n")[16], RECORD_17);
    assert.equal(readFileSync(a, "utf8"), readFileSync(b, "utf8"));
  });

  it("exits 3 on damaged input, naming file and offset, after exporting every good record", async () => {
    const root = archiveTree();
    const damaged = join(root, "42", "damaged.log");
    writeFileSync(damaged, readFileSync(SAMPLE).subarray(0, 3000));
    const result = await runCli(["export", root]);
    assert.equal(result.code, 3);
    assert.equal(result.stdout.trimEnd().split("\n").length, 20 + 17);
    assert.match(result.stderr, new RegExp(`truncated-record in ${damaged} at byte 2942`));
  });

  it("uses --sensor-id for files outside a sensor folder", async () => {
    const result = await runCli(["export", "--sensor-id", "7", "--server-name", "x", SAMPLE]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.split("\n")[0], /"sensor_id":7,/);
  });

  it("writes LEEF, CSV and table", async () => {
    const tree = archiveTree();
    const leef = await runCli(["export", "--format", "leef", "--server-name", "cbserver", tree]);
    assert.equal(leef.code, 0, leef.stderr);
    assert.match(
      leef.stdout.split("\n")[0],
      /^LEEF:1\.0\|CB\|CB\|5\.1\|ingress\.event\.process\|cb_server=cbserver\t/,
    );
    const csv = await runCli(["export", "--format", "csv", tree]);
    assert.equal(
      csv.stdout.split("\n")[16],
      "2013-02-08 17:12:19 ;  ; modload ; 4CBCC37856EA2039C27A2FB661DDA0E5 ; c:\\windows\\system32\\dhcpcsvc6.dll",
    );
    const table = await runCli(["export", "--format", "table", tree]);
    assert.match(table.stdout.split("\n")[16], /^2013-02-08 17:12:19 \| {22}\| {4}modload \| {2}4CBCC378/);
  });

  it("refuses bad usage with exit 2 and a clear message", async () => {
    const noPath = await runCli(["export"]);
    assert.equal(noPath.code, 2);
    assert.match(noPath.stderr, /needs at least one archive file or folder/);
    const badFormat = await runCli(["export", "--format", "xml", SAMPLE]);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /--format must be one of json, leef, csv, table/);
    const missing = await runCli(["export", "/nonexistent/archive"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nonexistent/);
    const unknown = await runCli(["export", "--bogus", SAMPLE]);
    assert.equal(unknown.code, 2);
  });

  it("documents every option with an example in --help", async () => {
    const result = await runCli(["export", "--help"]);
    assert.equal(result.code, 0);
    for (const option of [
      "--format",
      "--profile",
      "--server-name",
      "--server-url",
      "--time-float",
      "--sensor-id",
      "--output",
    ]) {
      assert.ok(result.stdout.includes(option), option);
    }
  });
});
