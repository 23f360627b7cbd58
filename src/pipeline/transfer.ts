// Moving buffers between threads without copying them.

/**
 * A view of `buf` whose ArrayBuffer may be transferred, and that ArrayBuffer. A Buffer with memory of its own
 * is moved whole, views included (the sender must not use any view of it afterwards); small Buffers share
 * Node's allocation pool, which must never be transferred, so those are copied.
 */
export function movable(buf: Buffer): { view: Uint8Array; buffer: ArrayBuffer } {
  if (buf.buffer.byteLength > Buffer.poolSize && !(buf.buffer instanceof SharedArrayBuffer)) {
    return { view: buf, buffer: buf.buffer as ArrayBuffer };
  }
  const own = new Uint8Array(buf.length);
  own.set(buf);
  return { view: own, buffer: own.buffer };
}

/** The Buffer of a view received from another thread. */
export function received(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.length);
}
