/**
 * Keys compare bytewise on every dialect: case-sensitive, trailing spaces significant, Unicode forms
 * distinct, and listed in UTF-8 byte order.
 */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './suite.js';

/** The order every dialect must list keys in: their UTF-8 bytes, compared bytewise. */
export function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function orderingCases({ storage, test }: SuiteContext): void {
  describe('key comparison and order', () => {
    test('keys are case-sensitive and trailing spaces count', async () => {
      const ext = storage().extension('acme.keys');
      for (const key of ['Key', 'key', 'KEY', 'key ', ' key']) await ext.global.set(key, key);
      expect(await ext.global.count()).toBe(5);
      for (const key of ['Key', 'key', 'KEY', 'key ', ' key']) expect(await ext.global.getText(key)).toBe(key);
      expect(await ext.global.get('kEy')).toBeNull();
      expect(await ext.global.delete('key')).toBe(true);
      expect(await ext.global.getText('key ')).toBe('key ');
    });

    test('Unicode keys round-trip, NFC and NFD are distinct, order is bytewise UTF-8', async () => {
      const ext = storage().extension('acme.keys');
      const nfc = 'caf\u00e9';
      const nfd = 'cafe\u0301';
      const keys = [nfc, nfd, '😀 smile', 'Ω', 'z', 'Z', 'a', '\uffef', '\u{10000}', '日本語', 'é', 'e', '~', '€'];
      for (const key of keys) await ext.global.set(key, key);
      expect(await ext.global.count()).toBe(keys.length);
      expect(await ext.global.getText(nfc)).toBe(nfc);
      expect(await ext.global.getText(nfd)).toBe(nfd);
      const listed = (await ext.global.list({ limit: 100 })).items.map((item) => item.key);
      expect(listed).toEqual([...keys].sort(byUtf8));
      // U+FFEF sorts before U+10000 in UTF-8, after it in UTF-16 code units: the bytewise order wins.
      expect(listed.indexOf('\uffef')).toBeLessThan(listed.indexOf('\u{10000}'));
      expect((await ext.global.list({ prefix: 'caf' })).items.map((item) => item.key)).toEqual([nfc, nfd].sort(byUtf8));
    });

    test('a 255-character key of 4-byte characters works in every scope', async () => {
      const key = '😀'.repeat(254) + '𝄞';
      const resourceId = '𝄞'.repeat(255);
      const ext = storage().extension(`${'a'.repeat(120)}.${'b'.repeat(134)}`, { user: { id: 'ü'.repeat(127) } });
      await ext.global.set(key, 'g');
      await ext.user.set(key, 'u');
      await ext.resource('a'.repeat(64), resourceId).set(key, 'r', { category: '𝄞'.repeat(64) });
      await ext.resource('a'.repeat(64), resourceId).set(key, 'r2', { category: '𝄞'.repeat(64) });
      expect(await ext.global.getText(key)).toBe('g');
      expect(await ext.user.getText(key)).toBe('u');
      expect(await ext.resource('a'.repeat(64), resourceId).getText(key)).toBe('r2');
      expect(await ext.resource('a'.repeat(64), resourceId).count({ category: '𝄞'.repeat(64) })).toBe(1);
      expect((await ext.global.list({ prefix: '😀😀' })).items.map((item) => item.key)).toEqual([key]);
    });

    test('prefixes at the edges of Unicode list exactly their keys', async () => {
      const ext = storage().extension('acme.keys');
      const keys = ['a\u{10ffff}', 'a\u{10ffff}b', 'b', 'a\ud7ff', 'a\ud7ffz', 'a\ue000', 'a'];
      for (const key of keys) await ext.global.set(key, 'v');
      const list = async (prefix: string) => (await ext.global.list({ prefix })).items.map((item) => item.key);
      expect(await list('a\u{10ffff}')).toEqual(['a\u{10ffff}', 'a\u{10ffff}b']);
      expect(await list('a\ud7ff')).toEqual(['a\ud7ff', 'a\ud7ffz']);
      expect(await list('a')).toEqual(keys.filter((key) => key.startsWith('a')).sort(byUtf8));
    });
  });
}
