import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { frameBuffer } from "../../src/decode/framing.js";
import { archiveFileName, generateArchive, Rng } from "../../src/generate/archive-generator.js";
import { ProtoWriter } from "../../src/generate/protobuf-writer.js";
import { decodeEventMessage } from "../../src/schema/generated.js";
import { runCli } from "../helpers/cli.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "cbexport-gen-"));
}

/** Every file under `root` by relative path → its bytes. */
function archiveFiles(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path), readFileSync(path));
  }
  return files;
}

describe("ProtoWriter", () => {
  it("encodes what the generated decoder reads back: negatives, 64-bit values, long nested messages", () => {
    const w = new ProtoWriter(16); // tiny on purpose: growing must keep the bytes
    const path = `c:\\users\\zoë\\${"ファイル\\".repeat(40)}x.exe`;
    w.record(() => {
      w.message(1, () => {
        w.int32(1, 4);
        w.int64(4, 133500000000000000n);
        w.int64(5, -3051024288762533596n);
        w.int32(10, -2);
        w.string(12, path);
      });
      w.message(2, () => {
        w.int64(1, -1n);
        w.bytes(2, Buffer.from(path, "utf8"));
        w.uint32(3, 1);
      });
      w.message(20, () => {
        w.message(8, () => {
          w.bool(1, true);
          w.uint64(3, 0xffffffffffffffffn);
          w.uint64(4, 0x00000000b80d0120n);
          w.string(5, "11");
        });
        w.uint32(9, 0xbb01);
      });
    });
    const { frames, damages } = frameBuffer(Buffer.from(w.view()));
    assert.equal(damages.length, 0);
    assert.equal(frames.length, 1);
    const msg = decodeEventMessage((frames[0] as { payload: Buffer }).payload);
    assert.equal(msg.header.version, 4);
    assert.equal(msg.header.timestamp, 133500000000000000n);
    assert.equal(msg.header.process_guid, -3051024288762533596n);
    assert.equal(msg.header.process_pid, -2);
    assert.equal(msg.header.process_path, path);
    assert.equal(msg.strings[0]?.guid, -1n);
    assert.equal(Buffer.from(msg.strings[0]?.utf8string ?? []).toString("utf8"), path);
    const remote = msg.networkv2?.remoteIpAddress;
    assert.equal(remote?.bIsIpv6, true);
    assert.equal(remote?.ipv6Low, 0xffffffffffffffffn);
    assert.equal(remote?.ipv6High, 0xb80d0120n);
    assert.equal(remote?.ipv6Scope, "11");
    assert.equal(msg.networkv2?.remotePort, 0xbb01);
  });

  it("writes canonical varints (negative int32 as 10 bytes) and a little-endian record length", () => {
    const w = new ProtoWriter();
    w.record(() => w.int32(1, -1));
    assert.equal(w.view().toString("hex"), "0b000000" + "08ffffffffffffffffff01");
    w.reset();
    w.int64(2, 300n);
    w.uint32(3, 0xffffffff);
    assert.equal(w.view().toString("hex"), "10ac02" + "18ffffffff0f");
  });
});

describe("archive generator helpers", () => {
  it("names files like the server (UTC receive time with milliseconds)", () => {
    assert.equal(archiveFileName(Date.UTC(2013, 1, 8, 17, 12, 24, 277)), "2013-02-08_17-12-24-277.log");
  });

  it("has a seeded PRNG: same seed, same sequence", () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const seqA = [a.uint32(), a.uint32(), a.uint32()];
    assert.deepEqual(seqA, [b.uint32(), b.uint32(), b.uint32()]);
    assert.notDeepEqual(seqA, [c.uint32(), c.uint32(), c.uint32()]);
  });

  it("writes exactly the requested number of records, in files of at most a few thousand", async () => {
    const out = tempDir();
    const sizes: number[] = [];
    const result = await generateArchive({
      out,
      events: 777,
      sensors: 2,
      seed: 3,
      onFile: (_p, n) => sizes.push(n),
    });
    assert.equal(result.events, 777);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      777,
    );
    let records = 0;
    for (const [name, bytes] of archiveFiles(out)) {
      assert.match(name, /^\d+[/\\]\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-\d{3}\.log$/);
      const { frames, damages } = frameBuffer(bytes);
      assert.equal(damages.length, 0);
      for (const f of frames)
        assert.equal(decodeEventMessage(f.payload).env, undefined, "archives carry no env");
      records += frames.length;
    }
    assert.equal(records, 777);
  });
});

