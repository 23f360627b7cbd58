// Value conversions shared by every format (JSON-OUTPUT.md §2.4–2.7): GUIDs, FILETIME, hashes, addresses, ports.

const FILETIME_UNIX_OFFSET_MS = 11644473600000n;
const UINT64 = 64;

/** Process GUID text from sensor id, pid and FILETIME create time (§2.4); negatives as two's complement. */
export function processGuid(sensorId: number, pid: number, createTime: bigint): string {
  const ct = BigInt.asUintN(UINT64, createTime);
  const hi = Number(ct >> 32n);
  const lo = Number(ct & 0xffffffffn);
  const p = pid >>> 0;
  return `${hex32(sensorId >>> 0, 8)}-${hex32(p >>> 16, 4)}-${hex32(p & 0xffff, 4)}-${hex32(hi >>> 16, 4)}-${hex32(
    hi & 0xffff,
    4,
  )}${hex32(lo, 8)}`;
}

function hex32(value: number, width: number): string {
  return value.toString(16).padStart(width, "0");
}

/** FILETIME → Unix seconds, integer form: unsigned 64-bit truncating arithmetic as the forwarder does (§2.5). */
export function filetimeToUnix(ft: bigint): number | bigint {
  if (ft === 0n) return 0;
  const ms = BigInt.asUintN(UINT64, ft) / 10000n;
  const seconds = BigInt.asUintN(UINT64, ms - FILETIME_UNIX_OFFSET_MS) / 1000n;
  return seconds <= 9007199254740991n ? Number(seconds) : seconds;
}

/** FILETIME → Unix seconds as a double, each step rounded like the forwarder's float64 code (§2.5). */
export function filetimeToUnixFloat(ft: bigint): number {
  if (ft === 0n) return 0;
  return (Number(ft) / 10000 - 11644473600000) / 1000;
}

/** Upper-case hex of raw bytes; "" when absent. */
export function hexUpper(bytes: Uint8Array | undefined): string {
  if (bytes === undefined || bytes.length === 0) return "";
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex").toUpperCase();
}

/** IPv4 stored little-endian in a uint32 (§2.6): 1679195466 → 74.125.22.100. */
export function ipv4FromLittleEndian(value: number): string {
  const v = value >>> 0;
  return `${v & 0xff}.${(v >>> 8) & 0xff}.${(v >>> 16) & 0xff}.${v >>> 24}`;
}

/** Port in network byte order in the low 16 bits (§2.6): 47873 → 443. */
export function swapPort(value: number): number {
  return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
}

/** IPv6 text of a CbIpAddr (§2.7), with Go's canonical form; IPv4 when not flagged IPv6. */
export function ipAddrText(
  addr:
    | { bIsIpv6?: boolean; ipv4Address?: number; ipv6High?: bigint; ipv6Low?: bigint; ipv6Scope?: string }
    | undefined,
): string {
  if (addr === undefined) return "0.0.0.0";
  if (!addr.bIsIpv6) return ipv4FromLittleEndian(addr.ipv4Address ?? 0);
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64LE(BigInt.asUintN(UINT64, addr.ipv6High ?? 0n), 0);
  bytes.writeBigUInt64LE(BigInt.asUintN(UINT64, addr.ipv6Low ?? 0n), 8);
  const text = ipv6Text(bytes);
  return addr.ipv6Scope !== undefined ? `${text}%${addr.ipv6Scope}` : text;
}

/** The first longest run of two or more zero groups of an IPv6 address: [start, length], or [-1, 0]. */
export function zeroRun(groups: ArrayLike<number>): [number, number] {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  return [bestStart, bestLen];
}

/** Go's net.IP.String for 16 bytes: IPv4-mapped as dotted quad, longest zero run (≥ 2 groups) as "::". */
export function ipv6Text(bytes: Uint8Array): string {
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[i] !== 0) mapped = false;
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  const [bestStart, bestLen] = zeroRun(groups);
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(":");
  const head = groups
    .slice(0, bestStart)
    .map((g) => g.toString(16))
    .join(":");
  const tail = groups
    .slice(bestStart + bestLen)
    .map((g) => g.toString(16))
    .join(":");
  return `${head}::${tail}`;
}
