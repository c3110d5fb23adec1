/**
 * What the export, import and round-trip tests compare, given that an export is in primary-key order:
 * insertion order on SQLite and MySQL, but not on PostgreSQL, whose row ids are random. Entries are
 * identified by their scoped key, the same in every database; their order is checked against the ids.
 */
import { expect } from 'vitest';
import type { Dialect } from '../../src/index.js';

/** The fields that identify an entry in any database (an `ExportedEntry` or a parsed JSON line). */
interface ScopedKey {
  readonly extensionId?: unknown;
  readonly userId?: unknown;
  readonly resourceType?: unknown;
  readonly resourceId?: unknown;
  readonly key?: unknown;
}

const scopedKey = (entry: ScopedKey) => JSON.stringify([entry.extensionId, entry.userId, entry.resourceType, entry.resourceId, entry.key]);

/** `entries` sorted by (extension, scope, key): an order that does not depend on the database's ids. */
export function inScopedKeyOrder<T extends ScopedKey>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => (scopedKey(a) < scopedKey(b) ? -1 : scopedKey(a) > scopedKey(b) ? 1 : 0));
}

/** The entries by `key`, for seeds whose keys are unique across scopes. */
export function byKey<T extends { readonly key?: unknown }>(entries: readonly T[]): Record<string, T> {
  const map = Object.fromEntries(entries.map((entry) => [String(entry.key), entry]));
  expect(Object.keys(map)).toHaveLength(entries.length);
  return map;
}

/**
 * Checks that `exported` (entries with their uuids, as an export gave them) lists the rows of the
 * table (or of one extension) in ascending id order, read straight from the dialect.
 */
export async function expectPrimaryKeyOrder(dialect: Dialect, exported: readonly { readonly uuid?: unknown }[], extensionId: string | null = null): Promise<void> {
  const rows = await dialect.exportRows(0, 10_000, extensionId);
  const ids = rows.map((row) => row.id);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
  expect(exported.map((entry) => entry.uuid)).toEqual(rows.map((row) => row.uuid));
}
