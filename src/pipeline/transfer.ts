// Moving buffers between threads without copying them.

/**
 * A buffer whose whole ArrayBuffer may be transferred: small Buffers share Node's allocation pool, and
 * transferring the pool would break every other Buffer in it, so those are copied into memory of their own.
 */
export function transferable(buf: Buffer): Buffer {
  if (buf.byteOffset === 0 && buf.length === buf.buffer.byteLength && buf.length >= 4096) return buf;
  const own = Buffer.allocUnsafeSlow(buf.length);
  buf.copy(own);
  return own;
}
