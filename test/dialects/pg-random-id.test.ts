/**
 * PostgreSQL ids are random (no identity sequence for a host's drizzle-kit to drop): a new row that
 * draws the id of an existing row is written again with another id, not refused.
 */
import { PGlite } from '@electric-sql/pglite';
import { expect, it } from 'vitest';
import { ExtensionStorage } from '../../src/index.js';
import { pglite } from '../../src/dialects/pglite/index.js';

it('an upsert whose random id collides with an existing row is retried', async () => {
  const db = new PGlite();
  const storage = new ExtensionStorage({ dialect: pglite(db) });
  await storage.migrate();
  const ext = storage.extension('acme.ids').global;
  const sequences = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_sequences');
  expect(sequences.rows[0]!.n).toBe(0);

  await db.query('SELECT setseed(0.25)');
  await ext.set('a', '1');
  await db.query('SELECT setseed(0.25)'); // the next insert draws the same id first
  await ext.set('b', '2');
  const ids = await db.query<{ id: string }>('SELECT id::text AS id FROM extension_storage ORDER BY key');
  expect(ids.rows).toHaveLength(2);
  expect(new Set(ids.rows.map((row) => row.id)).size).toBe(2);
  expect(await ext.getText('b')).toBe('2');
  await db.close();
});
