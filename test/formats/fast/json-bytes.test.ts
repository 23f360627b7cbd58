import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeText } from "../../../src/decode/text.js";
import { ipv6Text, processGuid } from "../../../src/decode/values.js";
import { JsonBytes } from "../../../src/formats/fast/json-bytes.js";
import { goQuote } from "../../../src/formats/json-text.js";
import { Rng } from "../../../src/generate/archive-generator.js";

function written(write: (w: JsonBytes) => void): string {
  const w = new JsonBytes(8);
  w.reserve(256);
  write(w);
  return w.buf.toString("utf8", 0, w.pos);
}

const EDGES = [
  0n,
  1n,
  9n,
  10n,
  99n,
  100n,
  2147483647n,
  2147483648n,
  4294967295n,
  4294967296n,
  9007199254740991n,
  9007199254740992n,
  9007199254740993n,
  999999999999999999n,
  1000000000000000000n,
  9223372036854775807n,
  9223372036854775808n,
  18446744073709551615n,
];

describe("JsonBytes", () => {
  it("64-bit integers, signed and unsigned, exact over the whole range", () => {
    const r = new Rng(3);
    const values = [...EDGES, ...EDGES.map((v) => -v), ...Array.from({ length: 20000 }, () => r.int64())];
    for (const value of values) {
      const u = BigInt.asUintN(64, value);
      const lo = Number(u & 0xffffffffn);
      const hi = Number(u >> 32n);
      assert.equal(
        written((w) => w.int64(lo, hi, true)),
        String(BigInt.asIntN(64, value)),
      );
      assert.equal(
        written((w) => w.int64(lo, hi, false)),
        String(u),
      );
    }
  });

  it("IPv6 addresses exactly as ipv6Text writes them: zero runs, mapped IPv4, every group width", () => {
    const r = new Rng(5);
    const cases: Buffer[] = [
      Buffer.alloc(16),
      Buffer.from("00000000000000000000ffff0a000001", "hex"),
      Buffer.from("00000000000000000000fffe0a000001", "hex"),
      Buffer.from("20010db8000000000001000000000001", "hex"),
      Buffer.from("20010db8000000010000000000000001", "hex"),
      Buffer.from("fe800000000000000000000000000001", "hex"),
      Buffer.from("00000000000000000000000000000001", "hex"),
      Buffer.from("0001000200030004000500060007ffff", "hex"),
      Buffer.from("0000000100000000000100000000f00f", "hex"),
    ];
    for (let n = 0; n < 5000; n++) {
      const bytes = Buffer.alloc(16);
      // Mostly zero groups, so that runs of every length and place occur.
      for (let g = 0; g < 8; g++)
        if (r.int(3) === 0) bytes.writeUInt16BE(r.int(1 << (4 * (1 + r.int(4)))), 2 * g);
      cases.push(bytes);
    }
    for (const bytes of cases) {
      const words = [0, 4, 8, 12].map((at) => bytes.readInt32LE(at));
      assert.equal(
        written((w) => w.ipv6(words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, words[3] ?? 0)),
        ipv6Text(bytes),
        bytes.toString("hex"),
      );
    }
  });

  it("safe integers", () => {
    for (const n of [
      0,
      7,
      10,
      99,
      100,
      12345,
      2147483647,
      2147483648,
      -1,
      -2147483648,
      2 ** 53 - 1,
      -(2 ** 40),
    ])
      assert.equal(
        written((w) => w.num(n)),
        String(n),
      );
  });

  it("text: Go's escaping of every byte, and of every pair of bytes", () => {
    const check = (bytes: Buffer) =>
      assert.equal(
        written((w) => w.text(bytes, 0, bytes.length)),
        goQuote(decodeText(bytes, 0, bytes.length)),
        bytes.toString("hex"),
      );
    for (let a = 0; a < 256; a++) {
      check(Buffer.of(a));
      for (let b = 0; b < 256; b++) check(Buffer.of(a, b));
    }
  });

  it("text: random sequences of lead, continuation and special bytes", () => {
    const r = new Rng(11);
    const alphabet = [
      0x41, 0x5c, 0x22, 0x3c, 0x26, 0x0a, 0x08, 0x80, 0xa8, 0xbf, 0x9f, 0xc2, 0xe0, 0xe2, 0xed, 0xef, 0xf0,
      0xf4, 0xff,
    ];
    for (let i = 0; i < 50000; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + r.int(9) }, () => r.pick(alphabet)));
      // Also at an offset inside a larger buffer, as record fields are.
      const framed = Buffer.concat([Buffer.of(0xe2, 0x80), bytes, Buffer.of(0xa8)]);
      assert.equal(
        written((w) => w.text(framed, 2, 2 + bytes.length)),
        goQuote(decodeText(bytes, 0, bytes.length)),
        bytes.toString("hex"),
      );
    }
  });

  it("process GUIDs and hex", () => {
    const r = new Rng(5);
    for (let i = 0; i < 5000; i++) {
      const sensor = r.uint32() | 0;
      const pid = r.uint32() | 0;
      const ct = r.int64();
      const u = BigInt.asUintN(64, ct);
      assert.equal(
        written((w) => w.guid(sensor, pid, Number(u & 0xffffffffn), Number(u >> 32n))),
        processGuid(sensor, pid, ct),
      );
    }
    const bytes = r.bytes(32);
    assert.equal(
      written((w) => w.hexUpper(bytes, 0, 32)),
      `"${bytes.toString("hex").toUpperCase()}"`,
    );
  });

  it("grows, keeping what was written; take() hands it over", () => {
    const w = new JsonBytes(4);
    for (let i = 0; i < 1000; i++) {
      w.reserve(16);
      w.num(i);
      w.byte(0x2c);
    }
    w.line("zoë");
    const text = w.take().toString("utf8");
    assert.equal(text, `${Array.from({ length: 1000 }, (_, i) => `${i},`).join("")}zoë\n`);
    assert.equal(w.pos, 0);
  });
});
