/**
 * The two backends against each other and against node:crypto used directly: identical tokens for
 * the same key, IV and time, each decrypting the other's; AES-CBC, SHA-256 and HKDF (RFC 5869 case 1).
 */
import { createCipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import { hkdf } from '../../src/crypto/hkdf.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CryptoBackend, paddedLength, unpaddedLength } from '../../src/crypto/backend.js';
import { Fernet } from '../../src/crypto/index.js';
import { portableBackend } from '../../src/crypto/portable.js';
import { nativeBackend, resolveBackend } from '../../src/crypto/select-backend.js';
import { expectSameBytes } from './helpers.js';

const native = nativeBackend()!;
const backends: [string, CryptoBackend][] = [
  ['native', native],
  ['portable', portableBackend],
];

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

describe('backend selection', () => {
  it('finds node:crypto in Node and picks it for auto', () => {
    expect(native.name).toBe('native');
    expect(resolveBackend().name).toBe('native');
    expect(resolveBackend('auto')).toBe(native);
    expect(resolveBackend('portable')).toBe(portableBackend);
    expect(new Fernet(Fernet.generateKey()).backend).toBe('native');
    expect(new Fernet(Fernet.generateKey(), { backend: 'portable' }).backend).toBe('portable');
  });

  it('refuses an unknown backend name', () => {
    expect(() => resolveBackend('openssl' as never)).toThrow('"backend" expected "auto", "native" or "portable", got string');
  });
});

describe('native and portable Fernet agree', () => {
  const arbitraries = {
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    iv: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    now: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    data: fc.uint8Array({ maxLength: 3000 }),
  };

  it('same key, IV and time give the same token; each decrypts the other', () => {
    fc.assert(
      fc.property(arbitraries.key, arbitraries.iv, arbitraries.now, arbitraries.data, (key, iv, now, data) => {
        const a = new Fernet(key, { backend: 'native' });
        const b = new Fernet(key, { backend: 'portable' });
        const tokenA = a.encrypt(data, { now, iv });
        const tokenB = b.encrypt(data, { now, iv });
        expect(tokenB).toBe(tokenA);
        expectSameBytes(b.decrypt(a.encrypt(data)), data);
        expectSameBytes(a.decrypt(b.encrypt(data)), data);
        expect(b.extractTimestamp(tokenA)).toBe(now);
      }),
      { numRuns: 300 },
    );
  });

  it('agree on string data (UTF-8, including astral characters)', () => {
    fc.assert(
      fc.property(arbitraries.key, arbitraries.iv, fc.string({ unit: 'grapheme', maxLength: 200 }), (key, iv, text) => {
        const options = { now: 1, iv };
        const token = new Fernet(key, { backend: 'native' }).encrypt(text, options);
        expect(new Fernet(key, { backend: 'portable' }).encrypt(text, options)).toBe(token);
        expect(new TextDecoder().decode(new Fernet(key, { backend: 'portable' }).decrypt(token))).toBe(text);
      }),
      { numRuns: 100 },
    );
  });
});

describe.each(backends)('%s primitives against node:crypto', (_name, backend) => {
  it('AES-128-CBC with PKCS#7 equals OpenSSL, aligned or not, and decrypts back', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 7 }),
        (key, iv, plaintext, offset) => {
          const cipher = createCipheriv('aes-128-cbc', key, iv);
          const expected = Buffer.concat([cipher.update(plaintext), cipher.final()]);
          const keyed = backend.keyed(new Uint8Array(16), key);
          const out = new Uint8Array(offset + paddedLength(plaintext.length)).subarray(offset);
          keyed.encryptInto(iv, plaintext, out);
          expectSameBytes(out, expected);
          expectSameBytes(keyed.decrypt(iv, out)!, plaintext);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('decrypt returns undefined for bad padding or length, never throws', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const iv = new Uint8Array(16);
    const noPad = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    const withZeroPad = Buffer.concat([noPad.update(new Uint8Array(16)), noPad.final()]); // last byte 0
    const keyed = backend.keyed(new Uint8Array(16), key);
    expect(keyed.decrypt(iv, withZeroPad)).toBeUndefined();
    expect(keyed.decrypt(iv, new Uint8Array(0))).toBeUndefined();
    expect(keyed.decrypt(iv, new Uint8Array(17))).toBeUndefined();
  });

  it('HMAC verification is exact', () => {
    const keyed = backend.keyed(hex('0b'.repeat(16)), new Uint8Array(16));
    const data = new TextEncoder().encode('Hi There');
    const tag = new Uint8Array(32);
    keyed.macInto(data, tag);
    expect(Buffer.from(tag).toString('hex')).toBe(
      // HMAC-SHA256 with a 16-byte key of 0x0b, computed by OpenSSL
      createHashHmac('0b'.repeat(16), 'Hi There'),
    );
    expect(keyed.verifyMac(data, tag)).toBe(true);
    expect(keyed.verifyMac(data, tag.subarray(0, 31))).toBe(false);
    for (let i = 0; i < 32; i++) {
      const bad = tag.slice();
      bad[i]! ^= 1;
      expect(keyed.verifyMac(data, bad)).toBe(false);
    }
  });

  it('SHA-256 equals node:crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(Buffer.from(backend.sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      }),
    );
  });

  it('HMAC-SHA256 equals node:crypto for keys of any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
        expectSameBytes(backend.hmacSha256(key, data), new Uint8Array(createHmac('sha256', key).update(data).digest()));
      }),
    );
  });

  it('HKDF-SHA256 on it matches RFC 5869 test case 1 and node:crypto', () => {
    const okm = hkdf(backend, hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(Buffer.from(okm).toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 1, max: 255 * 32 }),
        (ikm, salt, info, length) => {
          const expected = new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
          expectSameBytes(hkdf(backend, ikm, salt, info, length), expected);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('random IVs are 16 fresh bytes, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const iv = backend.randomIv();
      expect(iv).toHaveLength(16);
      expect(iv.buffer.byteLength).toBe(16); // a copy, not a view of the pool
      seen.add(Buffer.from(iv).toString('hex'));
    }
    expect(seen.size).toBe(1000);
    expect(backend.randomBytes(32)).toHaveLength(32);
  });
});

