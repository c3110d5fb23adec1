/**
 * MySQL-specific checks on the throwaway MariaDB server: the query plans of the hot statements and the
 * shape of the indexes, three processes on one database, concurrent migrations, the other client
 * forms, and dates under a session time zone other than UTC.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { drizzle } from 'drizzle-orm/mysql2';
import mysql2, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExtensionStorage, ExtensionStorageError } from '../../src/index.js';
import { mysql } from '../../src/dialects/mysql/index.js';
import { migrations } from '../../src/dialects/mysql/migrations.js';
import { createTempDatabase, type TempDatabase } from '../setup/databases.js';

const mysqlUrl = inject('mysqlUrl');

async function rows(pool: Pool, statement: string, values?: unknown[]): Promise<RowDataPacket[]> {
  const [result] = await pool.query<RowDataPacket[]>(statement, values);
  return result;
}

/** A statement sent through a recording pool, and how (`query`: client-side, `execute`: server-side prepared). */
interface Recorded {
  sql: string;
  values: unknown[];
  via: 'query' | 'execute';
}

/**
 * A pool that records the statements sent through it (they run unchanged). It hides the callback-API
 * pool under the promise one (`pool`), which the library otherwise runs its statements on directly.
 */
function recordingPool(pool: Pool): { pool: Pool; take(): Recorded[] } {
  let seen: Recorded[] = [];
  const proxy = new Proxy(pool, {
    get(target, property) {
      if (property === 'pool') return undefined;
      if (property === 'query' || property === 'execute') {
        const via = property;
        return (options: string | { sql: string }, values: unknown[] = []) => {
          seen.push({ sql: typeof options === 'string' ? options : options.sql, values, via });
          return via === 'query' ? target.query(options as string, values) : target.execute(options as string, values as never);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    pool: proxy,
    take: () => {
      const taken = seen;
      seen = [];
      return taken;
    },
  };
}

/** Runs `body` with a migrated storage over a pool of `connectionLimit` on a database of its own, dropped after. */
async function onFreshDatabase(connectionLimit: number, body: (pool: Pool, storage: ExtensionStorage) => Promise<void>): Promise<void> {
  const fresh = await createTempDatabase(mysqlUrl!);
  const pool = mysql2.createPool({ uri: fresh.url, connectionLimit });
  try {
    const storage = new ExtensionStorage({ dialect: mysql(pool) });
    await storage.migrate();
    await body(pool, storage);
  } finally {
    await pool.end();
    await fresh.drop();
  }
}

describe.skipIf(!mysqlUrl)('mysql dialect on MariaDB', () => {
  let database: TempDatabase;
  let pool: Pool;
  beforeAll(async () => {
    database = await createTempDatabase(mysqlUrl!);
    pool = mysql2.createPool({ uri: database.url, connectionLimit: 8 });
    await new ExtensionStorage({ dialect: mysql(pool) }).migrate();
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  describe('query plans', () => {
    it('every hot query is answered from the intended B-tree index, listing without a sort', async () => {
      const recorder = recordingPool(pool);
      const storage = new ExtensionStorage({ dialect: mysql(recorder.pool) });
      const ext = storage.extension('acme.plans', { user: { id: 7 } });
      const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(
          keys.slice(i, i + 50).flatMap((key, j) => [
            ext.global.set(key, 'v', { category: (i + j) % 2 ? 'odd' : 'even' }),
            ext.user.set(key, 'u'),
            storage.extension('acme.other').global.set(key, 'o'),
          ]),
        );
      }
      await rows(pool, 'ANALYZE TABLE extension_storage');
      recorder.take();

      const first = await ext.global.list({ limit: 5 });
      const odd = await ext.global.list({ limit: 5, category: 'odd' });
      const hot: [string, () => Promise<unknown>][] = [
        ['list, first page', () => ext.global.list({ limit: 5 })],
        ['list, next page', () => ext.global.list({ limit: 5, cursor: first.nextCursor })],
        ['list by category and prefix', () => ext.global.list({ limit: 5, category: 'odd', prefix: 'k1' })],
        ['list by category, next page', () => ext.global.list({ limit: 5, category: 'odd', cursor: odd.nextCursor })],
        ['count by prefix', () => ext.global.count({ prefix: 'k1' })],
        ['count by category', () => ext.global.count({ category: 'even' })],
        ['get', () => ext.global.get('k1')],
        ['delete', () => ext.global.delete('k2')],
      ];
      for (const [name, operation] of hot) {
        recorder.take();
        await operation();
        const statements = recorder.take();
        expect(statements, name).toHaveLength(1);
        const { sql, values, via } = statements[0]!;
        const plan =
          via === 'execute' ? (await pool.execute<RowDataPacket[]>(`EXPLAIN ${sql}`, values as never))[0] : await rows(pool, `EXPLAIN ${sql}`, values);
        expect(plan, `${name}: ${sql}`).toHaveLength(1);
        const [step] = plan as { type: string; key: string | null; key_len: string | null; Extra: string | null }[];
        const context = `${name}: ${JSON.stringify(step)}`;
        expect(step!.type, context).not.toBe('ALL');
        const category = /category/.test(name);
        expect(step!.key, context).toBe(category ? 'extension_storage_scoped_category' : 'extension_storage_scoped_key');
        // Every part of the index, the key included, narrows the scan: 255+2, 255+2, 64+2, 1020+2, 1020+2
        // bytes (and 256+2+1 for the nullable category).
        expect(Number(step!.key_len), context).toBe(category ? 2883 : 2624);
        expect(step!.Extra ?? '', context).not.toMatch(/filesort|temporary/i);
        if (name.startsWith('list')) expect(sql, name).toMatch(/FORCE INDEX/);
      }
      // purgeExpired finds its batch through the index on expires_at, oldest first, without a filesort.
      for (let i = 0; i < 50; i++) await ext.global.set(`expired${i}`, 'v', { expiresAt: new Date(Date.now() - 1000) });
      await rows(pool, 'ANALYZE TABLE extension_storage');
      recorder.take();
      expect(await storage.purgeExpired({ batchSize: 10 })).toBe(50);
      const purge = recorder.take().filter((statement) => /`expires_at` <=/.test(statement.sql));
      expect(purge.length).toBeGreaterThan(0);
      const { sql, values } = purge[0]!;
      const [step] = (await pool.execute<RowDataPacket[]>(`EXPLAIN ${sql}`, values as never))[0] as { type: string; key: string | null; Extra: string | null }[];
      expect(step!.key, JSON.stringify(step)).toBe('extension_storage_expires_at');
      expect(step!.type, JSON.stringify(step)).toBe('range');
      expect(step!.Extra ?? '', JSON.stringify(step)).not.toMatch(/filesort|temporary/i);
    }, 120_000);

    it('the unique index is a real B-tree, not the hash index MariaDB builds for oversized keys', async () => {
      const indexes = await rows(pool, 'SHOW INDEX FROM extension_storage');
      const byName = (name: string) => indexes.filter((row) => row.Key_name === name);
      const scopedKey = byName('extension_storage_scoped_key');
      expect(scopedKey.map((row) => row.Column_name)).toEqual(['extension_id', 'user_id', 'resource_type', 'resource_id', 'key']);
      expect(scopedKey.every((row) => row.Index_type === 'BTREE' && Number(row.Non_unique) === 0)).toBe(true);
      const category = byName('extension_storage_scoped_category');
      const categoryColumns = ['extension_id', 'user_id', 'resource_type', 'resource_id', 'category', 'key'];
      expect(category.map((row) => row.Column_name)).toEqual(categoryColumns);
      expect(category.every((row) => row.Index_type === 'BTREE')).toBe(true);
      const [create] = await rows(pool, 'SHOW CREATE TABLE extension_storage');
      const ddl = String(create!['Create Table']);
      expect(ddl).not.toMatch(/USING HASH/i);
      expect(ddl).toMatch(/`key` varbinary\(1020\) NOT NULL/);
      expect(ddl).toMatch(/`value` longblob NOT NULL/);
      expect(ddl).toMatch(/`created_at` datetime\(3\) NOT NULL/);
    });

  });

  describe('three processes on one database', () => {
    it('interleaved writers lose nothing, and each reads back what the others wrote', async () => {
      const storage = new ExtensionStorage({ dialect: mysql(pool) });
      await storage.migrate();
      const writers = 3;
      const perWriter = 150;
      const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
      const script = join(process.cwd(), 'test', 'dialects', 'mysql-writer.ts');
      const runs = await Promise.all(
        Array.from({ length: writers }, (_, index) =>
          promisify(execFile)(tsx, [script, database.url, String(index), String(writers), String(perWriter)], { timeout: 90_000 }),
        ),
      );
      for (const { stdout } of runs) expect(JSON.parse(stdout)).toEqual({ errors: [] });
      const scope = storage.extension('acme.writers').global;
      expect(await scope.count({ prefix: 'key-' })).toBe(writers * perWriter);
      for (let i = 0; i < writers * perWriter; i++) {
        expect(await scope.getText(`key-${String(i).padStart(6, '0')}`)).toBe(`written by ${i % writers}`);
      }
      expect((await scope.get('shared'))?.version).toBe(writers * perWriter);
    }, 120_000);
  });

  describe('a pool of one connection', () => {
    it('migrate(), a transaction or a host transaction as the first call works, and so does everything after it', async () => {
      const fresh = await createTempDatabase(mysqlUrl!);
      try {
        for (let run = 0; run < 2; run++) {
          // The second run finds the table migrated: migrate() is then the pool's first call on a new pool.
          const single = mysql2.createPool({ uri: fresh.url, connectionLimit: 1 });
          try {
            const storage = new ExtensionStorage({ dialect: mysql(single) });
            await storage.migrate();
            const scope = storage.extension('acme.single').global;
            await scope.set(`k${run}`, 'v');
            expect(await scope.getText(`k${run}`)).toBe('v');
            expect(await scope.increment('n')).toBe(run + 1);
            expect((await scope.setMany([{ key: 'a', value: '1' }])).length).toBe(1);
          } finally {
            await single.end();
          }
        }
        // A transaction's first write holds the only connection while the dialect first asks what the
        // server is: it must ask on that connection (it waited for a second one forever).
        for (const first of ['transaction', 'host transaction'] as const) {
          const single = mysql2.createPool({ uri: fresh.url, connectionLimit: 1 });
          try {
            const storage = new ExtensionStorage({ dialect: mysql(single) });
            if (first === 'transaction') {
              await storage.transaction(async (tx) => {
                await tx.extension('acme.single').global.set('t', 'v');
                await tx.extension('acme.single').global.setMany([{ key: 't2', value: 'v' }]);
              });
            } else {
              const connection = await single.getConnection();
              try {
                await connection.beginTransaction();
                await storage.withTransaction(connection).extension('acme.single').global.set('h', 'v');
                await connection.commit();
              } finally {
                connection.release();
              }
            }
            expect(await storage.extension('acme.single').global.getText(first === 'transaction' ? 't2' : 'h')).toBe('v');
          } finally {
            await single.end();
          }
        }
        // Six transactions at once on a pool of four, as its first work.
        const four = mysql2.createPool({ uri: fresh.url, connectionLimit: 4 });
        try {
          const storage = new ExtensionStorage({ dialect: mysql(four) });
          await Promise.all(Array.from({ length: 6 }, (_, i) => storage.transaction((tx) => tx.extension('acme.single').global.set(`p${i}`, 'v'))));
          expect(await storage.extension('acme.single').global.count({ prefix: 'p' })).toBe(6);
        } finally {
          await four.end();
        }
      } finally {
        await fresh.drop();
      }
    }, 30_000);
  });

  describe('deadlocks', () => {
    it('a setMany the server aborts with a deadlock writes none of its entries (its later statements are never sent)', () =>
      onFreshDatabase(12, async (_pool, storage) => {
        const scope = storage.extension('acme.batches').global;
        const keys = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`);
        let rejected = 0;
        for (let round = 0; round < 3; round++) {
          // Half the batches in reverse key order: they lock the same rows in opposite orders and deadlock.
          const outcomes = await Promise.allSettled(
            Array.from({ length: 12 }, (_, i) => scope.setMany((i % 2 ? keys : [...keys].reverse()).map((key) => ({ key, value: `r${round}b${i}` })))),
          );
          const failed = new Set(outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' ? [`r${round}b${i}`] : [])));
          for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'CONFLICT', retryable: true });
          rejected += failed.size;
          const stored = new Set((await scope.getMany(keys)).map((entry) => new TextDecoder().decode(entry!.value)));
          expect([...stored].filter((value) => failed.has(value))).toEqual([]);
          expect(stored.size).toBe(1);
        }
        expect(rejected).toBeGreaterThan(0);
      }), 60_000);

    it('an upsert the server aborts with a deadlock runs again, a bounded number of times', () =>
      onFreshDatabase(2, async (freshPool, storage) => {
        // A trigger that fails the next `n` inserts with the server's deadlock error. The counter lives
        // in a MEMORY table, which the aborted statement's rollback leaves alone.
        await freshPool.query('CREATE TABLE deadlocks (n int NOT NULL) ENGINE=MEMORY');
        await freshPool.query('INSERT INTO deadlocks VALUES (3)');
        await freshPool.query(`CREATE TRIGGER simulated_deadlock BEFORE INSERT ON extension_storage FOR EACH ROW
          BEGIN
            IF (SELECT n FROM deadlocks) > 0 THEN
              UPDATE deadlocks SET n = n - 1;
              SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'simulated deadlock';
            END IF;
          END`);
        const ext = storage.extension('acme.deadlocks');
        expect((await ext.global.set('k', 'v')).version).toBe(1);
        expect((await rows(freshPool, 'SELECT n FROM deadlocks'))[0]!.n).toBe(0);

        await freshPool.query('UPDATE deadlocks SET n = 1000');
        const error = await ext.global.set('k', 'w').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ExtensionStorageError);
        expect((error as ExtensionStorageError).code).toBe('DATABASE');
        expect(((error as Error).cause as { errno?: number }).errno).toBe(1213);
        const attempts = 1000 - Number((await rows(freshPool, 'SELECT n FROM deadlocks'))[0]!.n);
        expect(attempts).toBeGreaterThan(1);
        expect(attempts).toBeLessThanOrEqual(20);
        expect(await ext.global.getText('k')).toBe('v');
        expect((await ext.global.get('k'))?.version).toBe(1);
      }), 30_000);
  });

  describe('migrations', () => {
    it('concurrent migrate() from several connections applies the migration once', async () => {
      const fresh = await createTempDatabase(mysqlUrl!);
      const clients = await Promise.all(Array.from({ length: 6 }, () => mysql2.createConnection({ uri: fresh.url })));
      try {
        await Promise.all(clients.map((client) => new ExtensionStorage({ dialect: mysql(client) }).migrate()));
        const [ledger] = await clients[0]!.query<RowDataPacket[]>('SELECT tag FROM extension_storage_migrations');
        expect(ledger.map((row) => row.tag).sort()).toEqual(migrations.map((migration) => migration.tag));
        await Promise.all(clients.map((client) => new ExtensionStorage({ dialect: mysql(client) }).migrate()));
        const storages = clients.map((client) => new ExtensionStorage({ dialect: mysql(client) }));
        await Promise.all(storages.map((storage, i) => storage.extension('acme.migrated').global.set(`k${i}`, 'v')));
        expect(await storages[0]!.extension('acme.migrated').global.count()).toBe(clients.length);
        // No lock is left behind on any connection.
        const [locks] = await clients[0]!.query<RowDataPacket[]>(
          "SELECT IS_USED_LOCK(CONCAT('extension_storage_migrate:', MD5(DATABASE()))) AS holder",
        );
        expect(locks[0]!.holder).toBeNull();
      } finally {
        await Promise.all(clients.map((client) => client.end()));
        await fresh.drop();
      }
    }, 60_000);
  });

  describe('client forms', () => {
    it('accepts a Drizzle MySql2Database, a lone connection and a callback-style pool', async () => {
      const connection = await mysql2.createConnection({ uri: database.url });
      const callbackPool = (await import('mysql2')).createPool({ uri: database.url, connectionLimit: 2 });
      try {
        const forms = {
          drizzle: new ExtensionStorage({ dialect: mysql(drizzle({ client: pool })) }),
          connection: new ExtensionStorage({ dialect: mysql(connection) }),
          callbackPool: new ExtensionStorage({ dialect: mysql(callbackPool) }),
        };
        for (const [name, storage] of Object.entries(forms)) {
          await storage.migrate();
          const ext = storage.extension(`acme.form-${name.toLowerCase()}`);
          // Concurrent upserts of one key: on a lone connection they take turns, each in its own transaction.
          const written = await Promise.all(Array.from({ length: 16 }, (_, i) => ext.global.set('contended', `v${i}`)));
          expect(written.map((info) => info.version).sort((a, b) => a - b), name).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
          await ext.global.set('other', 'x', { category: 'c' });
          expect((await ext.global.list({ category: 'c' })).items.map((item) => item.key), name).toEqual(['other']);
          expect(await ext.global.count(), name).toBe(2);
          expect(await ext.global.delete('other'), name).toBe(true);
        }
      } finally {
        await connection.end();
        await new Promise((resolve) => callbackPool.end(resolve));
      }
    });

    it('refuses anything else with a VALIDATION error', () => {
      for (const client of [null, {}, { query: 1 }, { $client: {} }]) {
        const error = (() => {
          try {
            mysql(client as never);
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(ExtensionStorageError);
        expect((error as ExtensionStorageError).code).toBe('VALIDATION');
      }
    });
  });

  describe('session settings', () => {
    it('quotes and backslashes round-trip under ANSI_QUOTES and NO_BACKSLASH_ESCAPES (strings travel as bytes)', async () => {
      const modal = mysql2.createPool({ uri: database.url, connectionLimit: 2 });
      const strict = "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES,NO_BACKSLASH_ESCAPES')";
      modal.on('connection', (connection) => void connection.query(strict));
      try {
        const storage = new ExtensionStorage({ dialect: mysql(modal) });
        await storage.migrate();
        const ext = storage.extension('acme.quotes', { user: { id: `o'brien\\"` } });
        const tricky = `it's a \\ "test" ' OR 1=1 --`;
        const info = await ext.user.set(`k'\\"`, tricky, { description: tricky, category: `c'\\`, valueType: 'text/plain; q="a\\"b"' });
        expect(info).toMatchObject({ key: `k'\\"`, description: tricky, category: `c'\\`, createdBy: `o'brien\\"` });
        expect(await ext.user.getText(`k'\\"`)).toBe(tricky);
        expect((await ext.user.list({ prefix: `k'` })).items.map((item) => item.valueType)).toEqual(['text/plain; q="a\\"b"']);
        const [mode] = await rows(modal, 'SELECT @@session.sql_mode AS mode');
        expect(String(mode!.mode)).toMatch(/NO_BACKSLASH_ESCAPES/);
      } finally {
        await modal.end();
      }
    });
  });

  describe('host pool options', () => {
    it('the pool’s typeCast, dateStrings, big numbers, rowsAsArray, nestTables… do not change what the library returns', async () => {
      const blobsAsText: mysql2.TypeCast = (field, next) => (field.type === 'BLOB' ? field.string() : next());
      const variants: [string, mysql2.PoolOptions, string?][] = [
        ['typeCast turning BLOBs into strings', { typeCast: blobsAsText }],
        ['typeCast: false', { typeCast: false }],
        ['dateStrings', { dateStrings: true }],
        ['bigNumberStrings', { supportBigNumbers: true, bigNumberStrings: true }],
        ['decimalNumbers', { decimalNumbers: true }],
        ['rowsAsArray', { rowsAsArray: true }],
        ['nestTables', { nestTables: true } as mysql2.PoolOptions],
        ['namedPlaceholders', { namedPlaceholders: true }],
        ['timezone', { timezone: '+05:00' }],
        // Statements go as bare text only where the pool already reads DATETIMEs as UTC (see readsAsTheLibrary).
        ['timezone Z', { timezone: 'Z' }],
        ['timezone local, process in New York', { timezone: 'local' }, 'America/New_York'],
        ['timezone local, process in Kolkata', {}, 'Asia/Kolkata'],
        ['timezone local, process in UTC', {}, 'UTC'],
      ];
      const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
      const zone = process.env.TZ;
      for (const [name, options, processZone] of variants) {
        const hostPool = mysql2.createPool({ uri: database.url, connectionLimit: 2, ...options });
        if (processZone !== undefined) process.env.TZ = processZone;
        try {
          const storage = new ExtensionStorage({ dialect: mysql(hostPool), encryptionKeys: ['new key', 'old key'] });
          await storage.migrate();
          const old = new ExtensionStorage({ dialect: mysql(hostPool), encryptionKeys: 'old key' });
          const ext = storage.extension(`acme.pool-${variants.findIndex(([n]) => n === name)}`, { user: { id: 5 } });
          const before = Date.now();
          const written = await ext.user.set('bytes', bytes, { category: 'c', description: 'd' });
          await old.extension(ext.id, { user: { id: 5 } }).user.set('secret', 'sealed', { encrypt: true });
          const entry = await ext.user.get('bytes');
          expect(entry?.value, name).toEqual(bytes);
          expect(entry, name).toMatchObject({ key: 'bytes', version: 1, size: 300, encrypted: false, category: 'c', description: 'd', createdBy: '5' });
          expect(entry?.createdAt, name).toBeInstanceOf(Date);
          expect(entry!.createdAt.getTime(), name).toBe(written.createdAt.getTime());
          expect(Math.abs(written.createdAt.getTime() - before), name).toBeLessThan(60_000);
          expect(await ext.user.getText('secret'), name).toBe('sealed');
          expect((await ext.user.list()).items.map((item) => [item.key, item.version, item.size]), name).toEqual([
            ['bytes', 1, 300],
            ['secret', 1, 6],
          ]);
          expect(await ext.user.count(), name).toBe(2);
          // Export and stats read through the same runner: their rows must not change with the pool either.
          for (const extensionId of [ext.id, undefined]) {
            const exported = [];
            for await (const item of storage.exportEntries({ extensionId, batchSize: 1 })) if (item.extensionId === ext.id) exported.push(item);
            expect(
              exported.map((item) => [item.extensionId, item.userId, item.resourceType, item.resourceId, item.key, item.version, item.size, item.encrypted]),
              name,
            ).toEqual([
              [ext.id, '5', null, null, 'bytes', 1, 300, false],
              [ext.id, '5', null, null, 'secret', 1, 6, true],
            ]);
            expect(exported[0]!.value, name).toEqual(bytes);
            expect(exported[0], name).toMatchObject({ uuid: entry!.uuid, category: 'c', description: 'd', createdBy: '5', updatedBy: '5' });
            expect(exported[0]!.createdAt.getTime(), name).toBe(written.createdAt.getTime());
            expect(exported[1]!.value.length, name).toBeGreaterThan(6);
            expect((await storage.stats({ extensionId })).filter((row) => row.extensionId === ext.id), name).toEqual([
              { extensionId: ext.id, scope: 'user', rows: 2, bytes: 306, encryptedRows: 1 },
            ]);
          }
          expect(await ext.user.delete('bytes'), name).toBe(true);
          const rotated = await storage.rotateKeys();
          expect(rotated.failed, name).toBe(0);
          expect(rotated.rotated, name).toBeGreaterThanOrEqual(1);
          expect(await new ExtensionStorage({ dialect: mysql(hostPool), encryptionKeys: 'new key' }).extension(ext.id, { user: { id: 5 } }).user.getText('secret'), name).toBe('sealed');
        } finally {
          if (zone === undefined) delete process.env.TZ;
          else process.env.TZ = zone;
          await hostPool.end();
        }
      }
    }, 60_000);
  });

  describe('time zones', () => {
    it('dates round-trip as the same instant whatever the session time zone', async () => {
      const zoned = (zone: string) => {
        const zonedPool = mysql2.createPool({ uri: database.url, connectionLimit: 2, timezone: zone });
        zonedPool.on('connection', (connection) => void connection.query(`SET time_zone = '${zone}'`));
        return zonedPool;
      };
      const east = zoned('+05:30');
      const west = zoned('-08:00');
      try {
        const ext = (p: Pool) => new ExtensionStorage({ dialect: mysql(p) }).extension('acme.zones');
        const before = Date.now();
        const written = await ext(east).global.set('when', 'now');
        const after = Date.now();
        expect(written.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(written.createdAt.getTime()).toBeLessThanOrEqual(after);
        const [zone] = await rows(east, 'SELECT @@session.time_zone AS zone');
        expect(zone!.zone).toBe('+05:30');
        for (const reader of [east, west, pool]) {
          const entry = await ext(reader).global.get('when');
          expect(entry?.createdAt.getTime()).toBe(written.createdAt.getTime());
          expect((await ext(reader).global.list()).items[0]?.updatedAt.getTime()).toBe(written.updatedAt.getTime());
        }
        const updated = await ext(west).global.set('when', 'later');
        expect(updated.createdAt.getTime()).toBe(written.createdAt.getTime());
        expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(written.updatedAt.getTime());
        // Stored as UTC wall-clock time, so SQL written by hand reads the same instant.
        const [stored] = await rows(
          west,
          "SELECT DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS utc FROM extension_storage WHERE `key` = 'when'",
        );
        expect(new Date(String(stored!.utc)).getTime()).toBe(written.createdAt.getTime());
      } finally {
        await east.end();
        await west.end();
      }
    });
  });
});
