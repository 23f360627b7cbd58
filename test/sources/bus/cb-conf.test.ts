import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CbConfError,
  credentialsFromCbConf,
  parseIniTopSection,
  readCbConf,
} from "../../../src/sources/bus/cb-conf.js";

describe("cb.conf credentials", () => {
  it("reads RabbitMQUser and RabbitMQPassword like an INI reader (trimmed, comments, last key wins)", () => {
    const text = [
      "# Carbon Black server configuration",
      "; another comment",
      "DatastoreBroadcastEventTypes=*",
      "  RabbitMQUser = cb  ",
      "RabbitMQUserX=not-this-one",
      "RabbitMQPassword=first",
      "RabbitMQPassword=a=b=c",
      "a line without an equals sign",
      "",
    ].join("\r\n");
    assert.deepEqual(credentialsFromCbConf(text, "cb.conf"), { user: "cb", password: "a=b=c" });
  });

  it("keeps values verbatim (no unquoting) and stops at the first section", () => {
    const keys = parseIniTopSection('K="quoted"\nEmpty=\n[section]\nRabbitMQUser=late\n');
    assert.equal(keys.get("K"), '"quoted"');
    assert.equal(keys.get("Empty"), "");
    assert.equal(keys.has("RabbitMQUser"), false);
  });

  it("accepts an empty password but not a missing one, and explains RabbitMQToken (EDR 7.7+)", () => {
    assert.deepEqual(credentialsFromCbConf("RabbitMQUser=cb\nRabbitMQPassword=\n", "f"), {
      user: "cb",
      password: "",
    });
    assert.throws(
      () => credentialsFromCbConf("RabbitMQPassword=x\n", "/etc/cb/cb.conf"),
      /\/etc\/cb\/cb.conf: no RabbitMQUser/,
    );
    assert.throws(
      () => credentialsFromCbConf("RabbitMQUser=cb\nRabbitMQToken=abc\n", "f"),
      (err: Error) => err instanceof CbConfError && /RabbitMQToken.*--url/.test(err.message),
    );
  });

  it("names the file it cannot read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cbexport-cbconf-"));
    await assert.rejects(readCbConf(join(dir, "missing.conf")), /cannot read .*missing\.conf/);
    writeFileSync(join(dir, "cb.conf"), "RabbitMQUser=u\nRabbitMQPassword=p\n");
    assert.deepEqual(await readCbConf(join(dir, "cb.conf")), { user: "u", password: "p" });
  });
});
