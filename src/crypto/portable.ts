/**
 * Portable backend: pure JavaScript from @noble/ciphers and @noble/hashes, for browsers, edge
 * runtimes and workers. AES round keys and the keyed HMAC state are computed once per key.
 * @module
 */
import { unsafe as aes } from '@noble/ciphers/aes.js';
import { swap32IfBE } from '@noble/ciphers/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { type CryptoBackend, type KeyedCipher, createRandomPool, unpaddedLength } from './backend.js';

/** Whether `a` and `b` hold the same bytes; time depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Little-endian 32-bit word of `bytes` at `offset` (noble's AES works on LE words). */
function wordLE(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
}

/** 32-bit words over `bytes`, which must start on a 4-byte boundary and be a whole number of blocks. */
function words(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
}

function keyedPortable(signingKey: Uint8Array, encryptionKey: Uint8Array): KeyedCipher {
  const macBase = hmac.create(sha256, signingKey);
  const macScratch = macBase.clone();
  const macOut = new Uint8Array(32);
  const encKey = aes.expandKeyLE(encryptionKey);
  const decKey = aes.expandKeyDecLE(encryptionKey);

  const macInto = (data: Uint8Array, out: Uint8Array): void => {
    macBase._cloneInto(macScratch);
    macScratch.update(data);
    macScratch.digestInto(out);
  };

  /** CBC over whole blocks of `block` in place; `block` is 4-byte aligned. */
  const encryptInPlace = (iv: Uint8Array, block: Uint8Array): void => {
    const w = swap32IfBE(words(block));
    let s0 = wordLE(iv, 0), s1 = wordLE(iv, 4), s2 = wordLE(iv, 8), s3 = wordLE(iv, 12);
    for (let i = 0; i < w.length; i += 4) {
      ({ s0, s1, s2, s3 } = aes.encrypt(encKey, s0 ^ w[i]!, s1 ^ w[i + 1]!, s2 ^ w[i + 2]!, s3 ^ w[i + 3]!));
      w[i] = s0;
      w[i + 1] = s1;
      w[i + 2] = s2;
      w[i + 3] = s3;
    }
    swap32IfBE(w);
  };

  return {
    macInto,

    verifyMac(data, tag) {
      macInto(data, macOut);
      return constantTimeEqual(macOut, tag);
    },

    encryptInto(iv, plaintext, out) {
      const aligned = out.byteOffset % 4 === 0;
      const block = aligned ? out : new Uint8Array(out.length);
      block.set(plaintext);
      const pad = out.length - plaintext.length;
      block.fill(pad, plaintext.length);
      encryptInPlace(iv, block);
      if (!aligned) out.set(block);
    },

    decrypt(iv, ciphertext) {
      if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) return undefined;
      const out = new Uint8Array(ciphertext); // a fresh, aligned copy, decrypted in place
      const w = swap32IfBE(words(out));
      let p0 = wordLE(iv, 0), p1 = wordLE(iv, 4), p2 = wordLE(iv, 8), p3 = wordLE(iv, 12);
      for (let i = 0; i < w.length; i += 4) {
        const c0 = w[i]!, c1 = w[i + 1]!, c2 = w[i + 2]!, c3 = w[i + 3]!;
        const { s0, s1, s2, s3 } = aes.decrypt(decKey, c0, c1, c2, c3);
        w[i] = s0 ^ p0;
        w[i + 1] = s1 ^ p1;
        w[i + 2] = s2 ^ p2;
        w[i + 3] = s3 ^ p3;
        p0 = c0, p1 = c1, p2 = c2, p3 = c3;
      }
      swap32IfBE(w);
      const length = unpaddedLength(out);
      return length < 0 ? undefined : out.subarray(0, length);
    },
  };
}

/**
 * The pure-JS backend. Randomness comes from `crypto.getRandomValues`.
 * @example
 * new Fernet(key, { backend: 'portable' });
 */
export const portableBackend: CryptoBackend = {
  name: 'portable',
  randomBytes: (length) => randomBytes(length),
  randomIv: /* @__PURE__ */ (() => {
    const take = createRandomPool((pool) => globalThis.crypto.getRandomValues(pool));
    return () => take(16);
  })(),
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  keyed: keyedPortable,
};
