// ZIP helpers for tests: the BUS.md §4.3 test vector, and a minimal writer for archives with stored or
// deflated members, optionally damaged on purpose.
import { deflateRawSync } from "node:zlib";
import { crc32 } from "../../src/sources/zip.js";

export interface TestMember {
  name: string;
  data: Buffer;
  /** 0 = stored, 8 = deflate (default). */
  method?: 0 | 8;
  /** Size written to the headers instead of the real one (to test the inflate limit). */
  declaredSize?: number;
  /** Overwrites compressed bytes from this position on with garbage. */
  corruptAt?: number;
  /** Writes a wrong CRC-32. */
  badCrc?: boolean;
}

export function buildZip(members: TestMember[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const method = member.method ?? 8;
    const compressed = Buffer.from(method === 8 ? deflateRawSync(member.data) : member.data);
    if (member.corruptAt !== undefined) compressed.fill(0xff, member.corruptAt);
    const crc = member.badCrc ? (crc32(member.data) ^ 1) >>> 0 : crc32(member.data);
    const size = member.declaredSize ?? member.data.length;
    const name = Buffer.from(member.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** BUS.md §4.3 zip test vector (forwarder repository test/scripts/tests/zip/4.zip). */
export const ZIP_VECTOR = Buffer.from(
  [
    "UEsDBBQAAgAIADayMkpRfREkZAAAAGQAAAAsABEARXZlbnRMb2dfNDVmMjUzNWQuMS0tMjAxNy0w",
    "MS0xOS0wNC0xNy0xMS5sb2dVVA0AB2fpf1hn6X9YZ+l/WEtgYGDgMudgUfj8cfv1NQfnvGTU2Hrl",
    "wfFt67q/9TB6dCw4ePTytNkvGQNYogSuK+Rs3LPW/pdOk3Fg1XZ+ySQGI1WBAxfbbrBp3H3IZCDo",
    "wOjBkAHmFwD5FUDWD84GxoZJTABQSwECFwsUAAIACAA2sjJKUX0RJGQAAABkAAAALAAJAAAAAAAA",
    "AAAAAIAAAAAARXZlbnRMb2dfNDVmMjUzNWQuMS0tMjAxNy0wMS0xOS0wNC0xNy0xMS5sb2dVVAUA",
    "B2fpf1hQSwUGAAAAAAEAAQBjAAAAvwAAAAAA",
  ].join(""),
  "base64",
);
