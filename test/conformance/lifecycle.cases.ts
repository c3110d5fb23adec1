/**
 * Lifecycle: the usage record the database keeps, cleanup when an extension, a user or a resource goes
 * away, and the upgrade that fills the usage record from rows already stored.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { migrations as mysqlMigrations } from '../../src/dialects/mysql/migrations.js';
import { migrations as postgresMigrations } from '../../src/dialects/postgres/migrations.js';
import { migrations as sqliteMigrations } from '../../src/dialects/sqlite/migrations.js';
import { QuotaExceededError, type Migration, type ScopeStats, type UsageRecord } from '../../src/index.js';
import type { SuiteContext } from './suite.js';

const DASHBOARD = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

/** Usage recomputed from the rows, and the usage record, per extension (extensions with no rows left out). */
export async function usageTables(query: SuiteContext['query']): Promise<{ recount: Record<string, UsageRecord>; record: Record<string, UsageRecord> }> {
  const text = (value: unknown) => String(value); // MySQL returns VARBINARY as a Buffer: its UTF-8 text
  const recount: Record<string, UsageRecord> = {};
  for (const row of await query('SELECT extension_id, SUM(size) AS bytes, COUNT(*) AS n FROM extension_storage GROUP BY extension_id')) {
    recount[text(row.extension_id)] = { bytes: Number(row.bytes), keys: Number(row.n) };
  }
  const record: Record<string, UsageRecord> = {};
  for (const row of await query('SELECT extension_id, bytes, key_count FROM extension_storage_usage')) {
    if (Number(row.key_count) !== 0 || Number(row.bytes) !== 0) record[text(row.extension_id)] = { bytes: Number(row.bytes), keys: Number(row.key_count) };
  }
  return { recount, record };
}

function migrationsOf(dialect: string): readonly Migration[] {
  if (dialect === 'sqlite') return sqliteMigrations;
  if (dialect === 'mysql') return mysqlMigrations;
  return postgresMigrations;
}

