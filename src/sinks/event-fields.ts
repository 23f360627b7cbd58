// The few fields of an output line that broker outputs route by (message key, subject, routing key): the
// event's type, sensor id and host name. Sinks get lines, not events, so the fields are read back from the
// text by a scan that stops once it has them: a JSON document's top-level keys, or a LEEF line's header and
// attributes. No document is parsed whole; other formats (CSV, table) yield nothing.

export interface EventFields {
  /** `type`: "ingress.event.procstart", "watchlist.hit.process", "proc" (eventexporter profile), ... */
  type?: string | undefined;
  /** `sensor_id` as written (a decimal number). */
  sensorId?: string | undefined;
  /** `computer_name`. */
  computerName?: string | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WANTED: Record<string, keyof EventFields> = {
  type: "type",
  sensor_id: "sensorId",
  computer_name: "computerName",
};
const WANTED_COUNT = Object.keys(WANTED).length;

export function eventFields(line: Buffer): EventFields {
  if (line[0] === 0x7b) return jsonFields(line);
  if (line.subarray(0, 5).toString("latin1") === "LEEF:") return leefFields(line);
  return {};
}

/** Top-level string or number values of the wanted keys; nested objects and arrays are skipped. */
function jsonFields(doc: Buffer): EventFields {
  const fields: EventFields = {};
  let found = 0;
  let depth = 0;
  let i = 0;
  const n = doc.length;
  while (i < n && found < WANTED_COUNT) {
    const c = doc[i] as number;
    if (c === QUOTE) {
      const start = i;
      i = stringEnd(doc, i);
      if (depth !== 1) continue;
      let j = skipSpace(doc, i);
      // A string followed by ":" is a key; the same text as a value is followed by "," or "}".
      if (doc[j] !== 0x3a) continue;
      const field = WANTED[doc.toString("utf8", start + 1, i - 1)];
      if (field === undefined) continue;
      j = skipSpace(doc, j + 1);
      const value = scalar(doc, j);
      if (value === undefined) continue;
      fields[field] = value.text;
      found++;
      i = value.end;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    i++;
  }
  return fields;
}

/** A string (unescaped) or number at `at`; undefined for objects, arrays, true/false/null. */
function scalar(doc: Buffer, at: number): { text: string; end: number } | undefined {
  if (doc[at] === QUOTE) {
    const end = stringEnd(doc, at);
    const raw = doc.subarray(at, end);
    const text = raw.includes(BACKSLASH)
      ? (JSON.parse(raw.toString("utf8")) as string)
      : raw.toString("utf8", 1, raw.length - 1);
    return { text, end };
  }
  let end = at;
  while (end < doc.length && isNumberByte(doc[end] as number)) end++;
  return end > at ? { text: doc.toString("latin1", at, end), end } : undefined;
}

/** Index just past the string that starts (with its quote) at `at`. */
function stringEnd(doc: Buffer, at: number): number {
  let i = at + 1;
  while (i < doc.length && doc[i] !== QUOTE) i += doc[i] === BACKSLASH ? 2 : 1;
  return i + 1;
}

function skipSpace(doc: Buffer, i: number): number {
  while (i < doc.length && (doc[i] === 0x20 || doc[i] === 0x09 || doc[i] === 0x0a || doc[i] === 0x0d)) i++;
  return i;
}

function isNumberByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

/**
 * LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value... (LEEF.md): the event id is the type;
 * sensor_id and computer_name are attributes.
 */
function leefFields(line: Buffer): EventFields {
  const text = line.toString("utf8");
  let at = 0;
  for (let pipes = 0; pipes < 5; pipes++) {
    at = text.indexOf("|", at) + 1;
    if (at === 0) return {};
  }
  const headerEnd = text.lastIndexOf("|", at - 2);
  const fields: EventFields = { type: text.slice(headerEnd + 1, at - 1) };
  for (const pair of text.slice(at).split("\t")) {
    if (pair.startsWith("sensor_id=")) fields.sensorId = pair.slice(10);
    else if (pair.startsWith("computer_name=")) fields.computerName = pair.slice(14);
  }
  return fields;
}
