// Expected texts were produced by CPython's json.dumps(..., sort_keys=True).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeText } from "../../src/decode/text.js";
import { FloatValue, RawNumber } from "../../src/formats/document.js";
import { InvalidTextError, pyFloat, pythonJson } from "../../src/formats/python-json.js";

describe("pythonJson: json.dumps(sort_keys=True) text", () => {
  it("uses Python's separators, escapes and key order (nested too)", () => {
    const doc = {
      b: 'a"\\/\n\r\t\b\f\u0000\u001f\u007f é€😀',
      a: [1, true, null, { z: 1, y: [] }],
      c: {},
    };
    assert.equal(
      pythonJson(doc),
      '{"a": [1, true, null, {"y": [], "z": 1}], "b": "a\\"\\\\/\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f \\u00e9\\u20ac\\ud83d\\ude00", "c": {}}',
    );
  });

  it("escapes every non-ASCII character as lower-case \\uXXXX, astral ones as surrogate pairs", () => {
    assert.equal(
      pythonJson({ s: "Microsoft® Windows® ©\uFFFD\u2028" }),
      '{"s": "Microsoft\\u00ae Windows\\u00ae \\u00a9\\ufffd\\u2028"}',
    );
    assert.equal(pythonJson({ s: "\u{10FFFF}" }), '{"s": "\\udbff\\udfff"}');
  });

  it("sorts keys by code point like Python (astral after U+FF00)", () => {
    const doc = { é: 1, "😀": 2, "\uff00": 3, Z: 4, a: 5 };
    assert.equal(pythonJson(doc), '{"Z": 4, "a": 5, "\\u00e9": 1, "\\uff00": 3, "\\ud83d\\ude00": 2}');
  });

  it("writes bigint exactly, beyond 2^53", () => {
    assert.equal(
      pythonJson({ n: 2n ** 63n - 1n, m: -(2n ** 63n) }),
      '{"m": -9223372036854775808, "n": 9223372036854775807}',
    );
    assert.equal(pythonJson({ n: 9007199254740993n }), '{"n": 9007199254740993}');
  });

  it("writes floats with Python's repr", () => {
    const cases: [number, string][] = [
      [1447697423.6713495, "1447697423.6713495"],
      [1447697423, "1447697423.0"],
      [1e16, "1e+16"],
      [1.5e-5, "1.5e-05"],
      [0.0001, "0.0001"],
      [0.5, "0.5"],
      [123456789012345.6, "123456789012345.6"],
      [1e22, "1e+22"],
      [-0, "-0.0"],
      [2.5e-300, "2.5e-300"],
      [12345678901234568, "1.2345678901234568e+16"],
      [Number.NaN, "NaN"],
      [Number.POSITIVE_INFINITY, "Infinity"],
    ];
    for (const [value, text] of cases) {
      assert.equal(pyFloat(value), text, String(value));
      assert.equal(pythonJson({ t: new FloatValue(value) }), `{"t": ${text}}`);
    }
  });

  it("keeps verbatim numbers and plain integers", () => {
    assert.equal(
      pythonJson({ t: new RawNumber("1447698003.24"), i: -0, j: 42 }),
      '{"i": 0, "j": 42, "t": 1447698003.24}',
    );
  });

  it("fails on text that was not valid UTF-8, like the original", () => {
    const bytes = Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xff, 0x63]);
    const text = decodeText(bytes, 0, bytes.length);
    assert.throws(() => pythonJson({ path: text }), InvalidTextError);
    assert.throws(() => pythonJson({ [text]: 1 }), /not valid UTF-8/);
    assert.throws(() => pythonJson({ nested: { a: ["\ud800"] } }), InvalidTextError);
    assert.throws(() => pythonJson({ a: "x\udfffy" }), InvalidTextError);
  });

  it("rejects raw bytes as Python's encoder does", () => {
    assert.throws(() => pythonJson({ b: Buffer.from("x") }), TypeError);
  });
});
