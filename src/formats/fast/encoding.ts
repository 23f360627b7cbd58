// Constant bytes of the fast forwarder documents in both encodings: JSON (JSON-OUTPUT.md) and LEEF (LEEF.md,
// `forwarder` profile). Both write a document's keys in the same sorted order (Go's map order; LEEF's
// sortedKeys), so the per-kind writers are shared: each of their fragments is built here once with its LEEF
// twin (`,"name":` ↔ TAB `name=`, `,"name":"value"` ↔ TAB `name=value`, `""` ↔ nothing), and the output object
// (JsonBytes or LeefBytes) picks the rendering. The JSON tables stay module constants, as fast as before LEEF.
import { encodeText } from "../../decode/text.js";
import { goQuote } from "../json-text.js";
import { escapeLeef } from "../leef.js";
import { Fragment } from "./json-bytes.js";

/**
 * Constant bytes: `json` for JSON, `leef` for LEEF. LEEF text is encoded as pipeline/line-buffer.ts encodes
 * reference lines (escaped invalid bytes restored as raw bytes).
 */
export function twin(json: string, leef: string): Fragment {
  return new Fragment(Buffer.from(json, "utf8"), encodeText(leef));
}

/** A key before its value: `,"name":` / TAB `name=`. */
export function key(name: string): Fragment {
  return twin(`,"${name}":`, `\t${name}=`);
}

/** A key with a literal value (number, boolean): `,"name":true` / TAB `name=true`. */
export function keyLiteral(name: string, literal: string): Fragment {
  return twin(`,"${name}":${literal}`, `\t${name}=${literal}`);
}

/** A key with a constant string value: `,"name":"value"` / TAB `name=value` (escaped for each). */
export function keyValue(name: string, value: string): Fragment {
  return twin(`,"${name}":${goQuote(value)}`, `\t${name}=${escapeLeef(value)}`);
}

/**
 * A key with a string value up to its variable part, `prefix` included: `,"name":"prefix` / TAB `name=prefix`.
 * The caller writes the rest of the value and then its quote.
 */
export function keyText(name: string, prefix: string): Fragment {
  return twin(`,"${name}":${goQuote(prefix).slice(0, -1)}`, `\t${name}=${escapeLeef(prefix)}`);
}

/** A string value: `"text"` / text, escaped for each. */
export function textValue(value: string): Fragment {
  return new Fragment(textBytes(value, false), textBytes(value, true));
}

/** The bytes of a string value in one encoding. */
export function textBytes(value: string, leef: boolean): Buffer {
  return leef ? encodeText(escapeLeef(value)) : Buffer.from(goQuote(value), "utf8");
}

/** An empty string value: `""` / nothing. */
export const EMPTY = twin('""', "");
