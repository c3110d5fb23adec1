/**
 * HKDF-SHA256 (RFC 5869) over a backend's HMAC, split into its two steps so a caller that expands one
 * secret into many keys extracts once: the storage derives a key per row from one configured key.
 * @module
 */
import type { CryptoBackend } from './backend.js';

const HASH_LENGTH = 32;

/** HKDF-Extract: the pseudorandom key of `ikm` under `salt` (an empty salt means 32 zero bytes). */
export function hkdfExtract(backend: CryptoBackend, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return backend.hmacSha256(salt.length === 0 ? new Uint8Array(HASH_LENGTH) : salt, ikm);
}

/** HKDF-Expand: `length` (1..8160) bytes of output keying material from `prk` and `info`. */
export function hkdfExpand(backend: CryptoBackend, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 255 * HASH_LENGTH) throw new RangeError('HKDF length must be 1..8160');
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let block = 1, offset = 0; offset < length; block++, offset += HASH_LENGTH) {
    const input = new Uint8Array(previous.length + info.length + 1);
    input.set(previous);
    input.set(info, previous.length);
    input[input.length - 1] = block;
    previous = backend.hmacSha256(prk, input);
    out.set(previous.subarray(0, Math.min(HASH_LENGTH, length - offset)), offset);
  }
  return out;
}

/** HKDF-SHA256 in one call. */
export function hkdf(backend: CryptoBackend, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfExpand(backend, hkdfExtract(backend, salt, ikm), info, length);
}
