/**
 * The small interface Fernet needs from a crypto implementation, and the choice between the two
 * implementations: `native` (node:crypto, found at run time) and `portable` (@noble, pure JS).
 * @module
 */

/** Name of a crypto backend. */
export type BackendName = 'native' | 'portable';

/** Which backend to use: `auto` (native when the runtime has node:crypto) or one by name. */
export type BackendChoice = 'auto' | BackendName;

/** AES-128-CBC + HMAC-SHA256 under one fixed key pair; per-key state (expanded keys) is cached. */
export interface KeyedCipher {
  /** Writes HMAC-SHA256(signing key, `data`) into `out` (32 bytes). */
  macInto(data: Uint8Array, out: Uint8Array): void;
  /** Whether `tag` is HMAC-SHA256(signing key, `data`), compared in constant time. */
  verifyMac(data: Uint8Array, tag: Uint8Array): boolean;
  /** AES-128-CBC with PKCS#7 padding of `plaintext`, written into `out` (`paddedLength` bytes). */
  encryptInto(iv: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void;
  /** AES-128-CBC decryption and unpadding, or `undefined` when the length or padding is wrong. */
  decrypt(iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
}

/** One implementation of the primitives Fernet (and the storage layer's key derivation) uses. */
export interface CryptoBackend {
  readonly name: BackendName;
  /** `length` cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
  /** 16 random bytes for an IV, served from a pooled buffer (IVs are public; the pool is cheap). */
  randomIv(): Uint8Array;
  /** SHA-256 digest of `data`. */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA256 of `data` under `key` (any length), for key derivation (see `hkdf.ts`). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-128-CBC + HMAC-SHA256 under a 16-byte signing key and a 16-byte encryption key. */
  keyed(signingKey: Uint8Array, encryptionKey: Uint8Array): KeyedCipher;
}

/** Bytes of AES-CBC output for `length` bytes of input: PKCS#7 always adds 1..16 bytes. */
export function paddedLength(length: number): number {
  return length + 16 - (length % 16);
}

/**
 * Length of the message inside PKCS#7-padded `block`, or -1 if the padding is wrong.
 * Reads the last 16 bytes without branching on their values.
 */
export function unpaddedLength(padded: Uint8Array): number {
  const len = padded.length;
  if (len === 0 || len % 16 !== 0) return -1;
  const pad = padded[len - 1]!;
  let bad = ((pad - 1) >>> 31) | ((16 - pad) >>> 31); // pad outside 1..16
  for (let i = 1; i <= 16; i++) {
    const inPad = (i - pad - 1) >>> 31; // 1 when i <= pad
    bad |= inPad & ((padded[len - i]! ^ pad) !== 0 ? 1 : 0);
  }
  return bad === 0 ? len - pad : -1;
}

/** Offers random bytes from a refilled buffer; each byte is handed out once, then zeroed. */
export function createRandomPool(fill: (buffer: Uint8Array) => void, size = 4096): (length: number) => Uint8Array {
  const pool = new Uint8Array(size);
  let used = size;
  return (length) => {
    if (used + length > size) {
      fill(pool);
      used = 0;
    }
    const out = pool.slice(used, used + length);
    pool.fill(0, used, used + length);
    used += length;
    return out;
  };
}
