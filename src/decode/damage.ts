// Damage is data: every record that cannot be exported becomes one of these, with where it was found.

export type DamageKind =
  /** 1–3 bytes left where a length prefix was expected (ARCHIVE.md D2). Reading stops. */
  | "cut-length"
  /** A length was read but the input ends before that many bytes (D3). Reading stops. */
  | "truncated-record"
  /** A length larger than the record limit (D4). Reading stops. */
  | "length-beyond-file"
  /** A length with the top bit set, negative as int32 (D4). Reading stops. */
  | "negative-length"
  /** A record of length 0, which cannot hold the required header (D6). Reading continues. */
  | "zero-length"
  /** Valid protobuf without the required header or header.version (D6). Reading continues. */
  | "missing-header"
  /** Bytes that are not valid protobuf (D5). Reading continues. */
  | "garbage"
  /** A whole bus message that could not be used (bad zip, bad JSON, unknown content type). */
  | "bad-message";

export interface Damage {
  kind: DamageKind;
  /** File (or message name) the damage was found in, when known. */
  file?: string | undefined;
  /** Byte offset of the record's length prefix (or of the problem). */
  offset: number;
  /** Record index within the file, when known. */
  index?: number;
  /** The length the record said it had. */
  expected?: number;
  /** The bytes that were actually there. */
  available?: number;
  message: string;
}

/** Damage kinds after which the rest of the input is not read. */
export function stopsReading(kind: DamageKind): boolean {
  return (
    kind === "cut-length" ||
    kind === "truncated-record" ||
    kind === "length-beyond-file" ||
    kind === "negative-length"
  );
}

/** "file:offset: message" for logs and the closing summary. */
export function describeDamage(d: Damage): string {
  const where = `${d.file ?? "<input>"} at byte ${d.offset}${d.index !== undefined ? ` (record ${d.index})` : ""}`;
  return `${d.kind} in ${where}: ${d.message}`;
}
