import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonParseError, MAX_DEPTH, parseJson } from "../../src/decode/json-parse.js";
import { type Doc, RawNumber, type Value } from "../../src/formats/document.js";
import { documentJson, goJson } from "../../src/formats/json-text.js";

function parseDoc(text: string): Doc {
  const value = parseJson(text);
  assert.ok(
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof RawNumber),
  );
  return value as Doc;
}

function numberText(value: Value): string {
  assert.ok(value instanceof RawNumber, `expected a RawNumber, got ${String(value)}`);
  return value.text;
}

describe("parseJson values", () => {
  it("builds objects in insertion order, arrays, strings, literals", () => {
    const doc = parseDoc(' { "b" : [ true , false , null ] , "a" : "x" , "c" : { } , "d" : [ ] }\n');
    assert.deepEqual(Object.keys(doc), ["b", "a", "c", "d"]);
    assert.deepEqual(doc.b, [true, false, null]);
    assert.equal(doc.a, "x");
    assert.deepEqual(doc.c, {});
    assert.deepEqual(doc.d, []);
  });

  it("keeps numbers as their exact text", () => {
    const doc = parseDoc(
      '{"t":1447698003.24,"big":12345678901234567890123,"neg":-9223372036854775808,"z":-0,"e":1.5E-3,"x":1e400}',
    );
    assert.equal(numberText(doc.t), "1447698003.24");
    assert.equal(numberText(doc.big), "12345678901234567890123");
    assert.equal(numberText(doc.neg), "-9223372036854775808");
    assert.equal(numberText(doc.z), "-0");
    assert.equal(numberText(doc.e), "1.5E-3");
    assert.equal(numberText(doc.x), "1e400");
    assert.equal(
      documentJson(doc, false),
      '{"t":1447698003.24,"big":12345678901234567890123,"neg":-9223372036854775808,"z":-0,"e":1.5E-3,"x":1e400}',
    );
  });

  it("parses a top-level scalar", () => {
    assert.equal(numberText(parseJson(" 42 ")), "42");
    assert.equal(parseJson('"s"'), "s");
    assert.equal(parseJson("null"), null);
  });

  it("decodes every escape", () => {
    assert.equal(parseJson('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC"'), '"\\/\b\f\n\r\t\u00e9\u20ac');
  });

  it("joins a surrogate pair and turns an unpaired surrogate escape into a real U+FFFD, as Go does", () => {
    assert.equal(parseJson('"\\ud83d\\ude00"'), "\u{1f600}");
    assert.equal(parseJson('"\\ud800x\\udc00\\ud800\\u0041"'), "\ufffdx\ufffd\ufffdA");
    // A real U+FFFD is written raw by the Go encoder, not as the \ufffd escape used for invalid bytes.
    assert.equal(goJson(parseJson('"\\ud800"'), true), '"\ufffd"');
  });

  it("decodes UTF-8, one U+FFFD per invalid byte (Go), not per maximal subpart", () => {
    assert.equal(parseJson(Buffer.from('"h\u00e9llo \u{1f600}"', "utf8")), "h\u00e9llo \u{1f600}");
    const invalid = Buffer.from([0x22, 0x61, 0xe2, 0x82, 0x62, 0xff, 0x63, 0x22]);
    assert.equal(parseJson(invalid), "a\ufffd\ufffdb\ufffdc");
  });

  it("gives the same result for a string and its UTF-8 bytes", () => {
    const text = '{"k":["\u00fc",1.0,{"n":null}]}';
    assert.deepEqual(parseJson(text), parseJson(Buffer.from(text, "utf8")));
  });

  it("lets a later duplicate key win", () => {
    assert.equal(numberText(parseDoc('{"a":1,"a":2}').a), "2");
  });

  it("stores __proto__ as an ordinary key", () => {
    const doc = parseDoc('{"__proto__":{"polluted":true},"a":1}');
    assert.equal(Object.getPrototypeOf(doc), Object.prototype);
    assert.deepEqual(Object.keys(doc), ["__proto__", "a"]);
    assert.equal(documentJson(doc, true), '{"__proto__":{"polluted":true},"a":1}');
  });

  it(`accepts ${MAX_DEPTH} levels of nesting and rejects one more`, () => {
    const ok = "[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH);
    assert.ok(Array.isArray(parseJson(ok)));
    const deep = "[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1);
    assert.throws(() => parseJson(deep), { name: "JsonParseError", position: MAX_DEPTH });
  });
});

describe("parseJson errors", () => {
  const cases: [string, string, number][] = [
    ["", "unexpected end of input", 0],
    ["   ", "unexpected end of input", 3],
    ['{"a":1', "unexpected end of input", 6],
    ['{"a":}', "unexpected character '}'", 5],
    ['{"a":1,}', "unexpected character '}'", 7],
    ["[1,]", "unexpected character ']'", 3],
    ["[1 2]", "unexpected character '2'", 3],
    ['{"a" 1}', "unexpected character '1'", 5],
    ["{1:2}", "unexpected character '1'", 1],
    ["01", "unexpected data after the JSON value", 1],
    ['{"a":1} x', "unexpected data after the JSON value", 8],
    ["-", "unexpected end of input", 1],
    ["1.", "unexpected end of input", 2],
    ["1.e5", "unexpected character 'e'", 2],
    ["+1", "unexpected character '+'", 0],
    [".5", "unexpected character '.'", 0],
    ["NaN", "unexpected character 'N'", 0],
    ["tru", "unexpected end of input", 3],
    ["nul!", "unexpected character '!'", 3],
    ['"abc', "unterminated string", 0],
    ['"a\u0001"', "control character in string", 2],
    ['"\\x"', "invalid escape in string", 1],
    ['"\\u12g4"', "invalid \\u escape in string", 1],
    ["\ufeff{}", "unexpected character byte 0xef", 0],
  ];
  for (const [input, message, position] of cases) {
    it(`rejects ${JSON.stringify(input)} at byte ${position}`, () => {
      assert.throws(
        () => parseJson(input),
        (err: unknown) =>
          err instanceof JsonParseError &&
          err.position === position &&
          err.message === `${message} at byte ${position}`,
      );
    });
  }
});