describe('PKCS#7 helpers', () => {
  it('paddedLength always adds 1..16 bytes', () => {
    expect([0, 1, 15, 16, 17, 32].map(paddedLength)).toEqual([16, 16, 16, 32, 32, 48]);
  });

  it('unpaddedLength accepts exactly the valid paddings', () => {
    for (let pad = 0; pad <= 17; pad++) {
      const block = new Uint8Array(32).fill(7);
      block.fill(pad, 32 - Math.min(pad, 16));
      block[31] = pad;
      expect(unpaddedLength(block)).toBe(pad >= 1 && pad <= 16 ? 32 - pad : -1);
    }
    const almost = new Uint8Array(16).fill(4);
    almost[12] = 5; // 4 bytes claimed, one of them wrong
    expect(unpaddedLength(almost)).toBe(-1);
    expect(unpaddedLength(new Uint8Array(0))).toBe(-1);
    expect(unpaddedLength(new Uint8Array(15).fill(1))).toBe(-1);
  });
});

function createHashHmac(keyHex: string, message: string): string {
  // node:crypto's HMAC, spelled out so the test does not reuse the backend's own code path.
  const key = Buffer.from(keyHex, 'hex');
  const block = Buffer.alloc(64);
  key.copy(block);
  const xor = (byte: number) => Buffer.from(block.map((b) => b ^ byte));
  const inner = createHash('sha256').update(xor(0x36)).update(message).digest();
  return createHash('sha256').update(xor(0x5c)).update(inner).digest('hex');
}
