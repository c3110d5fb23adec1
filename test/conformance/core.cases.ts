/**
 * Core behaviour: upsert, get, delete, scopes and their isolation, listing and counting.
 */
import { describe, expect } from 'vitest';
import { z } from 'zod';
import { ExtensionStorageError, type EntryInfo } from '../../src/index.js';
import type { SuiteContext } from './suite.js';

const DASHBOARD = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a ${code} error`).toBeInstanceOf(ExtensionStorageError);
  expect((error as ExtensionStorageError).code).toBe(code);
}

export function coreCases({ storage, test }: SuiteContext): void {
  describe('set and get', () => {
    test('set returns the written entry, get returns it with its value', async () => {
      const ext = storage().extension('acme.my-ext', { user: { id: 42 } });
      const bytes = new Uint8Array([123, 34, 97, 34, 58, 49, 125]);
      const info = await ext.global.set('config', bytes, { valueType: 'application/json', category: 'settings', description: 'Theme' });
      expect(info).toMatchObject({
        key: 'config',
        valueType: 'application/json',
        category: 'settings',
        description: 'Theme',
        encrypted: false,
        version: 1,
        size: 7,
        createdBy: '42',
        updatedBy: '42',
      });
      expect(info.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(info.createdAt).toBeInstanceOf(Date);
      expect(info.updatedAt.getTime()).toBe(info.createdAt.getTime());
      const entry = await ext.global.get('config');
      expect(entry).toEqual({ ...info, value: bytes });
      expect(entry?.value.constructor).toBe(Uint8Array);
    });

    test('upsert keeps one row, grows the version and replaces every field', async () => {
      const ext = storage().extension('acme.my-ext');
      const first = await ext.global.set('k', 'one', { category: 'c1', description: 'd1' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await ext.global.set('k', new Uint8Array([2]));
      expect(second.version).toBe(2);
      expect(second.uuid).toBe(first.uuid);
      expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
      expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
      expect(second).toMatchObject({ valueType: 'application/octet-stream', category: null, description: null, size: 1 });
      expect((await ext.global.set('k', 'three')).version).toBe(3);
      expect(await ext.global.count()).toBe(1);
      expect(await ext.global.getText('k')).toBe('three');
    });

    test('missing keys read as null', async () => {
      const ext = storage().extension('acme.my-ext');
      expect(await ext.global.get('nope')).toBeNull();
      expect(await ext.global.getValue('nope')).toBeNull();
      expect(await ext.global.getText('nope')).toBeNull();
      expect(await ext.global.getJSON('nope')).toBeNull();
    });

    test('strings are stored as UTF-8 text with a text value type', async () => {
      const ext = storage().extension('acme.my-ext');
      const info = await ext.global.set('greeting', 'héllo 👋');
      expect(info.valueType).toBe('text/plain; charset=utf-8');
      expect(info.size).toBe(new TextEncoder().encode('héllo 👋').byteLength);
      expect(await ext.global.getText('greeting')).toBe('héllo 👋');
    });

    test('every byte value round-trips', async () => {
      const ext = storage().extension('acme.my-ext');
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const reversed = all.slice().reverse();
      await ext.global.set('bytes', all);
      await ext.resource('chart', 7).set('bytes', reversed);
      expect(await ext.global.getValue('bytes')).toEqual(all);
      expect(await ext.resource('chart', 7).getValue('bytes')).toEqual(reversed);
      await ext.global.set('empty', new Uint8Array(0));
      expect(await ext.global.getValue('empty')).toEqual(new Uint8Array(0));
    });

    test('JSON helpers store application/json and validate with a Standard Schema', async () => {
      const ext = storage().extension('acme.my-ext');
      const info = await ext.global.setJSON('config', { theme: 'dark', size: 3 });
      expect(info.valueType).toBe('application/json');
      expect(await ext.global.getJSON<{ theme: string }>('config')).toEqual({ theme: 'dark', size: 3 });
      const schema = z.object({ theme: z.enum(['dark', 'light']) });
      expect(await ext.global.getJSON('config', { schema })).toEqual({ theme: 'dark' });
      await rejectsWith(ext.global.setJSON('config', { theme: 'blue' } as never, { schema }), 'VALIDATION');
      expect(await ext.global.getJSON('config')).toEqual({ theme: 'dark', size: 3 });
      await ext.global.set('broken', '{not json');
      await rejectsWith(ext.global.getJSON('broken'), 'VALIDATION');
      await ext.global.set('latin1', new Uint8Array([0xff, 0xfe]));
      await rejectsWith(ext.global.getText('latin1'), 'VALIDATION');
    });

    test('values up to the 16 MiB − 1 default limit round-trip; one byte more is refused', async () => {
      const ext = storage().extension('acme.my-ext');
      const big = new Uint8Array(16 * 1024 * 1024 - 1);
      for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
      big[big.length - 1] = 0xab;
      const info = await ext.global.set('big', big);
      expect(info.size).toBe(big.length);
      const back = await ext.global.getValue('big');
      expect(back?.length).toBe(big.length);
      expect(Buffer.compare(Buffer.from(back!), Buffer.from(big))).toBe(0);
      await rejectsWith(ext.global.set('bigger', new Uint8Array(16 * 1024 * 1024)), 'VALUE_TOO_LARGE');
      expect(await ext.global.get('bigger')).toBeNull();
    }, 180_000); // PGlite alone spends ~20 s hex-encoding 16 MiB

    test('limits.maxValueBytes is configurable', async () => {
      const ext = storage({ limits: { maxValueBytes: 4 } }).extension('acme.my-ext');
      await ext.global.set('ok', 'four');
      await rejectsWith(ext.global.set('no', 'fives'), 'VALUE_TOO_LARGE');
      await rejectsWith(ext.global.set('no', 'ééé'), 'VALUE_TOO_LARGE');
      expect(await ext.global.count()).toBe(1);
    });
  });

  describe('delete', () => {
    test('delete answers whether there was an entry', async () => {
      const ext = storage().extension('acme.my-ext');
      await ext.global.set('k', 'v');
      expect(await ext.global.delete('k')).toBe(true);
      expect(await ext.global.delete('k')).toBe(false);
      expect(await ext.global.get('k')).toBeNull();
    });

    test('delete removes only the addressed scope', async () => {
      const ext = storage().extension('acme.my-ext', { user: { id: 1 } });
      await ext.global.set('k', 'g');
      await ext.user.set('k', 'u');
      await ext.resource('dashboard', DASHBOARD).set('k', 'r');
      expect(await ext.user.delete('k')).toBe(true);
      expect(await ext.global.getText('k')).toBe('g');
      expect(await ext.resource('dashboard', DASHBOARD).getText('k')).toBe('r');
    });
  });

  describe('isolation', () => {
    test('global, user and resource scopes of one extension are separate', async () => {
      const ext = storage().extension('acme.my-ext', { user: { id: 42 } });
      await ext.global.set('same', 'global');
      await ext.user.set('same', 'user');
      await ext.resource('dashboard', DASHBOARD).set('same', 'resource');
      expect(await ext.global.getText('same')).toBe('global');
      expect(await ext.user.getText('same')).toBe('user');
      expect(await ext.resource('dashboard', DASHBOARD).getText('same')).toBe('resource');
      for (const scope of [ext.global, ext.user, ext.resource('dashboard', DASHBOARD)]) {
        expect((await scope.list()).items.map((item) => item.key)).toEqual(['same']);
        expect(await scope.count()).toBe(1);
      }
    });

    test('extensions never see each other', async () => {
      const s = storage();
      const a = s.extension('acme.one', { user: { id: 1 } });
      const b = s.extension('acme.two', { user: { id: 1 } });
      await a.global.set('k', 'a');
      await a.user.set('k', 'a');
      await a.resource('chart', 1).set('k', 'a');
      expect(await b.global.get('k')).toBeNull();
      expect(await b.user.get('k')).toBeNull();
      expect(await b.resource('chart', 1).get('k')).toBeNull();
      expect(await b.global.count()).toBe(0);
      expect(await b.global.delete('k')).toBe(false);
      expect(await a.global.getText('k')).toBe('a');
    });

    test('users never see each other; 42 and "42" are the same user', async () => {
      const s = storage();
      await s.extension('acme.my-ext', { user: { id: 42 } }).user.set('prefs', 'mine');
      expect(await s.extension('acme.my-ext', { user: { id: '42' } }).user.getText('prefs')).toBe('mine');
      expect(await s.extension('acme.my-ext', { user: { id: 43 } }).user.get('prefs')).toBeNull();
      expect(await s.extension('acme.my-ext', { user: { id: 'alice' } }).user.count()).toBe(0);
      expect(await s.extension('acme.my-ext').global.get('prefs')).toBeNull();
    });

    test('resources are isolated by type and by id; UUIDs are case-insensitive', async () => {
      const ext = storage().extension('acme.my-ext');
      await ext.resource('dashboard', DASHBOARD).set('state', 'd');
      expect(await ext.resource('dashboard', DASHBOARD.toUpperCase()).getText('state')).toBe('d');
      expect(await ext.resource('chart', DASHBOARD).get('state')).toBeNull();
      expect(await ext.resource('dashboard', 'bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee').get('state')).toBeNull();
      await ext.resource('dashboard', 1).set('state', 'one');
      expect(await ext.resource('dashboard', '1').getText('state')).toBe('one');
      expect(await ext.resource('dashboard', 'Name').get('state')).toBeNull();
    });

    test('the user scope without a user fails with UNAUTHENTICATED and writes nothing', async () => {
      const s = storage();
      const ext = s.extension('acme.my-ext');
      await rejectsWith(ext.user.set('k', 'v'), 'UNAUTHENTICATED');
      await rejectsWith(ext.user.get('k'), 'UNAUTHENTICATED');
      await rejectsWith(ext.user.list(), 'UNAUTHENTICATED');
      await rejectsWith(s.extension('acme.my-ext', { user: null }).user.count(), 'UNAUTHENTICATED');
      expect(await ext.global.count()).toBe(0);
    });

    test('a storage-wide user function is asked at every operation, and a handle option overrides it', async () => {
      let current: { id: number } | undefined = { id: 1 };
      const s = storage({ user: () => current });
      const ext = s.extension('acme.my-ext');
      await ext.user.set('k', 'one');
      current = { id: 2 };
      expect(await ext.user.get('k')).toBeNull();
      await ext.user.set('k', 'two');
      expect(await s.extension('acme.my-ext', { user: { id: 1 } }).user.getText('k')).toBe('one');
      current = undefined;
      await rejectsWith(ext.user.get('k'), 'UNAUTHENTICATED');
      const written = await s.extension('acme.my-ext', { user: { id: 2 } }).global.set('g', 'x');
      expect(written.updatedBy).toBe('2');
      expect((await ext.global.set('g', 'y')).updatedBy).toBeNull();
    });
  });

  describe('list and count', () => {
    const keys = Array.from({ length: 53 }, (_, i) => `item/${String(i).padStart(3, '0')}`);

    async function fill(): Promise<ReturnType<ReturnType<SuiteContext['storage']>['extension']>> {
      const ext = storage().extension('acme.my-ext');
      for (const [i, key] of keys.entries()) {
        await ext.global.set(key, `value ${i}`, { category: i % 3 === 0 ? 'three' : 'other', description: `#${i}` });
      }
      await ext.global.set('zzz', 'last');
      return ext;
    }

    test('pages follow each other in key order without overlap or gaps', async () => {
      const ext = await fill();
      const seen: EntryInfo[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await ext.global.list({ limit: 10, cursor });
        expect(page.items.length).toBeLessThanOrEqual(10);
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(6);
      expect(seen.map((item) => item.key)).toEqual([...keys, 'zzz']);
      expect(seen[0]).toMatchObject({ description: '#0', category: 'three', size: 7 });
      expect(seen[0]).not.toHaveProperty('value');
    });

    test('an exact last page has no next cursor; an empty scope lists nothing', async () => {
      const ext = await fill();
      const page = await ext.global.list({ limit: 54 });
      expect(page.items).toHaveLength(54);
      expect(page.nextCursor).toBeNull();
      expect(await ext.resource('chart', 1).list()).toEqual({ items: [], nextCursor: null });
      expect((await ext.global.list()).items).toHaveLength(25);
    });

    test('category and prefix filters, alone and together, page and count alike', async () => {
      const ext = await fill();
      const three = keys.filter((_, i) => i % 3 === 0);
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await ext.global.list({ category: 'three', limit: 4, cursor });
        listed.push(...page.items.map((item) => item.key));
        cursor = page.nextCursor;
      } while (cursor);
      expect(listed).toEqual(three);
      expect(await ext.global.count({ category: 'three' })).toBe(three.length);
      expect((await ext.global.list({ prefix: 'item/01', limit: 100 })).items.map((i) => i.key)).toEqual(keys.slice(10, 20));
      expect(await ext.global.count({ prefix: 'item/' })).toBe(53);
      expect(await ext.global.count({ prefix: 'item/01', category: 'three' })).toBe(3);
      expect(await ext.global.count()).toBe(54);
      expect(await ext.global.count({ category: 'none' })).toBe(0);
    });

    test('a prefix with % and _ matches literally', async () => {
      const ext = storage().extension('acme.my-ext');
      for (const key of ['100%', '100%/a', '1000', 'a_b', 'a_b/c', 'axb', 'a%b']) await ext.global.set(key, 'v');
      const list = async (prefix: string) => (await ext.global.list({ prefix })).items.map((item) => item.key);
      expect(await list('100%')).toEqual(['100%', '100%/a']);
      expect(await list('a_b')).toEqual(['a_b', 'a_b/c']);
      expect(await list('a%')).toEqual(['a%b']);
      expect(await ext.global.count({ prefix: '_' })).toBe(0);
    });

    test('a malformed or foreign cursor is a VALIDATION error', async () => {
      const ext = await fill();
      const { nextCursor } = await ext.global.list({ limit: 5 });
      expect(nextCursor).toBeTypeOf('string');
      await rejectsWith(ext.global.list({ cursor: 'garbage!' }), 'VALIDATION');
      await rejectsWith(ext.global.list({ cursor: `${nextCursor}x` }), 'VALIDATION');
      await rejectsWith(ext.global.list({ cursor: nextCursor, category: 'three' }), 'VALIDATION');
      await rejectsWith(ext.global.list({ cursor: nextCursor, prefix: 'item/' }), 'VALIDATION');
      await rejectsWith(ext.resource('chart', 1).list({ cursor: nextCursor }), 'VALIDATION');
      await rejectsWith(storage().extension('acme.other').global.list({ cursor: nextCursor }), 'VALIDATION');
      expect((await ext.global.list({ limit: 5, cursor: nextCursor })).items[0]?.key).toBe(keys[5]);
    });
  });

  describe('concurrency', () => {
    test('64 concurrent sets of one new key leave exactly one row holding one of the values', async () => {
      const s = storage();
      const ext = s.extension('acme.race');
      const values = Array.from({ length: 64 }, (_, i) => `writer ${i}`);
      const results = await Promise.all(values.map((value) => s.extension('acme.race').global.set('contended', value)));
      expect(new Set(results.map((info) => info.uuid)).size).toBe(1);
      expect(results.map((info) => info.version).sort((a, b) => a - b)).toEqual(values.map((_, i) => i + 1));
      expect(await ext.global.count()).toBe(1);
      expect(values).toContain(await ext.global.getText('contended'));
      expect((await ext.global.get('contended'))?.version).toBe(64);
    });
  });
}
