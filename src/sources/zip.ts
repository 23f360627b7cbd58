// A small ZIP reader over a Buffer, for zip bundles from the bus (ARCHIVE.md §4, BUS.md §4.3).
// Dependency-free: the central directory is parsed here and members are inflated with node:zlib.
// Like Go's archive/zip (used by the forwarder), a bad archive structure fails as a whole, while a member
// that cannot be read is reported and skipped so the other members still come out.
import { inflateRawSync } from "node:zlib";

/** Largest inflated member accepted (zip bomb guard). */
export const DEFAULT_MAX_MEMBER_BYTES = 256 * 1024 * 1024;

const LOCAL_HEADER_SIG = 0x04034b50;
const CENTRAL_HEADER_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const ZIP64_END_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const END_LENGTH = 22;
const CENTRAL_HEADER_LENGTH = 46;
const LOCAL_HEADER_LENGTH = 30;
const MAX_COMMENT = 0xffff;

/** One central-directory entry. Offsets are absolute positions in the buffer. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipMember {
  name: string;
  data: Buffer;
}

export interface ZipMemberError {
  name: string;
  reason: string;
}

/** A member as it comes out of the archive: its bytes, or why they could not be read. */
export type ZipItem = ZipMember | ZipMemberError;

/** `notZip`: no end-of-central-directory record at all (the body is something else, not a broken ZIP). */
export type ZipListing = { ok: true; entries: ZipEntry[] } | { ok: false; notZip: boolean; reason: string };

export type ZipReadResult =
  | { ok: true; members: ZipMember[]; errors: ZipMemberError[] }
  | { ok: false; notZip: boolean; reason: string };

export interface ZipReadOptions {
  /** Members that inflate to more than this are refused. Default 256 MiB. */
  maxMemberBytes?: number;
}

/** A malformed archive structure; caught inside this module and turned into a result. */
class ZipFormatError extends Error {
  override name = "ZipFormatError";
}

/** True when the buffer starts like a ZIP archive (a local file header). */
export function hasZipSignature(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === LOCAL_HEADER_SIG;
}

/** Reads the end record and the central directory. */
export function listZip(buf: Buffer): ZipListing {
  const endOffset = findEndRecord(buf);
  if (endOffset < 0)
    return { ok: false, notZip: true, reason: "no end-of-central-directory record (not a ZIP)" };
  try {
    return { ok: true, entries: readCentralDirectory(buf, endOffset) };
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    return { ok: false, notZip: false, reason: err.message };
  }
}

/** Every member in directory order, inflated one at a time; directory entries are left out. */
export function* zipMembers(
  buf: Buffer,
  entries: ZipEntry[],
  options: ZipReadOptions = {},
): Generator<ZipItem> {
  for (const entry of entries) {
    if (entry.name.endsWith("/") && entry.size === 0) continue;
    try {
      yield { name: entry.name, data: extractZipEntry(buf, entry, options) };
    } catch (err) {
      if (!(err instanceof ZipFormatError)) throw err;
      yield { name: entry.name, reason: err.message };
    }
  }
}

/** Lists and extracts the whole archive. */
export function readZip(buf: Buffer, options: ZipReadOptions = {}): ZipReadResult {
  const listing = listZip(buf);
  if (!listing.ok) return listing;
  const members: ZipMember[] = [];
  const errors: ZipMemberError[] = [];
  for (const item of zipMembers(buf, listing.entries, options)) {
    if ("data" in item) members.push(item);
    else errors.push(item);
  }
  return { ok: true, members, errors };
}

/** One member's bytes, checked against the size and CRC-32 of its directory entry. Throws ZipFormatError. */
function extractZipEntry(buf: Buffer, entry: ZipEntry, options: ZipReadOptions): Buffer {
  const limit = options.maxMemberBytes ?? DEFAULT_MAX_MEMBER_BYTES;
  if (entry.flags & 1) throw new ZipFormatError("member is encrypted");
  if (entry.size > limit) {
    throw new ZipFormatError(`declared size ${entry.size} exceeds the ${limit}-byte member limit`);
  }
  const compressed = memberData(buf, entry);
  const data = decompress(compressed, entry.method, limit);
  if (data.length !== entry.size) {
    throw new ZipFormatError(`member holds ${data.length} bytes, the directory says ${entry.size}`);
  }
  if (crc32(data) !== entry.crc32) throw new ZipFormatError("CRC-32 mismatch (member data is damaged)");
  return data;
}

/** Locates a member's compressed bytes through its local header (whose own sizes may be zero). */
function memberData(buf: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_HEADER_LENGTH > buf.length)
    throw new ZipFormatError(`local header at byte ${at} is past the end`);
  if (buf.readUInt32LE(at) !== LOCAL_HEADER_SIG) throw new ZipFormatError(`no local header at byte ${at}`);
  const start = at + LOCAL_HEADER_LENGTH + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) {
    throw new ZipFormatError(
      `compressed data (${entry.compressedSize} bytes at byte ${start}) runs past the end`,
    );
  }
  return buf.subarray(start, end);
}

function decompress(compressed: Buffer, method: number, limit: number): Buffer {
  if (method === 0) return compressed;
  if (method !== 8) throw new ZipFormatError(`unsupported compression method ${method}`);
  try {
    return inflateRawSync(compressed, { maxOutputLength: limit });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      throw new ZipFormatError(`member inflates to more than the ${limit}-byte member limit (zip bomb?)`);
    }
    throw new ZipFormatError(`deflate data is damaged: ${(err as Error).message}`);
  }
}

