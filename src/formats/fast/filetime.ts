// FILETIME (100 ns since 1601, as two 32-bit halves) to Unix time, exactly as decode/values.ts computes it from
// a bigint, without making one: the direct writers call these per event.

const TWO_32 = 4294967296;
const FILETIME_UNIX_OFFSET_MS = 11644473600000;

/** filetimeToUnixFloat: Number(ft) of the int64 (hi * 2^32 exact, one correctly rounded addition), in seconds. */
export function filetimeFloatSeconds(lo: number, hi: number): number {
  return ((hi * TWO_32 + (lo >>> 0)) / 10000 - FILETIME_UNIX_OFFSET_MS) / 1000;
}

/**
 * filetimeToUnix for times from 1970 on: unsigned ms = ft div 10000 (exact in two limbs, below 2^53), then
 * (ms - offset) div 1000. NaN before 1970, where the forwarder's unsigned arithmetic wraps around.
 */
export function filetimeSeconds(lo: number, hi: number): number {
  const h = hi >>> 0;
  const rh = h % 10000;
  const ms = ((h - rh) / 10000) * TWO_32 + floorDiv(rh * TWO_32 + (lo >>> 0), 10000);
  return ms >= FILETIME_UNIX_OFFSET_MS ? floorDiv(ms - FILETIME_UNIX_OFFSET_MS, 1000) : Number.NaN;
}

/** floor(x / d) for integers below 2^53, exact (corrects the rounded division). */
function floorDiv(x: number, d: number): number {
  let q = Math.floor(x / d);
  const r = x - q * d;
  if (r < 0) q--;
  else if (r >= d) q++;
  return q;
}
