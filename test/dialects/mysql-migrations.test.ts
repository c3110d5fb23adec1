/**
 * MySQL/MariaDB migrations without transactional DDL: a crash after any statement of `migrate()` or
 * `migrateDown()` leaves a state that the next `migrate()` completes and the next `migrateDown()`
 * removes entirely; and a server that cannot be reached or served is a typed error.
 */
import mysql2, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ExtensionStorage, ExtensionStorageError } from '../../src/index.js';
import { mysql } from '../../src/dialects/mysql/index.js';
import { migrationSession } from '../../src/dialects/mysql/dialect.js';
import { migrations } from '../../src/dialects/mysql/migrations.js';
import { applyMigrations, revertMigrations, type MigrationSession } from '../../src/dialects/shared/migrator.js';
import { createTempDatabase, type TempDatabase } from '../setup/databases.js';

const mysqlUrl = inject('mysqlUrl');

/** The session, failing right after its `n`-th write (ledger or DDL statement) has been carried out. */
function crashingAfter(session: MigrationSession, n: number): MigrationSession {
  let writes = 0;
  const after = async (write: Promise<void>) => {
    await write;
    if (++writes === n) throw new Error(`crash after write ${n}`);
  };
  return {
    ...session,
    createLedger: () => after(session.createLedger()),
    execute: (statement) => after(session.execute(statement)),
    record: (tag) => after(session.record(tag)),
    forget: (tag) => after(session.forget(tag)),
    dropLedger: () => after(session.dropLedger()),
  };
}

/** Writes of a fresh migrate and of a full migrateDown: ledger, mark, the statements, record, unmark. */
const APPLY_WRITES = 1 + 1 + migrations.reduce((sum, m) => sum + m.up.length, 0) + 2;
const REVERT_WRITES = 1 + migrations.reduce((sum, m) => sum + m.down.length + 2, 0) + 1;

async function failure(action: () => Promise<unknown>): Promise<ExtensionStorageError> {
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtensionStorageError);
  return error as ExtensionStorageError;
}

describe.skipIf(!mysqlUrl)('mysql: migrations', () => {
  let temp: TempDatabase;
  let connection: Connection;
  let storage: ExtensionStorage;
  const tables = async () => {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1',
    );
    return rows.map((row) => String(row.name));
  };
  const works = async () => {
    const ext = storage.extension('acme.crash').global;
    await ext.set('k', 'v');
    expect(await ext.getText('k')).toBe('v');
  };

  beforeAll(async () => {
    temp = await createTempDatabase(mysqlUrl!);
    connection = await mysql2.createConnection(temp.url);
    storage = new ExtensionStorage({ dialect: mysql(connection) });
  });
  afterAll(async () => {
    await connection?.end();
    await temp?.drop();
  });
  beforeEach(async () => {
    await connection.query('DROP TABLE IF EXISTS extension_storage, extension_storage_migrations');
  });

  it.each(Array.from({ length: APPLY_WRITES }, (_, i) => i + 1))('migrate() crashed after write %i: migrate() completes', async (n) => {
    await expect(applyMigrations('mysql', crashingAfter(migrationSession(connection), n), migrations)).rejects.toThrow();
    await storage.migrate();
    await works();
    await storage.migrateDown();
    expect(await tables()).toEqual([]);
  });

  it.each(Array.from({ length: APPLY_WRITES }, (_, i) => i + 1))('migrate() crashed after write %i: migrateDown() removes everything', async (n) => {
    await expect(applyMigrations('mysql', crashingAfter(migrationSession(connection), n), migrations)).rejects.toThrow();
    await storage.migrateDown();
    expect(await tables()).toEqual([]);
  });

  it.each(Array.from({ length: REVERT_WRITES }, (_, i) => i + 1))('migrateDown() crashed after write %i: both directions complete', async (n) => {
    await storage.migrate();
    await expect(revertMigrations('mysql', crashingAfter(migrationSession(connection), n), migrations)).rejects.toThrow();
    await storage.migrate();
    await works();
    await expect(revertMigrations('mysql', crashingAfter(migrationSession(connection), n), migrations)).rejects.toThrow();
    await storage.migrateDown();
    expect(await tables()).toEqual([]);
  });

  it('a foreign table named like the ledger is MIGRATION, and nothing is created', async () => {
    await connection.query('CREATE TABLE extension_storage_migrations (id int primary key, name text)');
    const error = await failure(() => storage.migrate());
    expect(error.code).toBe('MIGRATION');
    expect(error.message).toContain('rename');
    expect(await tables()).toEqual(['extension_storage_migrations']);
    await connection.query('DROP TABLE extension_storage_migrations');
  });

  it('a foreign table named extension_storage is MIGRATION, and leaves no pending mark to adopt it later', async () => {
    await connection.query('CREATE TABLE extension_storage (id int primary key)');
    expect((await failure(() => storage.migrate())).code).toBe('MIGRATION');
    expect((await failure(() => storage.migrate())).code).toBe('MIGRATION');
    const [rows] = await connection.query<RowDataPacket[]>('SELECT tag FROM extension_storage_migrations');
    expect(rows).toEqual([]);
  });

  it('a connection whose results are not utf8mb4 is UNSUPPORTED_DATABASE, naming the setting', async () => {
    const latin1 = await mysql2.createConnection(temp.url);
    try {
      await latin1.query('SET character_set_results = latin1');
      const error = await failure(() => new ExtensionStorage({ dialect: mysql(latin1) }).migrate());
      expect(error.code).toBe('UNSUPPORTED_DATABASE');
      expect(error.message).toContain('character_set_results');
    } finally {
      await latin1.end();
    }
  });

  it('the library does not depend on sql_mode: keys with quotes and backslashes under ANSI_QUOTES, NO_BACKSLASH_ESCAPES, no strict mode', async () => {
    const odd = await mysql2.createConnection(temp.url);
    try {
      await odd.query("SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,PIPES_AS_CONCAT,PAD_CHAR_TO_FULL_LENGTH'");
      const s = new ExtensionStorage({ dialect: mysql(odd) });
      await s.migrate();
      const ext = s.extension('acme.mode').global;
      const keys = [`it's`, 'back\\slash', '"quoted"', 'a\\', "'; DROP TABLE x; --"];
      for (const key of keys) await ext.set(key, `${key} 😀`, { description: `${key} ✓` });
      for (const key of keys) expect(await ext.getText(key)).toBe(`${key} 😀`);
      expect((await ext.list({ prefix: 'a\\' })).items.map((item) => item.key)).toEqual(['a\\']);
      expect(await ext.count()).toBe(keys.length);
      await s.migrateDown();
    } finally {
      await odd.end();
    }
  });

  it('no server, or access denied: DATABASE with the driver error as cause, for migrate and migrateDown', async () => {
    const refused = mysql2.createPool({ uri: 'mysql://u:p@127.0.0.1:1/db', connectTimeout: 2000 });
    const denied = new URL(mysqlUrl!);
    denied.password = 'wrong-password';
    denied.username = 'nobody';
    const deniedPool = mysql2.createPool({ uri: denied.toString(), connectTimeout: 2000 });
    try {
      for (const pool of [refused, deniedPool]) {
        const s = new ExtensionStorage({ dialect: mysql(pool) });
        for (const action of [() => s.migrate(), () => s.migrateDown(), () => s.extension('acme.x').global.get('k')]) {
          const error = await failure(action);
          expect(error.code).toBe('DATABASE');
          expect(error.cause).toBeInstanceOf(Error);
          expect(error.message).not.toContain('wrong-password');
        }
      }
    } finally {
      await refused.end();
      await deniedPool.end();
    }
  });
});