/** Offset of the end-of-central-directory record, searching back over a possible comment; -1 if none. */
function findEndRecord(buf: Buffer): number {
  const lowest = Math.max(0, buf.length - END_LENGTH - MAX_COMMENT);
  for (let i = buf.length - END_LENGTH; i >= lowest; i--) {
    if (buf.readUInt32LE(i) !== END_SIG) continue;
    // A signature inside the comment would claim a comment running past the end.
    if (i + END_LENGTH + buf.readUInt16LE(i + 20) <= buf.length) return i;
  }
  return -1;
}

interface DirectoryLocation {
  count: number;
  size: number;
  offset: number;
  /** Where the end record (or the ZIP64 end record) starts: the directory must end before it. */
  endsBefore: number;
}

function locateDirectory(buf: Buffer, endOffset: number): DirectoryLocation {
  const count = buf.readUInt16LE(endOffset + 10);
  const size = buf.readUInt32LE(endOffset + 12);
  const offset = buf.readUInt32LE(endOffset + 16);
  if (count !== 0xffff && size !== 0xffffffff && offset !== 0xffffffff) {
    return { count, size, offset, endsBefore: endOffset };
  }
  return locateZip64Directory(buf, endOffset);
}

/** ZIP64: the end record's fields are saturated and the real values sit in the ZIP64 end record. */
function locateZip64Directory(buf: Buffer, endOffset: number): DirectoryLocation {
  const locator = endOffset - 20;
  if (locator < 0 || buf.readUInt32LE(locator) !== ZIP64_LOCATOR_SIG) {
    throw new ZipFormatError("ZIP64 end-of-central-directory locator is missing");
  }
  const at = safeNumber(buf.readBigUInt64LE(locator + 8), "ZIP64 end record offset");
  if (at + 56 > locator || buf.readUInt32LE(at) !== ZIP64_END_SIG) {
    throw new ZipFormatError("ZIP64 end-of-central-directory record is missing");
  }
  return {
    count: safeNumber(buf.readBigUInt64LE(at + 32), "entry count"),
    size: safeNumber(buf.readBigUInt64LE(at + 40), "directory size"),
    offset: safeNumber(buf.readBigUInt64LE(at + 48), "directory offset"),
    endsBefore: at,
  };
}

function readCentralDirectory(buf: Buffer, endOffset: number): ZipEntry[] {
  const dir = locateDirectory(buf, endOffset);
  // Data prepended to the archive shifts every offset by the same amount (Go's archive/zip allows this too).
  let base = dir.endsBefore - dir.size - dir.offset;
  if (base < 0) throw new ZipFormatError("central directory does not fit before its end record");
  // Some writers leave a gap after the directory: trust the stored offset when a directory header is there.
  if (base > 0 && dir.offset + 4 <= buf.length && buf.readUInt32LE(dir.offset) === CENTRAL_HEADER_SIG)
    base = 0;
  const entries: ZipEntry[] = [];
  let pos = base + dir.offset;
  const end = pos + dir.size;
  for (let i = 0; i < dir.count; i++) {
    const entry = readCentralHeader(buf, pos, end, base);
    entries.push(entry.entry);
    pos = entry.next;
  }
  return entries;
}

function readCentralHeader(
  buf: Buffer,
  pos: number,
  end: number,
  base: number,
): { entry: ZipEntry; next: number } {
  if (pos + CENTRAL_HEADER_LENGTH > end || buf.readUInt32LE(pos) !== CENTRAL_HEADER_SIG) {
    throw new ZipFormatError(`central directory entry at byte ${pos} is damaged`);
  }
  const nameLength = buf.readUInt16LE(pos + 28);
  const extraLength = buf.readUInt16LE(pos + 30);
  const next = pos + CENTRAL_HEADER_LENGTH + nameLength + extraLength + buf.readUInt16LE(pos + 32);
  if (next > end) throw new ZipFormatError(`central directory entry at byte ${pos} runs past the directory`);
  const nameStart = pos + CENTRAL_HEADER_LENGTH;
  const sizes = {
    size: buf.readUInt32LE(pos + 24),
    compressedSize: buf.readUInt32LE(pos + 20),
    offset: buf.readUInt32LE(pos + 42),
  };
  applyZip64Extra(buf.subarray(nameStart + nameLength, nameStart + nameLength + extraLength), sizes);
  const entry: ZipEntry = {
    name: buf.toString("utf8", nameStart, nameStart + nameLength),
    flags: buf.readUInt16LE(pos + 8),
    method: buf.readUInt16LE(pos + 10),
    crc32: buf.readUInt32LE(pos + 16),
    compressedSize: sizes.compressedSize,
    size: sizes.size,
    localHeaderOffset: base + sizes.offset,
  };
  return { entry, next };
}

/** Replaces saturated 32-bit sizes/offset with the 64-bit values of the ZIP64 extra field (id 1). */
function applyZip64Extra(
  extra: Buffer,
  sizes: { size: number; compressedSize: number; offset: number },
): void {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = extra.readUInt16LE(pos);
    const length = extra.readUInt16LE(pos + 2);
    const body = extra.subarray(pos + 4, pos + 4 + length);
    pos += 4 + length;
    if (id !== 1) continue;
    let at = 0;
    for (const key of ["size", "compressedSize", "offset"] as const) {
      if (sizes[key] !== 0xffffffff) continue;
      if (at + 8 > body.length) throw new ZipFormatError("ZIP64 extra field is too short");
      sizes[key] = safeNumber(body.readBigUInt64LE(at), key);
      at += 8;
    }
    return;
  }
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`${what} ${value} is out of range`);
  return Number(value);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE), as stored in ZIP headers. zlib.crc32 only exists from Node 20.15 on. */
export function crc32(data: Buffer): number {
  crcTable ??= makeCrcTable();
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}
