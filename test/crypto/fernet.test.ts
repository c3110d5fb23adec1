/** Fernet API semantics, as Python `cryptography`: TTL and clock skew, timestamps, verify, input checks. */
import { describe, expect, it } from 'vitest';
import { ExtensionStorageError, ValidationError } from '../../src/errors.js';
import type { KeyedCipher } from '../../src/crypto/backend.js';
import { Fernet, InvalidTokenError } from '../../src/crypto/index.js';
import { openToken, parseToken } from '../../src/crypto/token.js';
import { BACKENDS, expectInvalidToken, tokenText } from './helpers.js';

const utf8 = new TextEncoder();
const T0 = 1_700_000_000;

describe('InvalidTokenError', () => {
  it('is an ExtensionStorageError with a fixed code, name and message', () => {
    const error = new InvalidTokenError();
    expect(error).toBeInstanceOf(ExtensionStorageError);
    expect(error.code).toBe('INVALID_TOKEN');
    expect(error.name).toBe('InvalidTokenError');
    expect(error.message).toBe('Invalid Fernet token');
  });
});

describe.each(BACKENDS)('Fernet, %s backend', (backend) => {
  const key = Fernet.generateKey();
  const fernet = new Fernet(key, { backend });
  const token = fernet.encrypt('payload', { now: T0 });

  it('round-trips bytes and strings; a string is its UTF-8 bytes', () => {
    const iv = new Uint8Array(16).fill(9);
    expect(fernet.encrypt('héllo ✓', { now: T0, iv })).toBe(fernet.encrypt(utf8.encode('héllo ✓'), { now: T0, iv }));
    expect(fernet.decrypt(fernet.encrypt(new Uint8Array([0, 255, 1])))).toEqual(new Uint8Array([0, 255, 1]));
    expect(fernet.decrypt(fernet.encrypt(''))).toEqual(new Uint8Array(0));
  });

  it('returns plain Uint8Arrays', () => {
    const plaintext = fernet.decrypt(token);
    expect(Object.getPrototypeOf(plaintext)).toBe(Uint8Array.prototype);
  });

  it('uses a fresh IV and the current time by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const a = fernet.encrypt('same');
    const b = fernet.encrypt('same');
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url').subarray(9, 25)).not.toEqual(Buffer.from(b, 'base64url').subarray(9, 25));
    const created = fernet.extractTimestamp(a);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(Buffer.from(a, 'base64url')[0]).toBe(0x80);
  });

  it('accepts a token given as ASCII bytes', () => {
    expect(fernet.decrypt(utf8.encode(token))).toEqual(utf8.encode('payload'));
  });

  it('rejects a token under another key', () => {
    expectInvalidToken(() => new Fernet(Fernet.generateKey(), { backend }).decrypt(token));
    expectInvalidToken(() => new Fernet(Fernet.generateKey(), { backend }).extractTimestamp(token));
  });

  it('checks the TTL only when given: age ≤ ttl, at most 60 s in the future', () => {
    expect(fernet.decrypt(token, { ttl: 10, now: T0 + 10 })).toEqual(utf8.encode('payload'));
    expectInvalidToken(() => fernet.decrypt(token, { ttl: 10, now: T0 + 11 }));
    expect(fernet.decrypt(token, { ttl: 0, now: T0 })).toEqual(utf8.encode('payload'));
    expectInvalidToken(() => fernet.decrypt(token, { ttl: 0, now: T0 + 1 }));
    expect(fernet.decrypt(token, { ttl: 10, now: T0 - 60 })).toEqual(utf8.encode('payload'));
    expectInvalidToken(() => fernet.decrypt(token, { ttl: 10, now: T0 - 61 }));
    // Without a TTL, as in Python, neither age nor clock skew matter (and `now` is unused).
    expect(fernet.decrypt(token)).toEqual(utf8.encode('payload'));
    expect(fernet.decrypt(token, { now: T0 - 1_000_000 })).toEqual(utf8.encode('payload'));
    expect(fernet.decrypt(fernet.encrypt('old', { now: 0 }))).toEqual(utf8.encode('old'));
  });

  it('uses the current time for a TTL without `now`', () => {
    expect(fernet.decrypt(fernet.encrypt('fresh'), { ttl: 5 })).toEqual(utf8.encode('fresh'));
    expectInvalidToken(() => fernet.decrypt(token, { ttl: 5 }));
    const future = fernet.encrypt('future', { now: Math.floor(Date.now() / 1000) + 3600 });
    expectInvalidToken(() => fernet.decrypt(future, { ttl: 7200 }));
  });

  it('stores timestamps as 64-bit big-endian seconds', () => {
    for (const now of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
      const t = fernet.encrypt('t', { now });
      expect(fernet.extractTimestamp(t)).toBe(now);
      expect(Buffer.from(t, 'base64url').readBigUInt64BE(1)).toBe(BigInt(now));
    }
  });

  it('extractTimestamp verifies the MAC, then ignores the age', () => {
    expect(fernet.extractTimestamp(token)).toBe(T0);
    const forged = Buffer.from(token, 'base64url');
    forged.writeUInt32BE(T0 + 1, 5); // low half of the u64 timestamp
    expectInvalidToken(() => fernet.extractTimestamp(tokenText(forged)));
  });

  it('verify: true only for a well-formed token whose MAC matches this key', () => {
    expect(fernet.verify(token)).toBe(true);
    expect(fernet.verify(utf8.encode(token))).toBe(true);
    expect(new Fernet(Fernet.generateKey(), { backend }).verify(token)).toBe(false);
    expect(fernet.verify('')).toBe(false);
    expect(fernet.verify('not a token')).toBe(false);
    expect(fernet.verify(`${token}\n`)).toBe(false);
    expect(fernet.verify(42 as never)).toBe(false);
  });

  it('rejects tokens shorter than header + one block + MAC, or of a wrong version', () => {
    const raw = Buffer.from(token, 'base64url');
    for (const length of [0, 1, 9, 25, 41, 57, 72]) {
      expectInvalidToken(() => fernet.decrypt(tokenText(raw.subarray(0, length))));
    }
    const v81 = Buffer.from(raw);
    v81[0] = 0x81;
    expectInvalidToken(() => fernet.decrypt(tokenText(v81)));
  });

  it('refuses malformed arguments with ValidationError, naming the field', () => {
    const cases: [() => unknown, string][] = [
      [() => fernet.encrypt('x', { iv: new Uint8Array(12) }), '"iv" expected 16 bytes, got 12'],
      [() => fernet.encrypt('x', { iv: 'abc' as never }), '"iv" expected a Uint8Array, got string'],
      [() => fernet.encrypt('x', { now: -1 }), '"now" expected a non-negative integer of seconds, got -1'],
      [() => fernet.encrypt('x', { now: 1.5 }), '"now" expected a non-negative integer of seconds, got 1.5'],
      [() => fernet.encrypt('x', { now: 2 ** 53 }), '"now" expected a non-negative integer of seconds'],
      [() => fernet.encrypt(42 as never), '"data" expected a string or Uint8Array, got number'],
      [() => fernet.encrypt('x', 'fast' as never), '"options" expected an object, got string'],
      [() => fernet.decrypt(token, { ttl: -5 }), '"ttl" expected a non-negative integer of seconds, got -5'],
      [() => fernet.decrypt(token, { ttl: 5, now: Number.NaN }), '"now" expected a non-negative integer of seconds, got NaN'],
      [() => fernet.decrypt(42 as never), '"token" expected a string or Uint8Array, got number'],
      [() => fernet.extractTimestamp(null as never), '"token" expected a string or Uint8Array, got null'],
      [() => new Fernet(key, { backend: 'fast' as never }), '"backend" expected "auto", "native" or "portable", got string'],
    ];
    for (const [fn, message] of cases) {
      expect(fn).toThrow(ValidationError);
      expect(fn).toThrow(message);
    }
  });
});

describe('token opening order', () => {
  it('checks the MAC before decrypting, and never decrypts a forged token', () => {
    const calls: string[] = [];
    const keys = (macOk: boolean): KeyedCipher => ({
      macInto: () => undefined,
      verifyMac: () => (calls.push('mac'), macOk),
      encryptInto: () => undefined,
      decrypt: () => (calls.push('decrypt'), new Uint8Array(1)),
    });
    const raw = parseToken(new Fernet(Fernet.generateKey()).encrypt('x'))!;
    expect(openToken(keys(false), raw)).toBeUndefined();
    expect(calls).toEqual(['mac']);
    calls.length = 0;
    expect(openToken(keys(true), raw)).toEqual(new Uint8Array(1));
    expect(calls).toEqual(['mac', 'decrypt']);
  });
});
