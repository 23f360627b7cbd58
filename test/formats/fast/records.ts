// Record sources for the fast-path comparisons: the real corpus, and records rewritten without their `env`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { frameBuffer } from "../../../src/decode/framing.js";
import { CORPUS } from "../../helpers/fixtures.js";

export interface NamedRecord {
  name: string;
  payload: Buffer;
}

/** Every single raw event of corpus/raw/protobuf (8,143). */
export function corpusRecords(): NamedRecord[] {
  const root = join(CORPUS, "raw", "protobuf");
  const records: NamedRecord[] = [];
  for (const key of readdirSync(root).sort()) {
    for (const name of readdirSync(join(root, key)).sort()) {
      records.push({ name: `${key}/${name}`, payload: readFileSync(join(root, key, name)) });
    }
  }
  return records;
}

/** The 716 records of bus/bundleone.bin (no `env`). */
export function bundleRecords(): NamedRecord[] {
  const { frames } = frameBuffer(readFileSync(join(CORPUS, "bus", "bundleone.bin")));
  return frames.map((f, i) => ({ name: `bundleone.bin#${i}`, payload: f.payload }));
}

/** The record without its top-level field 13 (`env`): the sensor identity must then come from elsewhere. */
export function withoutEnv(payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < payload.length) {
    const start = pos;
    const [tag, afterTag] = varint(payload, pos);
    pos = afterTag;
    switch (tag & 7) {
      case 0:
        pos = varint(payload, pos)[1];
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const [len, afterLen] = varint(payload, pos);
        pos = afterLen + len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`wire type ${tag & 7} in a corpus record`);
    }
    if (tag >>> 3 !== 13) parts.push(payload.subarray(start, pos));
  }
  return Buffer.concat(parts);
}

function varint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
  }
}
