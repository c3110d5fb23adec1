/**
 * Moving a host between databases with export and import: SQLite → PostgreSQL → MariaDB → SQLite gives
 * back identical entries (values, metadata, versions, timestamps, authors, tokens), and the tokens
 * still decrypt in every database on the way.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import type { ExtensionStorage } from '../../src/index.js';
import { byKey, inScopedKeyOrder } from '../conformance/export-order.js';
import { cli, freshDatabase, readJsonLines, removeTempFolders, type TestDatabase } from './helpers.js';

const KEY = 'round trip secret';
const pgUrl = inject('pgUrl');
const mysqlUrl = inject('mysqlUrl');
const folder = mkdtempSync(join(tmpdir(), 'extension-storage-round-trip-'));
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  removeTempFolders();
});

const big = Uint8Array.from({ length: 300 * 1024 }, (_, i) => (i * 31) % 256);

/** Entries that have expired: moved like the others, absent to reads. */
const EXPIRED = 1;

/** What each entry must read back as, in every database. */
const expected: { user: number | null; resource: [string, string] | null; key: string; value: Uint8Array | string }[] = [
  { user: null, resource: null, key: 'config', value: '{"theme":"dark"}' },
  { user: 42, resource: null, key: 'token', value: 'hunter2' },
  { user: null, resource: ['dashboard', '3f1c5a2e-8b7d-4c6a-9e0f-1a2b3c4d5e6f'], key: 'state/ünïcode ✓', value: big },
  { user: 7, resource: null, key: 'empty', value: '' },
  { user: 7, resource: null, key: 'session', value: 'expires' },
  { user: null, resource: ['chart', '12'], key: 'secret blob', value: Uint8Array.from([0, 255, 10, 13]) },
];

async function seed(storage: ExtensionStorage): Promise<void> {
  await storage.migrate();
  const ext = (user: number | null) => storage.extension('acme.move', { user: user === null ? null : { id: user } });
  await ext(null).global.set('config', '{"theme":"light"}', { valueType: 'application/json', category: 'settings', description: 'line one\nline two' });
  await ext(null).global.set('config', '{"theme":"dark"}', { valueType: 'application/json', category: 'settings', description: 'line one\nline two' });
  await ext(42).user.set('token', 'hunter2', { encrypt: true, category: 'credentials' });
  await ext(5).resource('dashboard', '3F1C5A2E-8B7D-4C6A-9E0F-1A2B3C4D5E6F').set('state/ünïcode ✓', big, { encrypt: true });
  await ext(7).user.set('empty', '');
  await ext(7).user.set('session', 'expires', { expiresAt: new Date('2999-05-06T07:08:09.123Z') });
  await ext(7).user.set('stale', 'expired, not yet purged', { expiresAt: new Date('2001-01-01T00:00:00.001Z') });
  await storage.extension('acme.move').resource('chart', 12).set('secret blob', Uint8Array.from([0, 255, 10, 13]), { encrypt: true, valueType: 'image/x-test; q="a b"' });
}

async function readsBack(storage: ExtensionStorage): Promise<void> {
  for (const entry of expected) {
    const ext = storage.extension('acme.move', { user: entry.user === null ? null : { id: entry.user } });
    const scope = entry.resource ? ext.resource(entry.resource[0], entry.resource[1]) : entry.user === null ? ext.global : ext.user;
    const value = await scope.getValue(entry.key);
    expect(value, entry.key).toEqual(typeof entry.value === 'string' ? new TextEncoder().encode(entry.value) : entry.value);
  }
  expect(await storage.extension('acme.move', { user: { id: 7 } }).user.get('stale')).toBeNull();
}

async function move(from: TestDatabase, to: TestDatabase, file: string): Promise<void> {
  const exported = await cli(['export', '--db', from.url, '--out', file]);
  expect(exported.code, exported.stderr).toBe(0);
  const migrated = await cli(['migrate', '--db', to.url]);
  expect(migrated.code, migrated.stderr).toBe(0);
  const imported = await cli(['import', '--db', to.url, '--in', file]);
  expect(imported, imported.stderr).toMatchObject({ code: 0, stdout: `inserted ${expected.length + EXPIRED}, replaced 0, skipped 0\n` });
}

it.skipIf(!pgUrl || !mysqlUrl)(
  'SQLite → PostgreSQL → MariaDB → SQLite gives identical entries whose tokens still decrypt',
  async () => {
    const databases: TestDatabase[] = [];
    try {
      const source = await freshDatabase('sqlite');
      databases.push(source);
      await seed(source.storage(KEY));
      const pg = await freshDatabase('postgres', pgUrl);
      databases.push(pg);
      const maria = await freshDatabase('mysql', mysqlUrl);
      databases.push(maria);
      const target = await freshDatabase('sqlite');
      databases.push(target);

      const files = ['sqlite', 'postgres', 'mariadb', 'sqlite-again'].map((name) => join(folder, `${name}.jsonl`));
      await move(source, pg, files[0]!);
      await readsBack(pg.storage(KEY));
      await move(pg, maria, files[1]!);
      await readsBack(maria.storage(KEY));
      await move(maria, target, files[2]!);
      await readsBack(target.storage(KEY));
      expect((await cli(['export', '--db', target.url, '--out', files[3]!])).code).toBe(0);

      const first = readJsonLines(files[0]!);
      expect(first).toHaveLength(expected.length + EXPIRED);
      expect(byKey(first).session).toMatchObject({ expiresAt: '2999-05-06T07:08:09.123Z' });
      expect(byKey(first).stale).toMatchObject({ expiresAt: '2001-01-01T00:00:00.001Z' });
      expect(byKey(first).config).toMatchObject({ expiresAt: null });
      expect(byKey(first).config).toMatchObject({ version: 2, category: 'settings', description: 'line one\nline two', createdBy: null });
      expect(byKey(first).token).toMatchObject({ encrypted: true, createdBy: '42', userId: '42' });
      // Identical entries: the same set, every field (values, tokens, versions, timestamps, authors) equal.
      // Each export is in its database's primary-key order, which on PostgreSQL (random ids) is not the
      // order the entries were imported in: compared by scoped key.
      for (const file of files.slice(1)) expect(inScopedKeyOrder(readJsonLines(file))).toEqual(inScopedKeyOrder(first));
      // Byte for byte where the order is defined: MariaDB and SQLite number imported rows in the file's
      // order, so from the PostgreSQL export on the files are the same lines in the same order.
      for (const file of files.slice(2)) expect(readFileSync(file, 'utf8')).toBe(readFileSync(files[1]!, 'utf8'));
    } finally {
      for (const database of databases) await database.close();
    }
  },
  180_000,
);
