import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeText, encodeText } from "../../src/decode/text.js";
import { goQuote } from "../../src/formats/json-text.js";

function text(bytes: number[]): string {
  const buf = Buffer.from(bytes);
  return decodeText(buf, 0, buf.length);
}

describe("text from protobuf bytes (Go's view of UTF-8)", () => {
  it("writes one \\ufffd per invalid byte in JSON, not one per maximal subpart (JSON-OUTPUT.md §1)", () => {
    assert.equal(goQuote(text([0x61, 0xe2, 0x82, 0x62, 0xff, 0x63])), '"a\\ufffd\\ufffdb\\ufffdc"');
  });

  it("writes a real U+FFFD and other valid non-ASCII text raw", () => {
    assert.equal(goQuote(text([0xef, 0xbf, 0xbd, 0xc2, 0xa9, 0xf0, 0x9f, 0x98, 0x80])), '"\ufffd©😀"');
  });

  it("rejects overlong forms and UTF-16 surrogates encoded in UTF-8", () => {
    assert.equal(goQuote(text([0xc0, 0xaf])), '"\\ufffd\\ufffd"');
    assert.equal(goQuote(text([0xed, 0xa0, 0x80])), '"\\ufffd\\ufffd\\ufffd"');
  });

  it("gives the original bytes back for LEEF, invalid ones included", () => {
    const bytes = [0x61, 0xe2, 0x82, 0x62, 0xff, 0x63, 0xc2, 0xa9];
    assert.deepEqual([...encodeText(text(bytes))], bytes);
    assert.deepEqual([...encodeText("plain ©")], [...Buffer.from("plain ©")]);
  });

  it("escapes what Go escapes", () => {
    assert.equal(
      goQuote('<a href="x">&\u2028\b\f\u0001\\'),
      '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u2028\\u0008\\u000c\\u0001\\\\"',
    );
  });
});
