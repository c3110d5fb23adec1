/**
 * Bytes handed to callers: they own their memory, never a view on a driver's pooled buffer (which may
 * hold another row's, another user's, data).
 * @module
 */

/**
 * Drivers hand out Buffers, often views on a pooled buffer that holds other rows' data (postgres.js,
 * Node's 8 KiB pool): callers get a plain Uint8Array that owns all of its memory, copied unless it
 * already does.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const { buffer } = bytes;
  if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || buffer.byteLength !== bytes.byteLength) return new Uint8Array(bytes);
  // A Buffer with memory of its own (better-sqlite3's): a plain view on it, no copy.
  return bytes.constructor === Uint8Array ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(buffer);
}
