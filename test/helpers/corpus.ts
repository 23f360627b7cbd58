// Loading raw corpus messages by their expected-file key ("<routing-key>/<n>").
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRecord, type SensorEvent } from "../../src/decode/event.js";
import { CORPUS } from "./fixtures.js";

const listings = new Map<string, string[]>();

/** Path of raw/<kind>/<routing-key>/<n>.* (the extension varies: .protobuf, .emet.proto, .json, ...). */
export function rawPath(kind: "protobuf" | "json", key: string): string {
  const slash = key.lastIndexOf("/");
  const dir = join(CORPUS, "raw", kind, key.slice(0, slash));
  let names = listings.get(dir);
  if (names === undefined) {
    names = readdirSync(dir);
    listings.set(dir, names);
  }
  const prefix = `${key.slice(slash + 1)}.`;
  const name = names.find((n) => n.startsWith(prefix));
  if (name === undefined) throw new Error(`no corpus file for ${key}`);
  return join(dir, name);
}

/** Decodes the single raw event named by an expected-file key. */
export function rawEvent(key: string): SensorEvent {
  const result = decodeRecord(readFileSync(rawPath("protobuf", key)), { file: key });
  if (!result.ok) throw new Error(`${key}: ${result.damage.message}`);
  return result.event;
}
