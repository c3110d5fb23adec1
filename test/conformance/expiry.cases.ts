/**
 * Expiry: an entry written with `ttl` or `expiresAt` is absent from that time to every read, listing,
 * count, condition and counter, with no background job; the next write makes a new entry; purgeExpired
 * removes expired rows in batches; usage stays exact through all of it. Time comes from the storage's
 * clock (`now`), moved by the tests: the database's clock is never asked.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ConflictError, type ExportedEntry } from '../../src/index.js';
import { usageTables } from './lifecycle.cases.js';
import type { SuiteContext } from './suite.js';

const START = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;

/** A clock the test moves. */
function clock() {
  let time = START;
  return {
    now: () => new Date(time),
    advance: (ms: number) => void (time += ms),
    at: (offset: number) => new Date(START + offset),
  };
}

export function expiryCases({ storage, test, query }: SuiteContext): void {
  describe('expiry', () => {
    test('an entry is there until its expiry and absent from then on to get, getMany, list and count', async () => {
      const time = clock();
      const ext = storage({ now: time.now }).extension('acme.expiry', { user: { id: 1 } });
      const info = await ext.user.set('session', 'token', { ttl: MINUTE, category: 'c' });
      expect(info.expiresAt).toEqual(time.at(MINUTE));
      await ext.user.set('plan', 'pro', { expiresAt: time.at(2 * MINUTE), category: 'c' });
      await ext.user.set('name', 'Ada', { category: 'c' });
      expect((await ext.user.get('session'))?.expiresAt).toEqual(time.at(MINUTE));
      expect((await ext.user.get('name'))?.expiresAt).toBeNull();

      time.advance(MINUTE - 1);
      expect(await ext.user.getText('session')).toBe('token');
      time.advance(1); // the expiry itself is the first moment it is absent
      expect(await ext.user.get('session')).toBeNull();
      expect(await ext.user.getText('session')).toBeNull();
      expect(await ext.user.getMany(['name', 'session', 'plan'])).toMatchObject([{ key: 'name' }, null, { key: 'plan' }]);
      expect((await ext.user.list()).items.map((item) => item.key)).toEqual(['name', 'plan']);
      expect((await ext.user.list({ category: 'c', prefix: 'p' })).items.map((item) => item.key)).toEqual(['plan']);
      expect(await ext.user.count()).toBe(2);
      expect(await ext.user.count({ category: 'c' })).toBe(2);

      time.advance(MINUTE);
      expect(await ext.user.count()).toBe(1);
      const page = await ext.user.list({ limit: 1 });
      expect(page.items.map((item) => item.key)).toEqual(['name']);
      expect(page.nextCursor).toBeNull();
    });

    test('ttl and expiresAt are checked before any I/O: one of them, a positive whole ttl, a valid date', async () => {
      const time = clock();
      const ext = storage({ now: time.now }).extension('acme.expiry');
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ ttl: 1000, expiresAt: time.at(1000) }, /"ttl" and "expiresAt" expected at most one/],
        [{ ttl: 0 }, /"ttl" expected a positive integer of milliseconds/],
        [{ ttl: -5 }, /"ttl"/],
        [{ ttl: 1.5 }, /"ttl"/],
        [{ ttl: '60' }, /"ttl"/],
        [{ ttl: Number.MAX_SAFE_INTEGER }, /"ttl" expected an expiry between 1970 and the end of 9999/],
        [{ expiresAt: new Date(Number.NaN) }, /"expiresAt" expected a valid Date, got an invalid Date/],
        [{ expiresAt: '2031-01-01' }, /"expiresAt" expected a valid Date/],
        [{ expiresAt: new Date(Date.UTC(10000, 0, 1)) }, /"expiresAt"/],
      ];
      for (const [options, message] of bad) {
        await expect(ext.global.set('k', 'v', options as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(message) });
      }
      await expect(ext.global.setMany([{ key: 'a', value: '1' }, { key: 'b', value: '2', ttl: -1 }])).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('"entries[1].ttl"'),
      });
      await expect(ext.global.increment('n', 1, { ttl: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(ext.global.increment('n', 1, { window: 5 } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(ext.global.update('k', () => ({ value: 'v', ttl: 'soon' as never }))).rejects.toMatchObject({ code: 'VALIDATION' });
      expect(await ext.global.count()).toBe(0);
      expect(await ext.usage()).toEqual({ bytes: 0, keys: 0 });
      // A time already past is accepted: the entry is absent at once (a clock's skew is not an error).
      await ext.global.set('past', 'v', { expiresAt: time.at(-1) });
      expect(await ext.global.get('past')).toBeNull();
    });

    test('a write over an expired entry makes a new one: new uuid, version 1, created now', async () => {
      const time = clock();
      const s = storage({ now: time.now });
      const ext = s.extension('acme.expiry', { user: { id: 'ada' } });
      const first = await ext.global.set('doc', 'one', { ttl: MINUTE, category: 'old', description: 'first' });
      const second = await ext.global.set('doc', 'two', { ttl: MINUTE });
      expect(second).toMatchObject({ uuid: first.uuid, version: 2, createdAt: first.createdAt });
      time.advance(5 * MINUTE);
      const renewed = await s.extension('acme.expiry', { user: { id: 'bob' } }).global.set('doc', 'three');
      expect(renewed.uuid).not.toBe(first.uuid);
      expect(renewed).toMatchObject({ version: 1, createdAt: time.now(), updatedAt: time.now(), createdBy: 'bob', expiresAt: null, category: null });
      expect(await ext.global.getText('doc')).toBe('three');
      // A live entry keeps its identity; a write without an expiry makes it never expire.
      const later = await ext.global.set('doc', 'four', { ttl: MINUTE });
      expect(later).toMatchObject({ uuid: renewed.uuid, version: 2, createdBy: 'bob', expiresAt: time.at(5 * MINUTE + MINUTE) });
      expect((await ext.global.set('doc', 'five')).expiresAt).toBeNull();
    });

    test('conditions see an expired entry as absent: ifAbsent succeeds, ifVersion and ifMatch never match', async () => {
      const time = clock();
      const ext = storage({ now: time.now }).extension('acme.expiry');
      const old = await ext.global.set('lock', 'holder-1', { ttl: MINUTE });
      await expect(ext.global.set('lock', 'holder-2', { ifAbsent: true })).rejects.toMatchObject({ code: 'CONFLICT', currentVersion: 1 });
      time.advance(MINUTE);
      for (const condition of [{ ifVersion: 1 }, { ifMatch: old.etag }]) {
        const refused = await ext.global.set('lock', 'x', condition).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(ConflictError);
        expect(refused).toMatchObject({ currentVersion: null });
        await expect(ext.global.delete('lock', condition)).rejects.toMatchObject({ code: 'CONFLICT', currentVersion: null });
      }
      const taken = await ext.global.set('lock', 'holder-2', { ifAbsent: true, ttl: MINUTE });
      expect(taken).toMatchObject({ version: 1 });
      expect(taken.uuid).not.toBe(old.uuid);
      expect(taken.etag).not.toBe(old.etag);
      // The old tag never names the new entry, though both are at version 1.
      await expect(ext.global.set('lock', 'x', { ifMatch: old.etag })).rejects.toMatchObject({ code: 'CONFLICT', currentVersion: 1 });
      expect(await ext.global.getText('lock')).toBe('holder-2');
      // ifAbsent over an expired entry, in a batch and in a transaction too.
      time.advance(MINUTE);
      await ext.global.setMany([{ key: 'lock', value: 'holder-3', ifAbsent: true }]);
      expect(await ext.global.getText('lock')).toBe('holder-3');
    });

    test('delete and deleteMany see an expired entry as absent', async () => {
      const time = clock();
      const ext = storage({ now: time.now }).extension('acme.expiry');
      await ext.global.setMany([
        { key: 'a', value: '1', ttl: MINUTE },
        { key: 'b', value: '2', ttl: 2 * MINUTE },
        { key: 'c', value: '3' },
      ]);
      time.advance(MINUTE);
      expect(await ext.global.delete('a')).toBe(false);
      expect(await ext.global.deleteMany(['a', 'b', 'c'])).toBe(2);
      expect(await ext.global.count()).toBe(0);
    });

    test('increment: an expired counter starts again at 0; expiry options apply to a counter it creates', async () => {
      const time = clock();
      const ext = storage({ now: time.now }).extension('acme.expiry', { user: { id: 3 } });
      expect(await ext.user.increment('hits', 1, { ttl: MINUTE })).toBe(1);
      time.advance(30_000);
      expect(await ext.user.increment('hits', 2, { ttl: MINUTE })).toBe(3); // a live counter keeps its window
      const live = await ext.user.get('hits');
      expect(live).toMatchObject({ version: 2, expiresAt: time.at(MINUTE) });
      time.advance(30_000);
      expect(await ext.user.increment('hits', 5, { ttl: MINUTE })).toBe(5);
      const renewed = await ext.user.get('hits');
      expect(renewed).toMatchObject({ version: 1, expiresAt: time.at(2 * MINUTE) });
      expect(renewed!.uuid).not.toBe(live!.uuid);
      // An expired entry that held no integer (even an encrypted one) is a fresh counter too.
      await ext.user.set('text', 'not a number', { ttl: MINUTE, category: 'kept?' });
      await expect(ext.user.increment('text')).rejects.toMatchObject({ code: 'VALIDATION' });
      time.advance(MINUTE);
      expect(await ext.user.increment('text', -4)).toBe(-4);
      expect(await ext.user.get('text')).toMatchObject({ category: null, expiresAt: null, valueType: 'application/json', version: 1 });
      expect(await ext.user.getJSON('text')).toBe(-4);
    });

    test('update keeps the expiry fn leaves out, and sees an expired entry as absent', async () => {
      const time = clock();
      const ext = storage({ now: time.now }).extension('acme.expiry');
      await ext.global.set('doc', 'a', { ttl: MINUTE });
      const kept = await ext.global.update('doc', (entry) => `${new TextDecoder().decode(entry!.value)}b`);
      expect(kept).toMatchObject({ version: 2, expiresAt: time.at(MINUTE) });
      const longer = await ext.global.update('doc', () => ({ value: 'c', ttl: 10 * MINUTE }));
      expect(longer.expiresAt).toEqual(time.at(10 * MINUTE));
      const never = await ext.global.update('doc', () => ({ value: 'd', expiresAt: null }));
      expect(never.expiresAt).toBeNull();
      await ext.global.set('gone', 'x', { ttl: MINUTE });
      time.advance(MINUTE);
      const seen: unknown[] = [];
      const fresh = await ext.global.update('gone', (entry) => {
        seen.push(entry);
        return 'fresh';
      });
      expect(seen).toEqual([null]);
      expect(fresh).toMatchObject({ version: 1, expiresAt: null });
    });

    test('transactions and setMany write expiries; a rolled-back expiry leaves the entry as it was', async () => {
      const time = clock();
      const s = storage({ now: time.now });
      const ext = s.extension('acme.expiry');
      await ext.global.set('keep', 'v');
      await s.transaction(async (tx) => {
        await tx.extension('acme.expiry').global.set('t', 'v', { ttl: MINUTE });
        await tx.extension('acme.expiry').global.increment('n', 1, { expiresAt: time.at(2 * MINUTE) });
      });
      await expect(
        s.transaction(async (tx) => {
          await tx.extension('acme.expiry').global.set('keep', 'w', { ttl: 1 });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      const written = await ext.global.setMany([
        { key: 'a', value: '1', ttl: 2 * MINUTE },
        { key: 'b', value: '2', expiresAt: time.at(3 * MINUTE) },
      ]);
      expect(written.map((info) => info.expiresAt)).toEqual([time.at(2 * MINUTE), time.at(3 * MINUTE)]);
      time.advance(MINUTE);
      expect((await ext.global.list()).items.map((item) => [item.key, item.expiresAt])).toEqual([
        ['a', time.at(2 * MINUTE)],
        ['b', time.at(3 * MINUTE)],
        ['keep', null],
        ['n', time.at(2 * MINUTE)],
      ]);
    });

    test('purgeExpired removes exactly the expired rows, in batches, and keeps usage exact', async () => {
      const time = clock();
      const s = storage({ now: time.now });
      const a = s.extension('acme.purge', { user: { id: 1 } });
      const b = s.extension('acme.purge2');
      for (let i = 0; i < 7; i++) await a.user.set(`short${i}`, new Uint8Array(10), { ttl: MINUTE });
      await a.global.set('later', new Uint8Array(20), { ttl: 5 * MINUTE });
      await a.resource('chart', 'c1').set('forever', new Uint8Array(30));
      await b.global.set('short', new Uint8Array(40), { ttl: MINUTE });
      // Expired rows count until purged.
      time.advance(MINUTE);
      expect(await a.usage()).toEqual({ bytes: 120, keys: 9 });
      expect(await s.purgeExpired({ batchSize: 3 })).toBe(8);
      expect(await s.purgeExpired()).toBe(0);
      expect(await a.usage()).toEqual({ bytes: 50, keys: 2 });
      expect(await b.usage()).toEqual({ bytes: 0, keys: 0 });
      expect(await a.global.getValue('later')).toHaveLength(20);
      const { recount, record } = await usageTables(query);
      expect(record).toEqual(recount);
      // A write over an expired row replaces it: usage counts the new value, once.
      time.advance(10 * MINUTE);
      await a.global.set('later', new Uint8Array(5));
      expect(await a.usage()).toEqual({ bytes: 35, keys: 2 });
      const controller = new AbortController();
      controller.abort();
      await a.global.set('x', 'y', { ttl: 1 });
      time.advance(1);
      await expect(s.purgeExpired({ signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
      expect(await s.purgeExpired({ batchSize: 1 })).toBe(1);
    });

    test('export carries each expiry and import keeps it, expired entries included', async () => {
      const time = clock();
      const s = storage({ now: time.now });
      const ext = s.extension('acme.transfer');
      await ext.global.set('soon', 'a', { ttl: MINUTE });
      await ext.global.set('gone', 'b', { expiresAt: time.at(-MINUTE) });
      await ext.global.set('never', 'c');
      const exported: ExportedEntry[] = [];
      for await (const entry of s.exportEntries()) exported.push(entry);
      expect(Object.fromEntries(exported.map((entry) => [entry.key, entry.expiresAt]))).toEqual({
        soon: time.at(MINUTE),
        gone: time.at(-MINUTE),
        never: null,
      });
      await s.purgeExtension('acme.transfer');
      await s.importEntries(exported);
      expect((await ext.global.list()).items.map((item) => [item.key, item.expiresAt])).toEqual([
        ['never', null],
        ['soon', time.at(MINUTE)],
      ]);
      expect(await s.purgeExpired()).toBe(1);
      // An export of an older release has no expiresAt: never expires.
      await s.purgeExtension('acme.transfer');
      const { expiresAt: _dropped, ...older } = exported.find((entry) => entry.key === 'soon')!;
      await s.importEntries([older]);
      expect((await ext.global.get('soon'))?.expiresAt).toBeNull();
      await expect(s.importEntries([{ ...older, key: 'bad', uuid: crypto.randomUUID(), expiresAt: 'tomorrow' as never }])).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('"expiresAt"'),
      });
    });

    test('usage equals a recount after a random concurrent workload with expiries, purges and cleanups', async () => {
      const time = clock();
      const s = storage({ now: time.now });
      const ops = fc.oneof(
        fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 7 }), size: fc.integer({ min: 0, max: 40 }), ttl: fc.option(fc.integer({ min: 1, max: 3 * MINUTE })) }),
        fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ op: fc.constant('setMany' as const), keys: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 4 }), ttl: fc.option(fc.integer({ min: 1, max: MINUTE })) }),
        fc.record({ op: fc.constant('deleteMany' as const), keys: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 4 }) }),
        fc.record({ op: fc.constant('increment' as const), key: fc.integer({ min: 0, max: 7 }), ttl: fc.option(fc.integer({ min: 1, max: MINUTE })) }),
        fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: MINUTE }) }),
        fc.record({ op: fc.constant('purge' as const) }),
        fc.record({ op: fc.constant('deleteUser' as const) }),
        fc.record({ op: fc.constant('deleteResource' as const) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(ops, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (rounds) => {
          await s.purgeExtension('acme.work');
          for (const round of rounds) {
            // Each round's operations run side by side; a conflict of two batches is an expected outcome.
            await Promise.allSettled(
              round.map(async (step, index) => {
                const ext = s.extension('acme.work', { user: { id: index % 2 } });
                const scope = index % 3 === 0 ? ext.global : index % 3 === 1 ? ext.user : ext.resource('chart', 'c');
                const ttl = 'ttl' in step && step.ttl !== null ? { ttl: step.ttl } : {};
                switch (step.op) {
                  case 'set':
                    return scope.set(`k${step.key}`, new Uint8Array(step.size), ttl);
                  case 'delete':
                    return scope.delete(`k${step.key}`);
                  case 'setMany':
                    return scope.setMany(step.keys.map((key) => ({ key: `k${key}`, value: 'x'.repeat(key), ...ttl })));
                  case 'deleteMany':
                    return scope.deleteMany(step.keys.map((key) => `k${key}`));
                  case 'increment':
                    return scope.increment(`n${step.key}`, 1, ttl);
                  case 'advance':
                    return time.advance(step.ms);
                  case 'purge':
                    return s.purgeExpired({ batchSize: 2 });
                  case 'deleteUser':
                    return s.deleteUser(index % 2, { batchSize: 3 });
                  case 'deleteResource':
                    return s.deleteResource('chart', 'c');
                }
              }),
            );
          }
          const { recount, record } = await usageTables(query);
          expect(record['acme.work'] ?? { bytes: 0, keys: 0 }).toEqual(recount['acme.work'] ?? { bytes: 0, keys: 0 });
        }),
        { numRuns: 15 },
      );
    }, 120_000);
  });
}
