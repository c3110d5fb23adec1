/**
 * Writes that compose: conditional writes, read-modify-write, counters, batches, transactions (the
 * library's own and the host's), and their behaviour under concurrency.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { z } from 'zod';
import { ConflictError, ExtensionStorage, ExtensionStorageError, type Dialect, type ScopeHandle, type TransactionStorage } from '../../src/index.js';
import type { SuiteContext } from './suite.js';

async function failure(promise: Promise<unknown>): Promise<ExtensionStorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected an error').toBeInstanceOf(ExtensionStorageError);
  return error as ExtensionStorageError;
}

async function conflict(promise: Promise<unknown>, currentVersion: number | null): Promise<void> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(ConflictError);
  expect(error.code).toBe('CONFLICT');
  expect((error as ConflictError).currentVersion).toBe(currentVersion);
  expect((error as ConflictError).retryable).toBe(false);
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  expect((await failure(promise)).code).toBe(code);
}

/** The settled result of `promise`, as `Promise.allSettled` gives it, handled from the start. */
const settledOf = (promise: Promise<unknown>): Promise<PromiseSettledResult<unknown>> =>
  promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8'));

export function writesCases({ name, storage, test, hosts, peer }: SuiteContext): void {
  const global = (s = storage()) => s.extension('acme.writes', { user: { id: 7 } }).global;

  describe('conditional writes', () => {
    test('ifVersion writes only over that version; a failed condition writes nothing', async () => {
      const g = global();
      await g.set('doc', 'v1');
      expect((await g.set('doc', 'v2', { ifVersion: 1 })).version).toBe(2);
      await conflict(g.set('doc', 'v3', { ifVersion: 1 }), 2);
      expect(await g.getText('doc')).toBe('v2');
      expect((await g.get('doc'))?.version).toBe(2);
      await conflict(g.set('missing', 'x', { ifVersion: 1 }), null);
      expect(await g.get('missing')).toBeNull();
    });

    test('ifAbsent writes only a new entry', async () => {
      const g = global();
      expect((await g.set('doc', 'first', { ifAbsent: true })).version).toBe(1);
      await conflict(g.set('doc', 'second', { ifAbsent: true }), 1);
      expect(await g.getText('doc')).toBe('first');
      await g.delete('doc');
      expect((await g.set('doc', 'again', { ifAbsent: true })).version).toBe(1);
    });

    test('ifMatch compares identity and version: a deleted and recreated entry never matches (no ABA)', async () => {
      const g = global();
      const first = await g.set('doc', 'v1');
      expect(first.etag).not.toBe('');
      await g.delete('doc');
      const second = await g.set('doc', 'v1 again');
      expect(second.version).toBe(first.version);
      expect(second.etag).not.toBe(first.etag);
      await conflict(g.set('doc', 'stale', { ifMatch: first.etag }), 1);
      await conflict(g.delete('doc', { ifMatch: first.etag }), 1);
      expect(await g.getText('doc')).toBe('v1 again');
      // ifVersion compares the version alone (documented): it matches the newcomer.
      expect((await g.set('doc', 'by version', { ifVersion: 1 })).version).toBe(2);
      const current = await g.get('doc');
      expect((await g.set('doc', 'by etag', { ifMatch: current!.etag })).version).toBe(3);
    });

    test('delete with ifVersion / ifMatch removes only the entry expected', async () => {
      const g = global();
      const info = await g.set('doc', 'v1');
      await g.set('doc', 'v2');
      await conflict(g.delete('doc', { ifVersion: 1 }), 2);
      await conflict(g.delete('doc', { ifMatch: info.etag }), 2);
      expect(await g.delete('doc', { ifVersion: 2 })).toBe(true);
      await conflict(g.delete('doc', { ifVersion: 2 }), null);
    });

    test('conditions are validated before any I/O', async () => {
      const g = global();
      await g.set('doc', 'v1');
      await rejectsWith(g.set('doc', 'x', { ifVersion: 1, ifAbsent: true }), 'VALIDATION');
      await rejectsWith(g.set('doc', 'x', { ifVersion: 1, ifMatch: 'x' }), 'VALIDATION');
      for (const ifVersion of [0, -1, 1.5, '1', Number.NaN]) {
        await rejectsWith(g.set('doc', 'x', { ifVersion: ifVersion as number }), 'VALIDATION');
      }
      for (const ifMatch of ['', 'nope', 7, `${'0'.repeat(36)}.1`]) await rejectsWith(g.set('doc', 'x', { ifMatch: ifMatch as string }), 'VALIDATION');
      await rejectsWith(g.set('doc', 'x', { ifAbsent: 'yes' as never }), 'VALIDATION');
      await rejectsWith(g.delete('doc', { ifVersion: 0 }), 'VALIDATION');
      // Unknown option names are refused everywhere, misspelt conditions included.
      await rejectsWith(g.set('doc', 'x', { ifversion: 1 } as never), 'VALIDATION');
      await rejectsWith(g.delete('doc', { ifAbsent: true } as never), 'VALIDATION');
      await rejectsWith(g.update('doc', () => ({ value: 'x', ifMatch: 'y' }) as never), 'VALIDATION');
      await rejectsWith(g.update('doc', () => 'x', { retry: 1 } as never), 'VALIDATION');
      await rejectsWith(g.setMany([{ key: 'doc', value: 'x', ifAbsnet: true } as never]), 'VALIDATION');
      await rejectsWith(storage().transaction(async () => 1, { retry: 1 } as never), 'VALIDATION');
      expect((await g.get('doc'))?.version).toBe(1);
    });

    test('64 concurrent ifAbsent writers of one new key: exactly one wins, the others get CONFLICT', async () => {
      const other = await peer();
      try {
        const handles = [global(), global(other ? new ExtensionStorage({ dialect: other.dialect }) : storage())];
        const results = await Promise.allSettled(
          Array.from({ length: 64 }, (_, i) => handles[i % 2]!.set('only-once', `writer ${i}`, { ifAbsent: true })),
        );
        const won = results.filter((result) => result.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') expect((result.reason as ExtensionStorageError).code).toBe('CONFLICT');
        }
        expect((await global().get('only-once'))?.version).toBe(1);
      } finally {
        await other?.close();
      }
    }, 60_000);
  });

  describe('update', () => {
    test('creates an absent entry, then rewrites it from what it holds, keeping what fn leaves out', async () => {
      const g = global();
      const created = await g.update('title', (entry) => {
        expect(entry).toBeNull();
        return { value: 'a', valueType: 'text/markdown', category: 'docs' };
      });
      expect(created.version).toBe(1);
      const info = await g.update('title', async (entry) => `${text(entry?.value)}b`);
      expect(info).toMatchObject({ version: 2, valueType: 'text/markdown', category: 'docs' });
      expect(await g.getText('title')).toBe('ab');
    });

    test('a conflicting writer makes fn run again on the fresh entry; past `retries` the CONFLICT is thrown', async () => {
      const g = global();
      await g.set('n', '0');
      let calls = 0;
      const info = await g.update('n', async (entry) => {
        calls++;
        if (calls === 1) await g.set('n', '10'); // a concurrent writer, between the read and the write
        return String(Number(text(entry!.value)) + 1);
      });
      expect(calls).toBe(2);
      expect(info.version).toBe(3);
      expect(await g.getText('n')).toBe('11');

      calls = 0;
      const error = await failure(
        g.update(
          'n',
          async () => {
            calls++;
            await g.set('n', 'interfering');
            return 'never';
          },
          { retries: 2 },
        ),
      );
      expect(error.code).toBe('CONFLICT');
      expect(calls).toBe(3);
      expect(await g.getText('n')).toBe('interfering');
      await rejectsWith(g.update('n', () => 'x', { retries: -1 }), 'VALIDATION');
      await rejectsWith(g.update('n', 'x' as never), 'VALIDATION');
    });

    test('update keeps an encrypted entry encrypted', async () => {
      const g = global(storage({ encryptionKeys: 'secret' }));
      await g.set('token', 'a', { encrypt: true });
      const info = await g.update('token', (entry) => `${text(entry?.value)}b`);
      expect(info.encrypted).toBe(true);
      expect(await g.getText('token')).toBe('ab');
    });

    test('updateJSON parses, checks against the schema, and stores JSON', async () => {
      const g = global();
      const schema = z.object({ hits: z.number().int() });
      expect(await g.updateJSON('stats', (s) => ({ hits: (s?.hits ?? 0) + 1 }), { schema })).toEqual({ hits: 1 });
      expect(await g.updateJSON('stats', (s) => ({ hits: (s?.hits ?? 0) + 1 }), { schema })).toEqual({ hits: 2 });
      expect((await g.get('stats'))?.valueType).toBe('application/json');
      await rejectsWith(g.updateJSON('stats', () => ({ hits: 'many' }) as never, { schema }), 'VALIDATION');
      expect(await g.getJSON('stats')).toEqual({ hits: 2 });
    });
  });

  describe('increment', () => {
    test('starts a missing entry at 0, adds in the database, and stores JSON decimal text', async () => {
      const g = global();
      expect(await g.increment('count')).toBe(1);
      expect(await g.increment('count', 41)).toBe(42);
      expect(await g.increment('count', -50)).toBe(-8);
      expect(await g.getJSON('count')).toBe(-8);
      const entry = await g.get('count');
      expect(entry).toMatchObject({ valueType: 'application/json', version: 3, size: 2 });
      expect(await g.increment('other', 0)).toBe(0);
      await g.setJSON('fromJson', 5, { category: 'kept' });
      expect(await g.increment('fromJson')).toBe(6);
      expect((await g.get('fromJson'))?.category).toBe('kept');
    });

    test('a stored value that is not a safe integer, an encrypted one, or an overflow is VALIDATION and writes nothing', async () => {
      const g = global(storage({ encryptionKeys: 'secret' }));
      for (const stored of ['1.5', ' 1', '1e3', 'abc', '', '-', '0x10', '12345678901234567', '1\u00002', '٣']) {
        await g.set('bad', stored);
        const before = await g.get('bad');
        await rejectsWith(g.increment('bad'), 'VALIDATION');
        expect(await g.get('bad')).toEqual(before);
      }
      await g.set('bytes', new Uint8Array([0x31, 0xff]));
      await rejectsWith(g.increment('bytes'), 'VALIDATION');
      await g.set('secret', '5', { encrypt: true });
      await rejectsWith(g.increment('secret'), 'VALIDATION');
      expect(await g.getText('secret')).toBe('5');
      await g.set('max', String(Number.MAX_SAFE_INTEGER));
      await rejectsWith(g.increment('max'), 'VALIDATION');
      expect(await g.increment('max', -1)).toBe(Number.MAX_SAFE_INTEGER - 1);
      await g.set('min', String(-Number.MAX_SAFE_INTEGER));
      await rejectsWith(g.increment('min', -1), 'VALIDATION');
      expect(await g.getText('min')).toBe(String(-Number.MAX_SAFE_INTEGER));
      for (const by of [1.5, Number.MAX_SAFE_INTEGER + 1, '1', Number.NaN]) await rejectsWith(g.increment('fresh', by as number), 'VALIDATION');
      expect(await g.get('fresh')).toBeNull();
    });
  });

  describe('batches', () => {
    test('getMany returns entries in the order of the keys, null where there is none', async () => {
      const g = global(storage({ encryptionKeys: 'secret' }));
      await g.set('a', 'A');
      await g.set('b', 'B', { encrypt: true });
      const entries = await g.getMany(['b', 'missing', 'a', 'b']);
      expect(entries.map((entry) => text(entry?.value) ?? null)).toEqual(['B', null, 'A', 'B']);
      expect(entries[0]?.encrypted).toBe(true);
      expect(await g.getMany([])).toEqual([]);
      await rejectsWith(g.getMany(Array.from({ length: 1001 }, (_, i) => `k${i}`)), 'VALIDATION');
      await rejectsWith(g.getMany(['ok', '']), 'VALIDATION');
      const many = Array.from({ length: 1000 }, (_, i) => `k${i}`);
      expect((await g.getMany(many)).every((entry) => entry === null)).toBe(true);
    });

    test('setMany writes all entries or none', async () => {
      const g = global();
      await g.set('exists', 'old');
      const infos = await g.setMany([
        { key: 'x', value: '1' },
        { key: 'exists', value: 'new', ifVersion: 1, category: 'c' },
      ]);
      expect(infos.map((info) => [info.key, info.version])).toEqual([
        ['x', 1],
        ['exists', 2],
      ]);
      // One invalid entry: nothing is written (validated before any I/O).
      await rejectsWith(
        g.setMany([
          { key: 'y', value: '1' },
          { key: 'z', value: 5 as never },
        ]),
        'VALIDATION',
      );
      // One failed condition: the entries before and after it are rolled back.
      await conflict(
        g.setMany([
          { key: 'y', value: '1' },
          { key: 'exists', value: 'newer', ifAbsent: true },
          { key: 'z', value: '1' },
        ]),
        2,
      );
      expect(await g.getMany(['y', 'z'])).toEqual([null, null]);
      expect(await g.getText('exists')).toBe('new');
      await rejectsWith(
        g.setMany([
          { key: 'y', value: '1' },
          { key: 'y', value: '2' },
        ]),
        'VALIDATION',
      );
      await rejectsWith(g.setMany(Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, value: 'v' }))), 'VALIDATION');
      expect(await g.setMany([])).toEqual([]);
      expect(await g.count()).toBe(2);
    });

    test('deleteMany removes the keys given and says how many there were', async () => {
      const g = global();
      await g.setMany([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'c', value: '3' },
      ]);
      const other = storage().extension('acme.other').global;
      await other.set('a', 'theirs');
      expect(await g.deleteMany(['a', 'c', 'missing', 'a'])).toBe(2);
      expect(await g.getMany(['a', 'b', 'c'])).toMatchObject([null, { key: 'b' }, null]);
      expect(await other.getText('a')).toBe('theirs');
      expect(await g.deleteMany([])).toBe(0);
    });
  });

  describe('transactions', () => {
    test("the storage's own handles inside its own transaction are refused, typed, instead of waiting for it forever", async () => {
      const s = storage();
      const outer = s.extension('acme.own').global;
      const attempts = await s.transaction(async (tx) => {
        await tx.extension('acme.own').global.set('inner', '1');
        // On one connection each would wait for the connection; on a pool for the usage row the
        // transaction has locked: both until the callback returns, which waits for them.
        return Promise.allSettled([outer.set('outer', '1'), s.usage('acme.own'), s.transaction(async () => 'nested on the storage')]);
      });
      for (const attempt of attempts) {
        expect(attempt).toMatchObject({ status: 'rejected', reason: { code: 'VALIDATION', message: expect.stringContaining("use the transaction's handles") } });
      }
      // Nothing hangs, nothing was written by the refused calls, and the storage goes on.
      expect(await outer.get('outer')).toBeNull();
      expect(await outer.getText('inner')).toBe('1');
      await outer.set('after', '1');
      expect(await s.usage('acme.own')).toEqual({ bytes: 2, keys: 2 });
      // What the callback scheduled to run after the transaction is not inside it any more.
      let later!: Promise<unknown>;
      await s.transaction(async () => {
        later = new Promise((resolve) => setTimeout(resolve, 30)).then(() => outer.set('later', '1'));
      });
      await later;
      expect(await outer.getText('later')).toBe('1');
    });

    test('a transaction commits when its callback resolves and leaves nothing when it throws', async () => {
      const s = storage();
      const result = await s.transaction(async (tx) => {
        const ext = tx.extension('acme.writes', { user: { id: 7 } });
        await ext.user.set('draft', 'text');
        return ext.global.increment('drafts');
      });
      expect(result).toBe(1);
      expect(await global(s).getText('drafts')).toBe('1');

      const boom = new Error('callback failed');
      const thrown = await s
        .transaction(async (tx) => {
          const ext = tx.extension('acme.writes', { user: { id: 7 } });
          await ext.global.set('draft2', 'text');
          await ext.global.increment('drafts');
          await ext.global.setMany([{ key: 'm', value: '1' }]);
          await ext.global.delete('drafts');
          throw boom;
        })
        .catch((error: unknown) => error);
      expect(thrown).toBe(boom);
      expect(await global(s).getMany(['draft2', 'm'])).toEqual([null, null]);
      expect(await global(s).getText('drafts')).toBe('1');
      await rejectsWith(s.transaction('x' as never), 'VALIDATION');
      await rejectsWith(s.transaction(async () => 1, { retries: 101 }), 'VALIDATION');
    });

    test("an operation on the storage itself, started inside its transaction's callback, is never part of it", async () => {
      const s = storage();
      let outside: Promise<unknown> | undefined;
      await s
        .transaction(async (tx) => {
          await tx.extension('acme.writes').global.set('inside', '1');
          outside = global(s).set('outside', '1').catch((error: unknown) => error);
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw new Error('roll back');
        })
        .catch(() => undefined);
      // Refused (it would wait for the transaction that waits for it), so not written either way.
      expect(await outside).toMatchObject({ code: 'VALIDATION' });
      expect((await global(s).getMany(['inside', 'outside'])).map((entry) => entry !== null)).toEqual([false, false]);
      // Started outside the callback, it is an operation of its own, whatever the transaction does.
      let release!: () => void;
      const held = s.transaction(async (tx) => {
        await tx.extension('acme.writes').global.set('inside', '1');
        await new Promise<void>((resolve) => (release = resolve));
        throw new Error('roll back');
      });
      // (Another extension: one sharing the transaction's usage row would wait for its lock, or on a
      // Galera cluster conflict with it at certification.)
      const beside = s.extension('acme.beside').global.set('beside', '1');
      await new Promise((resolve) => setTimeout(resolve, 20));
      release();
      await held.catch(() => undefined);
      await beside;
      expect(await global(s).get('inside')).toBeNull();
      expect(await s.extension('acme.beside').global.getText('beside')).toBe('1');
    });

    test('nested transactions are savepoints: an inner one rolls back alone', async () => {
      const s = storage();
      await s.transaction(async (tx) => {
        const g = tx.extension('acme.writes').global;
        await g.set('outer', '1');
        await tx.transaction(async (inner) => {
          await inner.extension('acme.writes').global.set('kept', '1');
        });
        await tx
          .transaction(async (inner) => {
            await inner.extension('acme.writes').global.set('undone', '1');
            throw new Error('inner');
          })
          .catch(() => undefined);
        await g.setMany([{ key: 'after', value: '1' }]);
      });
      const g = global(s);
      expect((await g.getMany(['outer', 'kept', 'undone', 'after'])).map((entry) => entry !== null)).toEqual([true, true, false, true]);
    });

    test('a deadlock between two transactions is a retryable CONFLICT, and `retries` runs the callback again', async () => {
      const other = await peer();
      try {
        const stores = [storage(), other ? new ExtensionStorage({ dialect: other.dialect }) : storage()];
        await global(stores[0]).setMany([
          { key: 'x', value: '0' },
          { key: 'y', value: '0' },
        ]);
        /** Two transactions writing x and y in opposite orders, each waiting (at most 300 ms) for the other's first write. */
        const crossed = async (retries: number) => {
          let firstWrites = 0;
          const bothWrote = async () => {
            firstWrites++;
            for (let waited = 0; firstWrites < 2 && waited < 300; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
          };
          let attempts = 0;
          const results = await Promise.allSettled(
            [
              ['x', 'y'],
              ['y', 'x'],
            ].map(([first, second], index) =>
              stores[index]!.transaction(
                async (tx) => {
                  attempts++;
                  const g = tx.extension('acme.writes', { user: { id: 7 } }).global;
                  await g.increment(first!);
                  await bothWrote();
                  await g.increment(second!);
                },
                { retries },
              ),
            ),
          );
          return { results, attempts };
        };
        const once = await crossed(0);
        for (const result of once.results) {
          if (result.status === 'rejected') {
            expect(result.reason).toBeInstanceOf(ConflictError);
            expect((result.reason as ConflictError).retryable).toBe(true);
            // No statement parameter (extension id, key) anywhere in the error chain.
            const messages: string[] = [];
            for (let e: unknown = result.reason; e instanceof Error; e = e.cause) messages.push(e.message);
            expect(messages.join(' | ')).not.toContain('acme.writes');
          }
        }
        expect(once.results.some((result) => result.status === 'fulfilled')).toBe(true);
        const retried = await crossed(3);
        expect(retried.results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
        const committed = once.results.filter((result) => result.status === 'fulfilled').length + 2;
        expect(await global(stores[0]).getMany(['x', 'y']).then((entries) => entries.map((entry) => text(entry?.value)))).toEqual([
          String(committed),
          String(committed),
        ]);
      } finally {
        await other?.close();
      }
    }, 60_000);

    test("the host's own transaction: its rollback undoes the library's writes, its commit keeps them", async () => {
      const s = storage();
      const forms = Object.entries(hosts());
      expect(forms.length).toBeGreaterThan(0);
      for (const [form, host] of forms) {
        const g = global(s);
        await g.set('counter', '0');
        const write = (hostTx: unknown, key: string) => {
          const view = s.withTransaction(hostTx).extension('acme.writes', { user: { id: 7 } });
          return Promise.all([
            view.global.set(key, form),
            view.global.increment('counter'),
            view.global.setMany([{ key: `${key}-batch`, value: '1' }]),
            view.global.delete('counter-missing'),
          ]);
        };
        const rolledBack = await host((hostTx) => write(hostTx, 'rolled-back'), true);
        expect(rolledBack, form).not.toHaveProperty('error');
        expect(await g.getMany(['rolled-back', 'rolled-back-batch']), form).toEqual([null, null]);
        expect(await g.getText('counter'), form).toBe('0');
        const committed = await host((hostTx) => write(hostTx, 'committed'), false);
        expect(committed, form).not.toHaveProperty('error');
        expect(await g.getText('committed'), form).toBe(form);
        expect(await g.getText('counter'), form).toBe('1');
        expect(await g.getText('committed-batch'), form).toBe('1');
        // A failed condition inside the host's transaction writes nothing of its batch.
        const failed = await host(
          (hostTx) =>
            s
              .withTransaction(hostTx)
              .extension('acme.writes', { user: { id: 7 } })
              .global.setMany([
                { key: 'partial', value: '1' },
                { key: 'committed', value: 'x', ifAbsent: true },
              ]),
          false,
        );
        expect((failed as { error: ExtensionStorageError }).error.code, form).toBe('CONFLICT');
        expect(await g.get('partial'), form).toBeNull();
        await g.deleteMany(['committed', 'committed-batch', 'counter']);
      }
      expect(() => s.withTransaction({ not: 'a transaction' })).toThrow(ExtensionStorageError);
    });

    test('side-by-side operations on one view run one after another in call order; a failing one undoes only its own writes', async () => {
      const s = storage();
      await global(s).set('taken', 'x');
      const settled = await s.transaction(async (tx) => {
        const ext = tx.extension('acme.writes', { user: { id: 7 } });
        const g = ext.global;
        return Promise.allSettled([
          ext.user.update('doc', async (entry) => {
            await sleep(5);
            return (entry === null ? '' : text(entry.value)!) + 'u';
          }),
          g.setMany([
            { key: 'a', value: '1' },
            { key: 'b', value: '2' },
          ]),
          // Its condition fails after its first write: its savepoint rolls back, and only its own writes go.
          g.setMany([
            { key: 'c', value: '3' },
            { key: 'taken', value: 'y', ifAbsent: true },
          ]),
          g.increment('n'),
          tx.transaction(async (inner) => {
            const ig = inner.extension('acme.writes').global;
            await ig.set('d', '4');
            await sleep(10);
            await ig.set('e', '5');
            throw new Error('inner');
          }),
          tx.transaction(async (inner) => {
            const ig = inner.extension('acme.writes').global;
            await ig.set('f', '6');
            await sleep(5);
            return ig.increment('n');
          }),
          g.increment('n'),
          g.getMany(['a', 'c', 'd', 'f']),
        ]);
      });
      expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(((settled[2] as PromiseRejectedResult).reason as ExtensionStorageError).code).toBe('CONFLICT');
      expect(((settled[4] as PromiseRejectedResult).reason as Error).message).toBe('inner');
      // Call order: the first increment sees 0, the nested transaction's the next, the last one 3.
      expect([3, 5, 6].map((index) => (settled[index] as PromiseFulfilledResult<unknown>).value)).toEqual([1, 2, 3]);
      // The read ran after everything called before it, and saw exactly what survived.
      const read = (settled[7] as PromiseFulfilledResult<({ value: Uint8Array } | null)[]>).value;
      expect(read.map((entry) => text(entry?.value))).toEqual(['1', undefined, undefined, '6']);
      const g = global(s);
      const after = await g.getMany(['a', 'b', 'c', 'd', 'e', 'f', 'n', 'taken']);
      expect(after.map((entry) => text(entry?.value))).toEqual(['1', '2', undefined, undefined, undefined, '6', '3', 'x']);
      expect(await s.extension('acme.writes', { user: { id: 7 } }).user.getText('doc')).toBe('u');
    });

    test("side-by-side operations in the host's transaction: a failing one undoes only its own writes", async () => {
      const s = storage();
      for (const [form, host] of Object.entries(hosts())) {
        const g = global(s);
        await g.set('taken', 'x');
        const outcome = await host((hostTx) => {
          const view = s.withTransaction(hostTx);
          const vg = view.extension('acme.writes').global;
          // Statements issued without awaiting, as a host's synchronous transaction (SQLite) needs.
          return Promise.allSettled([
            vg.setMany([{ key: 'a', value: '1' }]),
            vg.setMany([
              { key: 'c', value: '3' },
              { key: 'taken', value: 'y', ifAbsent: true },
            ]),
            vg.increment('n'),
            view.transaction(async (inner) => {
              const ig = inner.extension('acme.writes').global;
              void ig.set('d', '4');
              return ig.setMany([{ key: 'taken', value: 'z', ifAbsent: true }]);
            }),
            view.transaction(async (inner) => inner.extension('acme.writes').global.increment('n')),
            vg.increment('n'),
          ]);
        }, false);
        const results = outcome as PromiseSettledResult<unknown>[];
        expect(results.map((result) => result.status), form).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        expect([2, 4, 5].map((index) => (results[index] as PromiseFulfilledResult<unknown>).value), form).toEqual([1, 2, 3]);
        const after = await g.getMany(['a', 'c', 'd', 'n', 'taken']);
        expect(after.map((entry) => text(entry?.value)), form).toEqual(['1', undefined, undefined, '3', 'x']);
        await g.deleteMany(['a', 'n', 'taken']);
      }
    });

    test("an operation called from within another of the view (update's function, the outer view in a nested callback) is part of its turn", async () => {
      const s = storage();
      await s.transaction(async (tx) => {
        const g = tx.extension('acme.writes').global;
        await g.set('source', '5');
        // Waiting for its turn, each of these would wait for the operation it is called from: forever.
        await g.update('copy', async () => `${await g.getText('source')}!`);
        await tx
          .transaction(async () => {
            await g.set('outer-in-undone', '1');
            throw new Error('undo');
          })
          .catch(() => undefined);
        await tx.transaction(async () => {
          await g.set('outer-in-kept', '1');
        });
      });
      const g = global(s);
      expect((await g.getMany(['copy', 'outer-in-undone', 'outer-in-kept'])).map((entry) => text(entry?.value))).toEqual(['5!', undefined, '1']);
    }, 10_000);

    test('property: random side-by-side operations in one transaction, some failing, agree with a model run in call order', async () => {
      const s = storage();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(sideBySideOperation, { minLength: 1, maxLength: 12 }), fc.boolean(), async (operations, rollBack) => {
          const extensionId = `acme.side${++run}`;
          const model = new Map<string, string>();
          const expected = operations.map((operation) => applyToModel(model, operation));
          let outcomes: Outcome[] = [];
          const committed = await s
            .transaction(async (tx) => {
              outcomes = await Promise.all(operations.map((operation) => outcomeOf(runOperation(tx, extensionId, operation))));
              if (rollBack) throw ROLLED_BACK;
            })
            .then(
              () => true,
              (error: unknown) => {
                if (error !== ROLLED_BACK) throw error;
                return false;
              },
            );
          expect(committed).toBe(!rollBack);
          expect(outcomes).toEqual(expected);
          const stored = await s.extension(extensionId).global.getMany(SIDE_KEYS);
          expect(stored.map((entry) => text(entry?.value) ?? null)).toEqual(SIDE_KEYS.map((key) => (rollBack ? null : (model.get(key) ?? null))));
        }),
        { numRuns: name.startsWith('sqlite') ? 100 : 20 },
      );
    }, 180_000);

    test('the callback returning early: operations it started still belong to the transaction; later ones are refused', async () => {
      const s = storage();
      let late: ScopeHandle | undefined;
      let unawaited: Promise<unknown>[] = [];
      await s.transaction(async (tx) => {
        const g = tx.extension('acme.writes').global;
        late = g;
        unawaited = [
          g.set('a', '1'),
          g.setMany([{ key: 'b', value: '2' }]),
          tx.transaction(async (inner) => {
            await sleep(10);
            await inner.extension('acme.writes').global.set('c', '3');
          }),
          g.set('taken', 'y', { ifVersion: 7 }),
          g.increment('n'),
        ].map(settledOf);
      });
      const results = (await Promise.all(unawaited)) as PromiseSettledResult<unknown>[];
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      const g = global(s);
      expect((await g.getMany(['a', 'b', 'c', 'n', 'taken'])).map((entry) => text(entry?.value))).toEqual(['1', '2', '3', '1', undefined]);
      // The view's transaction has ended: an operation on it is refused, typed, and writes nothing.
      await rejectsWith(late!.set('late', '1'), 'VALIDATION');
      await rejectsWith(late!.get('a'), 'VALIDATION');
      expect(await g.get('late')).toBeNull();

      // A callback that throws while operations are queued: they are refused, nothing is written.
      const queued: Promise<unknown>[] = [];
      const boom = new Error('boom');
      const thrown = await s
        .transaction(async (tx) => {
          const tg = tx.extension('acme.writes').global;
          // Each handled where it is made: a rejection nobody handles is reported (unhandled) as usual.
          queued.push(...[tg.set('q1', '1'), tg.set('q2', '2'), tg.setMany([{ key: 'q3', value: '3' }])].map(settledOf));
          throw boom;
        })
        .catch((error: unknown) => error);
      expect(thrown).toBe(boom);
      for (const result of (await Promise.all(queued)) as PromiseSettledResult<unknown>[]) {
        if (result.status === 'rejected') expect((result.reason as ExtensionStorageError).code).toBe('VALIDATION');
      }
      expect(await g.getMany(['q1', 'q2', 'q3'])).toEqual([null, null, null]);
    });

    test("an operation on a host's view after the host's transaction ended is a typed error that writes nothing", async () => {
      const s = storage();
      for (const [form, host] of Object.entries(hosts())) {
        let view: ScopeHandle | undefined;
        await host(async (hostTx) => {
          view = s.withTransaction(hostTx).extension('acme.writes').global;
        }, false);
        // SQLite sees its connection out of the transaction; PGlite's transaction handle says it is closed.
        const error = await failure(view!.set('late', form));
        expect(error.code, form).toBe('VALIDATION');
        expect(await global(s).get('late'), form).toBeNull();
      }
    });
  });

  describe('concurrency', () => {
    /** Four storages over the database: the dialect under test and, where the database has them, three more connections. */
    async function fourStorages(): Promise<{ handles: ScopeHandle[]; close(): Promise<void> }> {
      const peers: { dialect: Dialect; close(): Promise<void> }[] = [];
      for (let i = 0; i < 3; i++) {
        const other = await peer();
        if (other) peers.push(other);
      }
      const dialects = [storage(), ...peers.map((p) => new ExtensionStorage({ dialect: p.dialect }))];
      while (dialects.length < 4) dialects.push(storage());
      return { handles: dialects.map((s) => global(s)), close: async () => void (await Promise.all(peers.map((p) => p.close()))) };
    }

    test('200 concurrent updates from 4 connections lose nothing', async () => {
      const { handles, close } = await fourStorages();
      try {
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            handles[i % 4]!.update('n', (entry) => String(Number(text(entry?.value) ?? '0') + 1), { retries: 100 }),
          ),
        );
        expect(results).toHaveLength(200);
        expect(await handles[0]!.getText('n')).toBe('200');
      } finally {
        await close();
      }
    }, 120_000);

    test('200 concurrent increments from 4 connections lose nothing', async () => {
      const { handles, close } = await fourStorages();
      try {
        const values = await Promise.all(Array.from({ length: 200 }, (_, i) => handles[i % 4]!.increment('n')));
        expect(new Set(values).size).toBe(200);
        expect(Math.max(...values)).toBe(200);
        expect(await handles[0]!.getJSON('n')).toBe(200);
        expect((await handles[0]!.get('n'))?.version).toBe(200);
      } finally {
        await close();
      }
    }, 120_000);
  });

}

