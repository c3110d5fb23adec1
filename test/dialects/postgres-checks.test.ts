/**
 * `migrate()` on PostgreSQL refuses a database it cannot serve correctly, saying what to change, and
 * creates nothing there.
 */
import postgresJs from 'postgres';
import { expect, inject, it } from 'vitest';
import { ExtensionStorage, ExtensionStorageError } from '../../src/index.js';
import { postgres } from '../../src/dialects/postgres/index.js';
import { createTempDatabase } from '../setup/databases.js';

const pgUrl = inject('pgUrl');

it.skipIf(!pgUrl)('a database not in UTF8 is UNSUPPORTED_DATABASE, naming the encoding', async () => {
  const name = `extstore_latin1_${process.pid}`;
  const admin = postgresJs(pgUrl!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const url = new URL(pgUrl!);
  url.pathname = `/${name}`;
  const sql = postgresJs(url.toString(), { onnotice: () => {} });
  try {
    const error = await new ExtensionStorage({ dialect: postgres(sql) }).migrate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtensionStorageError);
    expect((error as ExtensionStorageError).code).toBe('UNSUPPORTED_DATABASE');
    expect((error as Error).message).toContain('LATIN1');
    expect((error as Error).message).toContain('UTF8');
    const rows = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'extension_storage%'`;
    expect(rows[0]?.n).toBe(0);
  } finally {
    await sql.end();
    await admin.unsafe(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.end();
  }
});

it.skipIf(!pgUrl)('a session whose DateStyle or bytea_output changes what the drivers parse is UNSUPPORTED_DATABASE, naming the setting', async () => {
  const cases: [Record<string, string>, string][] = [
    [{ DateStyle: 'SQL, DMY' }, 'DateStyle'],
    [{ DateStyle: 'German' }, 'DateStyle'],
    [{ DateStyle: 'Postgres, MDY' }, 'DateStyle'],
    [{ bytea_output: 'escape' }, 'bytea_output'],
  ];
  const database = await createTempDatabase(pgUrl!);
  for (const [connection, setting] of cases) {
    const sql = postgresJs(database.url, { max: 1, onnotice: () => {}, connection });
    try {
      const error = await new ExtensionStorage({ dialect: postgres(sql) }).migrate().catch((e: unknown) => e);
      expect(error, setting).toBeInstanceOf(ExtensionStorageError);
      expect((error as ExtensionStorageError).code).toBe('UNSUPPORTED_DATABASE');
      expect((error as Error).message).toContain(setting);
    } finally {
      await sql.end();
    }
  }
  // ISO in either order of day and month is fine.
  const iso = postgresJs(database.url, { max: 1, onnotice: () => {}, connection: { DateStyle: 'ISO, DMY' } });
  try {
    await expect(new ExtensionStorage({ dialect: postgres(iso) }).migrate()).resolves.toBeUndefined();
  } finally {
    await iso.end();
    await database.drop();
  }
});

it('no server: migrate, migrateDown and operations are DATABASE errors with the driver error as cause', async () => {
  const sql = postgresJs('postgres://nobody:secret-password@127.0.0.1:1/db', { connect_timeout: 2, max: 1, onnotice: () => {} });
  const storage = new ExtensionStorage({ dialect: postgres(sql) });
  try {
    for (const action of [() => storage.migrate(), () => storage.migrateDown(), () => storage.extension('acme.x').global.get('k')]) {
      const error = await action().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtensionStorageError);
      expect((error as ExtensionStorageError).code).toBe('DATABASE');
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect((error as Error).message).not.toContain('secret-password');
    }
  } finally {
    await sql.end();
  }
});
