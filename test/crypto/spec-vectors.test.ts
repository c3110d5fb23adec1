/** The fernet/spec acceptance vectors (test/fixtures/fernet-spec), on both backends. */
import { describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/index.js';
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