const SIDE_KEYS = ['a', 'b', 'c'];
const sideKey = fc.constantFrom(...SIDE_KEYS);
const sideValue = fc.constantFrom('1', '-3', '07', 'x');
const sideBySideOperation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: sideKey, value: sideValue, ifAbsent: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), key: sideKey }),
  fc.record({ kind: fc.constant('update' as const), key: sideKey, suffix: fc.constantFrom('1', 'z') }),
  fc.record({ kind: fc.constant('increment' as const), key: sideKey, by: fc.integer({ min: -3, max: 3 }) }),
  fc.record({
    kind: fc.constant('setMany' as const),
    entries: fc.uniqueArray(fc.record({ key: sideKey, value: sideValue, ifAbsent: fc.boolean() }), { selector: (entry) => entry.key, minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('getMany' as const), keys: fc.uniqueArray(sideKey, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('nested' as const), writes: fc.array(fc.record({ key: sideKey, value: sideValue }), { minLength: 1, maxLength: 3 }), fail: fc.boolean() }),
);
type SideBySideOperation = typeof sideBySideOperation extends fc.Arbitrary<infer T> ? T : never;
type Outcome = { ok: true; value: unknown } | { ok: false; code: string };

const ROLLED_BACK = new Error('rolled back on purpose');
const INTEGER_TEXT = /^-?[0-9]{1,16}$/;

/** What `operation` returns when run alone on the entries of `model`, which it updates. */
function applyToModel(model: Map<string, string>, operation: SideBySideOperation): Outcome {
  switch (operation.kind) {
    case 'set':
      if (operation.ifAbsent && model.has(operation.key)) return { ok: false, code: 'CONFLICT' };
      model.set(operation.key, operation.value);
      return { ok: true, value: null };
    case 'delete':
      return { ok: true, value: model.delete(operation.key) };
    case 'update':
      model.set(operation.key, (model.get(operation.key) ?? '') + operation.suffix);
      return { ok: true, value: null };
    case 'increment': {
      const current = model.get(operation.key);
      if (current !== undefined && !INTEGER_TEXT.test(current)) return { ok: false, code: 'VALIDATION' };
      const sum = Number(current ?? 0) + operation.by;
      model.set(operation.key, String(sum));
      return { ok: true, value: sum };
    }
    case 'setMany':
      if (operation.entries.some((entry) => entry.ifAbsent && model.has(entry.key))) return { ok: false, code: 'CONFLICT' };
      for (const entry of operation.entries) model.set(entry.key, entry.value);
      return { ok: true, value: null };
    case 'getMany':
      return { ok: true, value: operation.keys.map((key) => model.get(key) ?? null) };
    case 'nested':
      if (operation.fail) return { ok: false, code: 'ABORTED' };
      for (const write of operation.writes) model.set(write.key, write.value);
      return { ok: true, value: null };
  }
}

/** Starts `operation` on the transaction's view, its result in the shape `applyToModel` returns. */
async function runOperation(tx: TransactionStorage, extensionId: string, operation: SideBySideOperation): Promise<unknown> {
  const scope = tx.extension(extensionId).global;
  switch (operation.kind) {
    case 'set':
      return scope.set(operation.key, operation.value, { ifAbsent: operation.ifAbsent || undefined }).then(() => null);
    case 'delete':
      return scope.delete(operation.key);
    case 'update':
      return scope.update(operation.key, (entry) => (entry === null ? '' : text(entry.value)!) + operation.suffix).then(() => null);
    case 'increment':
      return scope.increment(operation.key, operation.by);
    case 'setMany':
      return scope.setMany(operation.entries.map(({ key, value, ifAbsent }) => ({ key, value, ifAbsent }))).then(() => null);
    case 'getMany':
      return scope.getMany(operation.keys).then((entries) => entries.map((entry) => text(entry?.value) ?? null));
    case 'nested':
      return tx.transaction(async (inner) => {
        const innerScope = inner.extension(extensionId).global;
        for (const write of operation.writes) await innerScope.set(write.key, write.value);
        if (operation.fail) throw new ExtensionStorageError('ABORTED', 'nested transaction rolled back on purpose');
        return null;
      });
  }
}

async function outcomeOf(promise: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (!(error instanceof ExtensionStorageError)) throw error;
    return { ok: false, code: error.code };
  }
}
