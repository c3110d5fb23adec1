/** Keys: strict parsing at construction, raw-byte keys, generateKey, deriveFernetKey. */
import { describe, expect, it } from 'vitest';
import { ExtensionStorageError, ValidationError } from '../../src/errors.js';
import { Fernet, deriveFernetKey } from '../../src/crypto/index.js';
import { BACKENDS } from './helpers.js';

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

/** Asserts a VALIDATION error whose message names the key and does not echo it. */
function expectKeyError(key: unknown, message: string | RegExp): void {
  let thrown: unknown;
  try {
    new Fernet(key as string);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  expect(thrown).toBeInstanceOf(ExtensionStorageError);
  const error = thrown as ValidationError;
  expect(error.code).toBe('VALIDATION');
  expect(error.message).toMatch(message);
  expect(error.message).toContain('"key"');
  if (typeof key === 'string' && key.length > 8) expect(error.message).not.toContain(key.slice(0, 8));
}

describe('key parsing', () => {
  it.each([
    ['empty', '', /expected 44 characters of url-safe base64, got 0/],
    ['43 characters', KEY.slice(0, 43), /got 43/],
    ['45 characters', `${KEY}=`, /got 45/],
    ['no padding (44 digits)', `${KEY.slice(0, 43)}A`, /ending in one "=" padding/],
    ['standard alphabet +', `+${KEY.slice(1)}`, /url-safe base64/],
    ['standard alphabet /', `/${KEY.slice(1)}`, /url-safe base64/],
    ['whitespace', ` ${KEY.slice(1)}`, /url-safe base64/],
    ['double padding', `${KEY.slice(0, 42)}==`, /url-safe base64/],
    ['non-canonical last digit', `${KEY.slice(0, 42)}5=`, /not canonical/],
    ['non-ASCII', `é${KEY.slice(1)}`, /url-safe base64/],
  ])('refuses %s', (_case, key, message) => expectKeyError(key, message));

  it.each([
    ['16 bytes', new Uint8Array(16), '"key" expected 32 bytes, got 16'],
    ['33 bytes', new Uint8Array(33), '"key" expected 32 bytes, got 33'],
    ['a number', 42, '"key" expected a string or Uint8Array, got number'],
    ['null', null, '"key" expected a string or Uint8Array, got null'],
    ['an array', Array(32).fill(0), '"key" expected a string or Uint8Array, got Array'],
  ])('refuses %s', (_case, key, message) => expectKeyError(key, message));

  it.each(BACKENDS)('takes 32 raw bytes as the same key as their text (%s)', (backend) => {
    const raw = new Uint8Array(Buffer.from(KEY, 'base64url'));
    const options = { now: 1, iv: new Uint8Array(16) };
    expect(new Fernet(raw, { backend }).encrypt('x', options)).toBe(new Fernet(KEY, { backend }).encrypt('x', options));
  });

  it('copies raw key bytes at construction', () => {
    for (const backend of BACKENDS) {
      const raw = Buffer.from(KEY, 'base64url'); // a Buffer, whose slice() would be a view
      const fernet = new Fernet(raw, { backend });
      raw.fill(0);
      const token = fernet.encrypt('x');
      expect(new TextDecoder().decode(new Fernet(KEY, { backend }).decrypt(token))).toBe('x');
      expect(new TextDecoder().decode(fernet.decrypt(token))).toBe('x');
    }
  });
});

describe('Fernet.generateKey', () => {
  it('makes distinct 44-character canonical keys that work', () => {
    const keys = new Set(Array.from({ length: 100 }, () => Fernet.generateKey()));
    expect(keys.size).toBe(100);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
      expect(new Fernet(key).decrypt(new Fernet(key).encrypt('ok'))).toEqual(new TextEncoder().encode('ok'));
    }
  });
});

describe('deriveFernetKey', () => {
  it('is url-safe base64 of SHA-256 of the UTF-8 secret', () => {
    // python3 -c "import base64,hashlib;print(base64.urlsafe_b64encode(hashlib.sha256(b'any secret').digest()))"
    expect(deriveFernetKey('any secret')).toBe('YzsGapJt9doYX35y0x_GC30nPuAslH6ty2t8uKXLChc=');
    expect(deriveFernetKey(new TextEncoder().encode('any secret'))).toBe(deriveFernetKey('any secret'));
    expect(new Fernet(deriveFernetKey('any secret')).backend).toBe('native');
  });

  it('refuses an empty or non-text secret', () => {
    expect(() => deriveFernetKey('')).toThrow(ValidationError);
    expect(() => deriveFernetKey(3 as never)).toThrow('"secret" expected a string or Uint8Array, got number');
  });
});