describe("cbexport generate", () => {
  const dirs = { a: "", same: "", other: "" };
  let docs: Record<string, unknown>[] = [];
  let exportResult = { code: 0 as number | null, stdout: "", stderr: "" };

  let root = "";

  before(async () => {
    root = tempDir();
    dirs.a = join(root, "a");
    dirs.same = join(root, "same");
    dirs.other = join(root, "other");
    for (const [dir, seed] of [
      [dirs.a, "11"],
      [dirs.same, "11"],
      [dirs.other, "12"],
    ] as const) {
      const r = await runCli([
        "generate",
        "--out",
        dir,
        "--events",
        "5000",
        "--sensors",
        "3",
        "--seed",
        seed,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /generated \d+ file\(s\), 5000 event\(s\), \d+ bytes/);
    }
    exportResult = await runCli(["export", "--server-name", "cbserver", dirs.a]);
    docs = exportResult.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it("exports with exit 0 and no damage", () => {
    assert.equal(exportResult.code, 0, exportResult.stderr);
    assert.doesNotMatch(exportResult.stderr, /damaged|cannot format/);
    assert.match(exportResult.stderr, /5000 record\(s\), 5000 event\(s\) exported/);
    assert.equal(docs.length, 5000);
  });

  it("contains every event kind", () => {
    const types = new Set(docs.map((d) => d.type));
    for (const kind of [
      "procstart",
      "procend",
      "moduleload",
      "filemod",
      "regmod",
      "netconn",
      "childproc",
      "crossprocopen",
      "remotethread",
      "module",
      "tamper",
      "processblock",
      "emetmitigation",
    ]) {
      assert.ok(types.has(`ingress.event.${kind}`), kind);
    }
    const netconn = docs.filter((d) => d.type === "ingress.event.netconn");
    assert.ok(
      netconn.some((d) => "ipv4" in d),
      "netconn v1",
    );
    assert.ok(
      netconn.some((d) => "proxy" in d),
      "netconn v2",
    );
  });

  it("has roughly the mix of a real sensor", () => {
    const share = (type: string) => docs.filter((d) => d.type === type).length / docs.length;
    assert.ok(Math.abs(share("ingress.event.moduleload") - 0.4) < 0.05);
    assert.ok(Math.abs(share("ingress.event.filemod") - 0.28) < 0.05);
    assert.ok(Math.abs(share("ingress.event.regmod") - 0.14) < 0.04);
  });

  it("groups events by process GUID, each process introduced by its start", () => {
    const started = new Set(
      docs.filter((d) => d.type === "ingress.event.procstart").map((d) => d.process_guid as string),
    );
    const perGuid = new Map<string, number>();
    for (const d of docs) {
      const guid = d.process_guid;
      if (typeof guid === "string") perGuid.set(guid, (perGuid.get(guid) ?? 0) + 1);
    }
    const busy = [...perGuid].filter(([guid, n]) => started.has(guid) && n >= 10);
    assert.ok(busy.length >= 5, `only ${busy.length} started processes with 10+ events`);
    for (const [guid] of busy)
      assert.match(guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Nothing happens in a process before its start record.
    const seen = new Set<string>();
    for (const d of docs) {
      if (d.type === "ingress.event.procstart") seen.add(d.process_guid as string);
      // A blocked process's GUID names the killed process, which never started in the archive.
      else if (typeof d.process_guid === "string" && d.type !== "ingress.event.processblock")
        assert.ok(seen.has(d.process_guid), `${d.type} of ${d.process_guid} before its procstart`);
    }
    const ended = docs.filter((d) => d.type === "ingress.event.procend").map((d) => d.process_guid as string);
    assert.ok(ended.length > 0 && ended.every((g) => started.has(g)));
  });

  it("writes IPv6 peers in netconn v2 events", () => {
    const v6 = docs.filter((d) => d.type === "ingress.event.netconn" && String(d.remote_ip).includes(":"));
    assert.ok(v6.length > 0);
  });

  it("keeps non-ASCII paths intact", () => {
    const paths = docs.map((d) => String(d.path ?? ""));
    assert.ok(paths.some((p) => p.startsWith("c:\\users\\zoë\\")));
    assert.ok(paths.some((p) => p.includes("ファイル")));
    assert.ok(!exportResult.stdout.includes("\\ufffd") && !exportResult.stdout.includes("\ufffd"));
  });

  it("gives byte-identical files for the same seed and different ones for another", () => {
    const a = archiveFiles(dirs.a);
    const same = archiveFiles(dirs.same);
    assert.deepEqual([...a.keys()].sort(), [...same.keys()].sort());
    for (const [name, bytes] of a) assert.ok(bytes.equals(same.get(name) as Buffer), name);
    const other = archiveFiles(dirs.other);
    const identical = [...other].filter(([name, bytes]) => a.get(name)?.equals(bytes) === true);
    assert.equal(identical.length, 0);
  });

  it("rejects usage errors with exit 2", async () => {
    const missing = await runCli(["generate", "--out", join(tempDir(), "x")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--events N is required/);
    const bad = await runCli(["generate", "--out", join(tempDir(), "x"), "--events", "ten"]);
    assert.equal(bad.code, 2);
    const full = tempDir();
    mkdirSync(join(full, "12"));
    writeFileSync(join(full, "12", "old.log"), "");
    const notEmpty = await runCli(["generate", "--out", full, "--events", "10"]);
    assert.equal(notEmpty.code, 2);
    assert.match(notEmpty.stderr, /not empty/);
  });

  it("documents itself", async () => {
    const help = await runCli(["help", "generate"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Example:\n {2}cbexport generate --out/);
  });
});
