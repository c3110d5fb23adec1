/**
 * Export and import batches are bounded in bytes as well as rows: a table of large values streams in
 * about `BATCH_BYTES` of values per batch, whatever `batchSize` says. The real SQLite dialect runs every
 * statement; a wrapper only records what each batch carried.
 */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { ExtensionStorage, type Dialect, type ExportedEntry } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';
import { BATCH_BYTES } from '../../src/transfer.js';

const MiB = 1024 * 1024;

function recording(dialect: Dialect) {
  const exported: number[] = [];
  const imported: number[] = [];
  const bytes = (rows: readonly { value: Uint8Array }[]) => rows.reduce((sum, row) => sum + row.value.byteLength, 0);
  const wrapped: Dialect = {
    ...dialect,
    exportRows: async (afterId, limit, extensionId) => {
      const rows = await dialect.exportRows(afterId, limit, extensionId);
      if (rows.length > 0) exported.push(bytes(rows));
      return rows;
    },
    importRows: async (rows, onConflict) => {
      imported.push(bytes(rows));
      return dialect.importRows(rows, onConflict);
    },
  };
  return { wrapped, exported, imported };
}

it('export and import batches hold about BATCH_BYTES of values however large the values, and every entry moves', async () => {
  const source = recording(sqlite(new Database(':memory:')));
  const from = new ExtensionStorage({ dialect: source.wrapped });
  await from.migrate();
  const ext = from.extension('acme.large').global;
  for (let i = 0; i < 30; i++) await ext.set(`small${i}`, `v${i}`);
  for (let i = 0; i < 14; i++) await ext.set(`large${i}`, new Uint8Array(3 * MiB).fill(i));
  const entries: ExportedEntry[] = [];
  for await (const entry of from.exportEntries({ batchSize: 500 })) entries.push(entry);
  expect(entries).toHaveLength(44);
  // Once a batch has met a large value, no batch holds more than BATCH_BYTES of values.
  const first = source.exported.findIndex((bytes) => bytes >= 3 * MiB);
  expect(first).toBeGreaterThan(0);
  expect(Math.max(...source.exported.slice(first))).toBeLessThanOrEqual(BATCH_BYTES);
  expect(source.exported.length).toBeGreaterThan(6);

  const target = recording(sqlite(new Database(':memory:')));
  const to = new ExtensionStorage({ dialect: target.wrapped });
  await to.migrate();
  expect(await to.importEntries(entries, { batchSize: 500 })).toEqual({ inserted: 44, replaced: 0, skipped: 0 });
  expect(Math.max(...target.imported)).toBeLessThan(BATCH_BYTES + 3 * MiB);
  expect(target.imported.length).toBeGreaterThanOrEqual(3);
  // Compared as Buffers: vitest's toEqual walks a typed array element by element (seconds per MiB).
  const moved = await to.extension('acme.large').global.getValue('large13');
  expect(Buffer.from(moved!).equals(Buffer.alloc(3 * MiB, 13))).toBe(true);
}, 60_000);
