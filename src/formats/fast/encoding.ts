// The two renderings of the fast forwarder documents: JSON (JSON-OUTPUT.md) and LEEF (LEEF.md, `forwarder`
// profile). Both write a document's keys in the same sorted order (Go's map order; LEEF's sortedKeys), so the
// per-kind writers are shared: they take their constant bytes (keys, fixed values, quotes) from tables built once
// per encoding, and only the value primitives that differ (text escaping, quotes) look at the encoding.
import { encodeText } from "../../decode/text.js";
import { goQuote } from "../json-text.js";
import { escapeLeef } from "../leef.js";
import { Fragment } from "./json-bytes.js";

export class Encoding {
  /** `"` in JSON, nothing in LEEF (values are not quoted). */
  readonly quote: Fragment;
  /** An empty string value: `""` in JSON, nothing in LEEF. */
  readonly empty: Fragment;

  constructor(
    readonly leef: boolean,
    /** Index of this encoding's table in byEncoding's pairs. */
    readonly index: 0 | 1,
  ) {
    this.quote = this.of('"', "");
    this.empty = this.of('""', "");
  }

  /**
   * Constant bytes: `json` or `leef`. LEEF text is encoded as pipeline/line-buffer.ts encodes reference lines
   * (escaped invalid bytes restored as raw bytes).
   */
  of(json: string, leef: string): Fragment {
    return new Fragment(this.bytes(json, leef));
  }

  bytes(json: string, leef: string): Buffer {
    return this.leef ? encodeText(leef) : Buffer.from(json, "utf8");
  }

  /** A key before its value: `,"name":` / TAB `name=`. */
  key(name: string): Fragment {
    return this.of(`,"${name}":`, `\t${name}=`);
  }

  /** A key with a literal value (number, boolean): `,"name":true` / TAB `name=true`. */
  keyLiteral(name: string, literal: string): Fragment {
    return this.of(`,"${name}":${literal}`, `\t${name}=${literal}`);
  }

  /** A key with a constant string value: `,"name":"value"` / TAB `name=value` (escaped for each). */
  keyValue(name: string, value: string): Fragment {
    return this.of(`,"${name}":${goQuote(value)}`, `\t${name}=${escapeLeef(value)}`);
  }

  /**
   * A key with a string value up to its variable part, `prefix` included: `,"name":"prefix` / TAB `name=prefix`.
   * The caller writes the rest of the value and then `quote`.
   */
  keyText(name: string, prefix: string): Fragment {
    return this.of(`,"${name}":${goQuote(prefix).slice(0, -1)}`, `\t${name}=${escapeLeef(prefix)}`);
  }

  /** A string value: `"text"` / text, escaped for each. */
  text(value: string): Fragment {
    return new Fragment(this.textBytes(value));
  }

  textBytes(value: string): Buffer {
    return this.leef ? encodeText(escapeLeef(value)) : Buffer.from(goQuote(value), "utf8");
  }
}

export const JSON_ENCODING = new Encoding(false, 0);
export const LEEF_ENCODING = new Encoding(true, 1);

/** A table of constant bytes for each encoding, indexed by Encoding.index. */
export function byEncoding<T>(build: (e: Encoding) => T): readonly [T, T] {
  return [build(JSON_ENCODING), build(LEEF_ENCODING)];
}