export function lifecycleCases({ storage, test, query, dialect }: SuiteContext): void {
  describe('usage', () => {
    test('usage follows every write, replacement and delete, per extension', async () => {
      const s = storage({ encryptionKeys: 'lifecycle secret' });
      const ext = s.extension('acme.usage', { user: { id: 7 } });
      const other = s.extension('acme.usage2');
      expect(await ext.usage()).toEqual({ bytes: 0, keys: 0 });
      await ext.global.set('a', new Uint8Array(100));
      await ext.user.set('b', 'x'.repeat(50), { encrypt: true }); // counts the plaintext
      await ext.resource('dashboard', DASHBOARD).set('c', new Uint8Array(10));
      await other.global.set('a', new Uint8Array(1000));
      expect(await ext.usage()).toEqual({ bytes: 160, keys: 3 });
      await ext.global.set('a', new Uint8Array(30)); // shrinks
      await ext.global.set('a', new Uint8Array(30)); // same size
      expect(await s.usage('acme.usage')).toEqual({ bytes: 90, keys: 3 });
      await ext.user.delete('b');
      expect(await ext.usage()).toEqual({ bytes: 40, keys: 2 });
      expect(await other.usage()).toEqual({ bytes: 1000, keys: 1 });
      expect(await s.usage('acme.never')).toEqual({ bytes: 0, keys: 0 });
      const { recount, record } = await usageTables(query);
      expect(record).toEqual(recount);
    });
  });

  describe('quotas', () => {
    test('a write past the bytes quota is refused and writes nothing; reaching it exactly succeeds', async () => {
      const s = storage({ limits: { quotaBytesPerExtension: 100 } });
      const ext = s.extension('acme.quota');
      await ext.global.set('a', new Uint8Array(60));
      await ext.global.set('b', new Uint8Array(40)); // exactly at the quota
      const error = await ext.global.set('c', new Uint8Array(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QuotaExceededError);
      expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', kind: 'bytes', used: 100, limit: 100 });
      expect(await ext.global.get('c')).toBeNull();
      expect(await ext.usage()).toEqual({ bytes: 100, keys: 2 });
      // A replacement is judged by the difference it makes.
      await expect(ext.global.set('a', new Uint8Array(61))).rejects.toMatchObject({ kind: 'bytes', used: 100 });
      expect((await ext.global.get('a'))?.version).toBe(1);
      await ext.global.set('a', new Uint8Array(10)); // shrinking
      await ext.global.set('c', new Uint8Array(50)); // back to exactly 100
      expect(await ext.usage()).toEqual({ bytes: 100, keys: 3 });
      await s.extension('acme.other').global.set('full', new Uint8Array(100)); // each extension has its own quota
    });

    test('a new entry past the keys quota is refused; replacing an entry is not a new one', async () => {
      const s = storage({ limits: { quotaKeysPerExtension: 2 } });
      const ext = s.extension('acme.quota', { user: { id: 1 } });
      await ext.global.set('a', 'x');
      await ext.user.set('b', 'x');
      await expect(ext.resource('chart', 1).set('c', 'x')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', kind: 'keys', used: 2, limit: 2 });
      await ext.user.set('b', 'a longer value');
      await ext.global.delete('a');
      await ext.resource('chart', 1).set('c', 'x');
      expect(await ext.usage()).toEqual({ bytes: 15, keys: 2 });
    });

    test('the quota function overrides the defaults per extension, and a lowered quota still lets entries shrink', async () => {
      let premium = 1000;
      const s = storage({
        limits: { quotaBytesPerExtension: 10 },
        quota: (id) => (id === 'acme.premium' ? { bytes: premium } : undefined),
      });
      await s.extension('acme.premium').global.set('k', new Uint8Array(800));
      await expect(s.extension('acme.basic').global.set('k', new Uint8Array(11))).rejects.toMatchObject({ limit: 10 });
      premium = 500; // lowered below what is stored: growing is refused, shrinking is not
      await expect(s.extension('acme.premium').global.set('k2', new Uint8Array(1))).rejects.toMatchObject({ used: 800, limit: 500 });
      await s.extension('acme.premium').global.set('k', new Uint8Array(700));
      expect(await s.usage('acme.premium')).toEqual({ bytes: 700, keys: 1 });
      // Another storage without quotas (a host that removed them) writes freely again.
      await storage().extension('acme.basic').global.set('k', new Uint8Array(11));
    });

    test('every write path keeps to the quota: increment, setMany (all or none), transactions', async () => {
      const s = storage({ limits: { quotaKeysPerExtension: 3 } });
      const ext = s.extension('acme.paths');
      await ext.global.increment('a');
      await ext.global.setMany([
        { key: 'b', value: 'x' },
        { key: 'c', value: 'y' },
      ]);
      await expect(ext.global.increment('d')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', kind: 'keys', used: 3 });
      await expect(ext.global.setMany([{ key: 'b', value: 'replaced' }, { key: 'e', value: 'new' }])).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect(await ext.global.getText('b')).toBe('x'); // the batch wrote nothing
      await expect(
        s.transaction(async (tx) => {
          await tx.extension('acme.paths').global.delete('a');
          await tx.extension('acme.paths').global.set('f', 'fits once a is gone');
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await ext.usage()).toEqual({ bytes: 3, keys: 3 });
      expect(await ext.global.get('a')).not.toBeNull();
      await s.transaction(async (tx) => {
        await tx.extension('acme.paths').global.delete('a');
        await tx.extension('acme.paths').global.set('f', 'fits');
      });
      expect(await ext.usage()).toEqual({ bytes: 6, keys: 3 });
      const { recount, record } = await usageTables(query);
      expect(record).toEqual(recount);
    });

    test('a refused write caught inside a transaction never turns into a silent rollback of the rest', async () => {
      const s = storage({ limits: { quotaKeysPerExtension: 2 } });
      const outcome = await s
        .transaction(async (tx) => {
          const global = tx.extension('acme.caught').global;
          await global.set('a', '1');
          await global.set('b', '2');
          await global.set('c', '3').catch((error: unknown) => expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED' }));
          return 'resolved';
        })
        .catch((error: unknown) => error);
      const count = await s.extension('acme.caught').global.count();
      // Either the transaction commits what succeeded (SQLite, MySQL: a failed statement is undone alone),
      // or it fails as a whole (PostgreSQL aborts it): never resolved with nothing committed.
      if (outcome === 'resolved') expect(count).toBe(2);
      else {
        expect(outcome).toMatchObject({ code: 'DATABASE' });
        expect(count).toBe(0);
      }
    });

    test('32 concurrent writers of one extension never go past its quota', async () => {
      const s = storage({ limits: { quotaBytesPerExtension: 100 } });
      const ext = s.extension('acme.race');
      const results = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => ext.global.set(`k${i}`, new Uint8Array(10))));
      const refused = results.filter((r) => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect(await ext.usage()).toEqual({ bytes: 100, keys: 10 });
      const { recount, record } = await usageTables(query);
      expect(record).toEqual(recount);
    });
  });

  describe('cleanup', () => {
    test('purgeExtension removes exactly that extension, in every scope, in batches', async () => {
      const s = storage();
      const ids = ['acme.ext', 'acme.ext2', 'acme.ext.sub', 'acme.ex'];
      for (const id of ids) {
        const ext = s.extension(id, { user: { id: 1 } });
        for (let i = 0; i < 5; i++) {
          await ext.global.set(`g${i}`, 'v');
          await ext.user.set(`u${i}`, 'v');
          await ext.resource('chart', i).set('r', 'v');
        }
      }
      expect(await s.purgeExtension('acme.ext', { batchSize: 4 })).toBe(15);
      expect(await s.usage('acme.ext')).toEqual({ bytes: 0, keys: 0 });
      expect(await s.extension('acme.ext', { user: { id: 1 } }).user.count()).toBe(0);
      for (const id of ids.slice(1)) expect(await s.usage(id)).toEqual({ bytes: 15, keys: 15 });
      expect(await s.purgeExtension('acme.ext')).toBe(0);
      const { recount, record } = await usageTables(query);
      expect(record).toEqual(recount);
    });

    test('deleteUser removes that user’s entries of every extension and nothing else', async () => {
      const s = storage();
      for (const id of ['acme.one', 'acme.two']) {
        for (const user of [7, 8]) {
          const ext = s.extension(id, { user: { id: user } });
          await ext.user.set('prefs', 'p');
          await ext.user.set('draft', 'd');
          await ext.global.set(`written-by-${user}`, 'g'); // a global entry the user wrote stays
          await ext.resource('dashboard', DASHBOARD).set(`by-${user}`, 'r');
        }
      }
      expect(await s.deleteUser(7, { batchSize: 1 })).toBe(4);
      for (const id of ['acme.one', 'acme.two']) {
        expect(await s.extension(id, { user: { id: 7 } }).user.count()).toBe(0);
        expect(await s.extension(id, { user: { id: 8 } }).user.count()).toBe(2);
        expect(await s.extension(id).global.count()).toBe(2); // never turned into global entries
        expect(await s.extension(id).resource('dashboard', DASHBOARD).count()).toBe(2);
      }
      expect(await s.deleteUser('7')).toBe(0);
      const { recount, record } = await usageTables(query);
      expect(record).toEqual(recount);
    });

    test('deleteResource removes that object’s entries of every extension and nothing else', async () => {
      const s = storage();
      const other = '00000000-0000-0000-0000-000000000001';
      for (const id of ['acme.one', 'acme.two']) {
        const ext = s.extension(id, { user: { id: 3 } });
        for (let i = 0; i < 3; i++) await ext.resource('dashboard', DASHBOARD).set(`k${i}`, 'v');
        await ext.resource('dashboard', other).set('k', 'v');
        await ext.resource('chart', DASHBOARD).set('k', 'v');
        await ext.global.set('k', 'v');
        await ext.user.set('k', 'v');
      }
      expect(await s.deleteResource('dashboard', DASHBOARD.toUpperCase(), { batchSize: 2 })).toBe(6);
      for (const id of ['acme.one', 'acme.two']) {
        const ext = s.extension(id, { user: { id: 3 } });
        expect(await ext.resource('dashboard', DASHBOARD).count()).toBe(0);
        expect(await ext.resource('dashboard', other).count()).toBe(1);
        expect(await ext.resource('chart', DASHBOARD).count()).toBe(1);
        expect(await ext.usage()).toEqual({ bytes: 4, keys: 4 });
      }
    });

    test('cleanup checks its arguments before any I/O and stops at an aborted signal', async () => {
      const s = storage();
      await s.extension('acme.one').global.set('k', 'v');
      await expect(s.purgeExtension('Not An Id')).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(s.deleteResource('dashboard', '')).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(s.deleteUser('7', { batchSize: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(s.purgeExpired({ batchSize: 10_001 })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(s.purgeExtension('acme.one', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
      await expect(s.purgeExpired({ batchSise: 10 } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
      expect(await s.usage('acme.one')).toEqual({ bytes: 1, keys: 1 });
    });

    test('stats narrowed to a cleanup count exactly what it removes, per extension and scope, and change nothing', async () => {
      const s = storage({ encryptionKeys: 'lifecycle secret' });
      for (const id of ['acme.one', 'acme.two']) {
        for (const user of [7, 8]) {
          const ext = s.extension(id, { user: { id: user } });
          await ext.user.set('prefs', 'pp');
          await ext.user.set('secret', 'sss', { encrypt: true });
          await ext.global.set(`by-${user}`, 'g');
          await ext.resource('dashboard', DASHBOARD).set(`by-${user}`, 'rrrr');
        }
      }
      const user7 = await s.stats({ userId: 7 });
      expect(user7).toEqual(['acme.one', 'acme.two'].map((extensionId) => ({ extensionId, scope: 'user', rows: 2, bytes: 5, encryptedRows: 1 })));
      expect(await s.stats({ userId: '7', extensionId: 'acme.two' })).toEqual([user7[1]]);
      const dashboard = await s.stats({ resourceType: 'dashboard', resourceId: DASHBOARD.toUpperCase() });
      expect(dashboard).toEqual(['acme.one', 'acme.two'].map((extensionId) => ({ extensionId, scope: 'resource', rows: 2, bytes: 8, encryptedRows: 0 })));
      expect(await s.stats({ resourceType: 'dashboard', resourceId: DASHBOARD, extensionId: 'acme.one' })).toEqual([dashboard[0]]);
      expect(await s.stats({ userId: 9 })).toEqual([]);
      // Counting changed nothing.
      expect(await s.usage('acme.one')).toEqual({ bytes: 2 * (5 + 1 + 4), keys: 8 });
      expect(await s.deleteUser(7, { batchSize: 1 })).toBe(4);
      expect(await s.deleteResource('dashboard', DASHBOARD)).toBe(4);
      expect(await s.stats({ userId: 7 })).toEqual([]);
      expect(await s.stats({ extensionId: 'acme.one' })).toEqual([
        { extensionId: 'acme.one', scope: 'global', rows: 2, bytes: 2, encryptedRows: 0 },
        { extensionId: 'acme.one', scope: 'user', rows: 2, bytes: 5, encryptedRows: 1 },
      ]);
      expect(await s.purgeExtension('acme.one')).toBe(4);
    });

    test('stats({ expired: true }) counts the rows expired at the storage clock, which purgeExpired removes', async () => {
      const s = storage();
      const ext = s.extension('acme.exp', { user: { id: 1 } });
      const past = { expiresAt: new Date('2000-01-01T00:00:00Z') };
      for (let i = 0; i < 5; i++) {
        await ext.global.set(`g${i}`, 'v'.repeat(i + 1), i < 3 ? past : i === 3 ? { expiresAt: new Date('2100-01-01T00:00:00Z') } : {});
      }
      await ext.user.set('u', 'uu', past);
      await s.extension('acme.other').resource('chart', 1).set('r', 'rrr', past);
      const expired = await s.stats({ expired: true });
      expect(expired).toEqual([
        { extensionId: 'acme.exp', scope: 'global', rows: 3, bytes: 6, encryptedRows: 0 },
        { extensionId: 'acme.exp', scope: 'user', rows: 1, bytes: 2, encryptedRows: 0 },
        { extensionId: 'acme.other', scope: 'resource', rows: 1, bytes: 3, encryptedRows: 0 },
      ]);
      // At a clock past 2100, g3 has expired too.
      const later = storage({ now: () => new Date('2100-01-02T00:00:00Z') });
      expect((await later.stats({ expired: true })).find((row) => row.scope === 'global')?.rows).toBe(4);
      const progress: number[] = [];
      expect(await s.purgeExpired({ batchSize: 2, onProgress: (removed) => progress.push(removed) })).toBe(5);
      expect(progress).toEqual([2, 4, 5]);
      expect(await s.stats({ expired: true })).toEqual([]);
      expect(await s.usage('acme.exp')).toEqual({ bytes: 4 + 5, keys: 2 });
    });

    test('stats filters are checked: a combination that selects no cleanup is a VALIDATION error', async () => {
      const s = storage();
      await expect(s.stats({ expired: true, extensionId: 'acme.one' })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('extensionId') });
      await expect(s.stats({ userId: 7, resourceType: 'dashboard', resourceId: 1 })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(s.stats({ resourceType: 'dashboard' })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('resourceId') });
      await expect(s.stats({ resourceId: 1 })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('resourceType') });
      await expect(s.stats({ userId: '' })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('userId') });
      await expect(s.stats({ expired: 'yes' as never })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('expired') });
      await expect(s.purgeExpired({ onProgress: 1 as never })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('onProgress') });
    });

    test('a cleanup gives the event loop a turn between batches: a signal aborted by a callback stops it', async () => {
      const s = storage();
      for (let i = 0; i < 20; i++) await s.extension('acme.turns').global.set(`k${i}`, 'v');
      const controller = new AbortController();
      setImmediate(() => controller.abort());
      const error = await s.purgeExtension('acme.turns', { batchSize: 1, signal: controller.signal }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/after removing \d+ entries/) });
      const { keys } = await s.usage('acme.turns');
      expect(keys).toBeGreaterThan(0);
      expect(keys).toBeLessThan(20);
      expect(await s.purgeExtension('acme.turns')).toBe(keys);
    });

    test('property: each cleanup removes exactly the rows, bytes and encrypted rows its dry run counted', async () => {
      const s = storage({ encryptionKeys: 'lifecycle secret' });
      const past = new Date('2000-01-01T00:00:00Z');
      const entry = fc.record({
        extension: fc.integer({ min: 0, max: 1 }),
        scope: fc.constantFrom('global', 'user', 'resource'),
        user: fc.integer({ min: 1, max: 3 }),
        resource: fc.integer({ min: 1, max: 2 }),
        key: fc.integer({ min: 0, max: 4 }),
        size: fc.integer({ min: 0, max: 20 }),
        encrypt: fc.boolean(),
        expired: fc.boolean(),
      });
      const cleanup = fc.oneof(
        fc.record({ kind: fc.constant('extension' as const), id: fc.integer({ min: 0, max: 2 }) }),
        fc.record({ kind: fc.constant('user' as const), id: fc.integer({ min: 1, max: 4 }) }),
        fc.record({ kind: fc.constant('resource' as const), id: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ kind: fc.constant('expired' as const) }),
      );
      const totals = (rows: readonly ScopeStats[]) => ({
        rows: rows.reduce((sum, row) => sum + row.rows, 0),
        bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
        encryptedRows: rows.reduce((sum, row) => sum + row.encryptedRows, 0),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(entry, { maxLength: 20 }), cleanup, async (entries, chosen) => {
          for (const id of ['acme.p0', 'acme.p1']) await s.purgeExtension(id);
          for (const e of entries) {
            const ext = s.extension(`acme.p${e.extension}`, { user: { id: e.user } });
            const scope = e.scope === 'global' ? ext.global : e.scope === 'user' ? ext.user : ext.resource('chart', e.resource);
            await scope.set(`k${e.key}`, new Uint8Array(e.size), e.expired ? { encrypt: e.encrypt, expiresAt: past } : { encrypt: e.encrypt });
          }
          const before = totals(await s.stats());
          const [filter, run] =
            chosen.kind === 'extension'
              ? [{ extensionId: `acme.p${chosen.id}` }, () => s.purgeExtension(`acme.p${chosen.id}`, { batchSize: 2 })]
              : chosen.kind === 'user'
                ? [{ userId: chosen.id }, () => s.deleteUser(chosen.id, { batchSize: 2 })]
                : chosen.kind === 'resource'
                  ? [{ resourceType: 'chart', resourceId: chosen.id }, () => s.deleteResource('chart', chosen.id, { batchSize: 2 })]
                  : [{ expired: true }, () => s.purgeExpired({ batchSize: 2 })];
          const counted = totals(await s.stats(filter));
          expect(totals(await s.stats())).toEqual(before); // counting changed nothing
          expect(await run()).toBe(counted.rows);
          const after = totals(await s.stats());
          expect({ rows: before.rows - after.rows, bytes: before.bytes - after.bytes, encryptedRows: before.encryptedRows - after.encryptedRows }).toEqual(counted);
          expect(totals(await s.stats(filter)).rows).toBe(0);
        }),
        { numRuns: 20 },
      );
    }, 120_000);

    test('recordedQuota reads the limits recorded in the usage row', async () => {
      const s = storage({ limits: { quotaBytesPerExtension: 1000 }, quota: (id) => (id === 'acme.big' ? { keys: 50 } : undefined) });
      expect(await s.recordedQuota('acme.big')).toEqual({ bytes: null, keys: null });
      await s.extension('acme.big').global.set('k', 'v');
      await s.extension('acme.small').global.set('k', 'v');
      expect(await s.recordedQuota('acme.big')).toEqual({ bytes: 1000, keys: 50 });
      expect(await s.recordedQuota('acme.small')).toEqual({ bytes: 1000, keys: null });
      await expect(s.recordedQuota('Not An Id')).rejects.toMatchObject({ code: 'VALIDATION' });
    });
  });

  describe('upgrade', () => {
    test('the migration that adds the usage record fills it from the rows already stored', async () => {
      const s = storage();
      for (let i = 0; i < 20; i++) await s.extension(`acme.e${i % 3}`).global.set(`k${i}`, new Uint8Array(i));
      // Back to the release before the lifecycle migration, keeping the rows; then upgrade again.
      const lifecycle = migrationsOf(dialect().name).find((m) => m.tag.endsWith('_lifecycle'))!;
      try {
        for (const statement of lifecycle.down) await query(statement);
        await query(`DELETE FROM extension_storage_migrations WHERE tag = '${lifecycle.tag}'`);
        expect(await query('SELECT COUNT(*) AS n FROM extension_storage')).toEqual([{ n: expect.anything() }]);
      } finally {
        // Also when the downgrade failed half-way: the cases after this one need the current schema.
        await s.migrate();
      }
      const { recount, record } = await usageTables(query);
      expect(Object.keys(record).sort()).toEqual(['acme.e0', 'acme.e1', 'acme.e2']);
      expect(record).toEqual(recount);
      expect(await s.usage('acme.e1')).toEqual({ bytes: 1 + 4 + 7 + 10 + 13 + 16 + 19, keys: 7 });
    });
  });
}
