// The document model every text format renders: an ordered object of JSON-like values.
// Mappers (raw events, bus notifications) build documents; encoders (JSON, LEEF, CSV, table) render them.

/** A time in float mode (`--time-float`): rendered as the shortest round-trip decimal. */
export class FloatValue {
  constructor(readonly value: number) {}
}

/** A number from a bus notification, kept as the exact text the server wrote (JSON-OUTPUT.md §5). */
export class RawNumber {
  constructor(readonly text: string) {}
}

/**
 * string · safe integer (number) · 64-bit integer (bigint) · boolean · null · float time · verbatim number ·
 * raw bytes (Buffer: base64 in JSON) · array · nested document.
 */
export type Value =
  | string
  | number
  | bigint
  | boolean
  | null
  | FloatValue
  | RawNumber
  | Buffer
  | Value[]
  | Doc;

export interface Doc {
  [key: string]: Value;
}

/** True for a nested document (a plain object), false for every other value. */
export function isDoc(value: Value): value is Doc {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof FloatValue) &&
    !(value instanceof RawNumber) &&
    !Buffer.isBuffer(value)
  );
}

/** Keys in byte order, as Go's map encoder writes them. */
export function sortedKeys(doc: Doc): string[] {
  return Object.keys(doc).sort(compareBytes);
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
