/**
 * Native backend: OpenSSL through `node:crypto` (Node ≥ 20.16, Bun, Deno). The module is fetched at
 * run time with `process.getBuiltinModule`, never imported, so bundles for browsers and edge runtimes
 * load without it. Keys are held as `KeyObject`s made once per Fernet key.
 * @module
 */
import type * as NodeCrypto from 'node:crypto';
import { type CryptoBackend, type KeyedCipher, createRandomPool, unpaddedLength } from './backend.js';

/** The `node:crypto` module's type. */
export type NodeCryptoModule = typeof NodeCrypto;

interface ProcessLike {
  getBuiltinModule?: (id: string) => unknown;
}

/** `node:crypto` when the runtime offers `process.getBuiltinModule`, else `undefined`. */
export function findNodeCrypto(): NodeCryptoModule | undefined {
  const process = (globalThis as { process?: ProcessLike }).process;
  try {
    return process?.getBuiltinModule?.('node:crypto') as NodeCryptoModule | undefined;
  } catch {
    return undefined;
  }
}

/** A plain `Uint8Array` over a Buffer's bytes (no copy), so both backends return the same type. */
function plain(buffer: Uint8Array, length = buffer.length): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

function keyedNative(crypto: NodeCryptoModule, signingKey: Uint8Array, encryptionKey: Uint8Array): KeyedCipher {
  const macKey = crypto.createSecretKey(signingKey);
  const aesKey = crypto.createSecretKey(encryptionKey);
  const mac = (data: Uint8Array) => crypto.createHmac('sha256', macKey).update(data).digest();

  return {
    macInto(data, out) {
      out.set(mac(data));
    },

    verifyMac(data, tag) {
      const expected = mac(data);
      return tag.length === expected.length && crypto.timingSafeEqual(expected, tag);
    },

    encryptInto(iv, plaintext, out) {
      const cipher = crypto.createCipheriv('aes-128-cbc', aesKey, iv);
      const body = cipher.update(plaintext);
      out.set(body);
      out.set(cipher.final(), body.length);
    },

    decrypt(iv, ciphertext) {
      if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) return undefined;
      // Unpadded here rather than by OpenSSL: one output buffer, no copy, no exception on bad padding.
      const decipher = crypto.createDecipheriv('aes-128-cbc', aesKey, iv).setAutoPadding(false);
      const padded = decipher.update(ciphertext);
      decipher.final();
      const length = unpaddedLength(padded);
      return length < 0 ? undefined : plain(padded, length);
    },
  };
}

/** The node:crypto backend over the given module (see `findNodeCrypto`). */
export function createNativeBackend(crypto: NodeCryptoModule): CryptoBackend {
  const takeRandom = createRandomPool((pool) => crypto.randomFillSync(pool));
  return {
    name: 'native',
    randomBytes: (length) => crypto.randomFillSync(new Uint8Array(length)),
    randomIv: () => takeRandom(16),
    sha256: (data) => plain(crypto.createHash('sha256').update(data).digest()),
    hmacSha256: (key, data) => plain(crypto.createHmac('sha256', key).update(data).digest()),
    keyed: (signingKey, encryptionKey) => keyedNative(crypto, signingKey, encryptionKey),
  };
}
