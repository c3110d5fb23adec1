/** MultiFernet: first key encrypts, any key decrypts, rotate keeps the timestamp, keyIndex. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Fernet, MultiFernet } from '../../src/crypto/index.js';
import { BACKENDS, expectInvalidToken } from './helpers.js';

const utf8 = new TextEncoder();

describe('MultiFernet construction', () => {
  it('refuses an empty list or anything but Fernet instances', () => {
    expect(() => new MultiFernet([])).toThrow(ValidationError);
    expect(() => new MultiFernet([])).toThrow('"fernets" expected at least one Fernet instance, got 0');
    expect(() => new MultiFernet([new Fernet(Fernet.generateKey()), 'key' as never])).toThrow(
      '"fernets[1]" expected a Fernet instance, got string',
    );
    expect(() => new MultiFernet(null as never)).toThrow('"fernets" expected an iterable of Fernet instances, got null');
  });

  it('accepts any iterable and mixed backends', () => {
    const a = new Fernet(Fernet.generateKey(), { backend: 'portable' });
    const b = new Fernet(Fernet.generateKey(), { backend: 'native' });
    const multi = new MultiFernet(new Set([a, b]));
    expect(multi.decrypt(b.encrypt('b'))).toEqual(utf8.encode('b'));
    expect(a.decrypt(multi.encrypt('a'))).toEqual(utf8.encode('a'));
  });
});

describe.each(BACKENDS)('MultiFernet, %s backend', (backend) => {
  const make = () => new Fernet(Fernet.generateKey(), { backend });
  const [newest, older, stranger] = [make(), make(), make()];
  const multi = new MultiFernet([newest, older]);
  const CREATED = 1_500_000_000;
  const oldToken = older.encrypt('secret', { now: CREATED });

  it('encrypts with the first key', () => {
    const token = multi.encrypt('x');
    expect(newest.decrypt(token)).toEqual(utf8.encode('x'));
    expectInvalidToken(() => older.decrypt(token));
  });

  it('decrypts under any key, with the TTL rules of Fernet', () => {
    expect(multi.decrypt(oldToken)).toEqual(utf8.encode('secret'));
    expect(multi.decrypt(newest.encrypt('n'))).toEqual(utf8.encode('n'));
    expect(multi.decrypt(oldToken, { ttl: 100, now: CREATED + 100 })).toEqual(utf8.encode('secret'));
    expectInvalidToken(() => multi.decrypt(oldToken, { ttl: 100, now: CREATED + 101 }));
    expectInvalidToken(() => multi.decrypt(oldToken, { ttl: 100, now: CREATED - 61 }));
    expectInvalidToken(() => multi.decrypt(stranger.encrypt('s')));
    expectInvalidToken(() => multi.decrypt('garbage'));
  });

  it('rotates to the first key, keeping the timestamp, with a fresh IV, at any age', () => {
    const rotated = multi.rotate(oldToken);
    expect(newest.decrypt(rotated)).toEqual(utf8.encode('secret'));
    expect(newest.extractTimestamp(rotated)).toBe(CREATED);
    expect(multi.extractTimestamp(rotated)).toBe(CREATED);
    expectInvalidToken(() => older.decrypt(rotated));
    expect(multi.rotate(oldToken)).not.toBe(rotated);
    expect(multi.rotate(rotated)).not.toBe(rotated); // already current: still re-encrypted
    expect(newest.extractTimestamp(multi.rotate(rotated))).toBe(CREATED);
  });

  it('refuses to rotate a token no key opens', () => {
    expectInvalidToken(() => multi.rotate(stranger.encrypt('s')));
    const tampered = oldToken.slice(0, 10) + (oldToken[10] === 'A' ? 'B' : 'A') + oldToken.slice(11);
    expectInvalidToken(() => multi.rotate(tampered));
    expect(() => multi.rotate(7 as never)).toThrow(ValidationError);
  });

  it('extractTimestamp under any key', () => {
    expect(multi.extractTimestamp(oldToken)).toBe(CREATED);
    expectInvalidToken(() => multi.extractTimestamp(stranger.encrypt('s')));
  });

  it('keyIndex names the key whose MAC matches, -1 for none or garbage', () => {
    expect(multi.keyIndex(newest.encrypt('n'))).toBe(0);
    expect(multi.keyIndex(oldToken)).toBe(1);
    expect(multi.keyIndex(utf8.encode(oldToken))).toBe(1);
    expect(multi.keyIndex(stranger.encrypt('s'))).toBe(-1);
    expect(multi.keyIndex('garbage')).toBe(-1);
    expect(multi.keyIndex('')).toBe(-1);
    expect(multi.keyIndex(undefined as never)).toBe(-1);
    expect(new MultiFernet([older, older]).keyIndex(oldToken)).toBe(0);
  });
});
