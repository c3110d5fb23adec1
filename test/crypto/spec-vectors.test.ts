/** The fernet/spec acceptance vectors (test/fixtures/fernet-spec), on both backends. */
import { describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/index.js';
import { plaintextSizes } from '../../src/crypto/token.js';
import generate from '../fixtures/fernet-spec/generate.json' with { type: 'json' };
import invalid from '../fixtures/fernet-spec/invalid.json' with { type: 'json' };
import verify from '../fixtures/fernet-spec/verify.json' with { type: 'json' };
import { BACKENDS, expectInvalidToken, unixSeconds } from './helpers.js';

const utf8 = new TextEncoder();

describe.each(BACKENDS)('spec vectors, %s backend', (backend) => {
  it('has vectors to run', () => {
    expect(generate.length).toBeGreaterThan(0);
    expect(verify.length).toBeGreaterThan(0);
    expect(invalid.length).toBe(8);
  });

  it.each(generate)('generate: $src at $now', (vector) => {
    const fernet = new Fernet(vector.secret, { backend });
    const options = { now: unixSeconds(vector.now), iv: new Uint8Array(vector.iv) };
    expect(fernet.encrypt(vector.src, options)).toBe(vector.token);
    expect(fernet.encrypt(utf8.encode(vector.src), options)).toBe(vector.token);
    expect(fernet.extractTimestamp(vector.token)).toBe(options.now);
  });

  it.each(verify)('verify: $src at $now', (vector) => {
    const fernet = new Fernet(vector.secret, { backend });
    const plaintext = fernet.decrypt(vector.token, { ttl: vector.ttl_sec, now: unixSeconds(vector.now) });
    expect(plaintext).toEqual(utf8.encode(vector.src));
    const created = fernet.extractTimestamp(vector.token);
    expect(created).toBeLessThanOrEqual(unixSeconds(vector.now));
    expect(created).toBeGreaterThanOrEqual(unixSeconds(vector.now) - vector.ttl_sec);
  });

  it.each(invalid)('invalid: $desc', (vector) => {
    const fernet = new Fernet(vector.secret, { backend });
    expectInvalidToken(() => fernet.decrypt(vector.token, { ttl: vector.ttl_sec, now: unixSeconds(vector.now) }));
  });
});

describe('plaintextSizes', () => {
  const ascii = (text: string) => new TextEncoder().encode(text);

  it('bounds the plaintext of every published token, and of tokens of every length up to 64 bytes', () => {
    for (const vector of [...generate, ...verify]) {
      const [least, most] = plaintextSizes(ascii(vector.token))!;
      expect(utf8.encode(vector.src).length).toBeGreaterThanOrEqual(least);
      expect(utf8.encode(vector.src).length).toBeLessThanOrEqual(most);
    }
    const fernet = new Fernet(Fernet.generateKey());
    for (let length = 0; length <= 64; length++) {
      const [least, most] = plaintextSizes(ascii(fernet.encrypt(new Uint8Array(length))))!;
      expect([least <= length, length <= most, most - least]).toEqual([true, true, 15]);
    }
  });

  it('is undefined for bytes that are not a token', () => {
    const token = ascii(generate[0]!.token);
    for (const bytes of [new Uint8Array(0), ascii('not a token'), token.subarray(0, token.length - 4), ascii(`x${generate[0]!.token.slice(1)}`)]) {
      expect(plaintextSizes(bytes)).toBeUndefined();
    }
  });
});
