/**
 * The parts of the export, import and stats statements that do not depend on the database, written once
 * against Drizzle's dialect-neutral operators and named placeholders, as `statements.ts` does for the
 * storage operations.
 * @module
 */
import { and, asc, eq, gt, or, sql, type SQL } from 'drizzle-orm';
import type { ImportConflict, ImportedRow, ImportOutcome, ScopeStatsRow } from '../../dialect.js';
import { inScope } from './conditions.js';
import { insertedRow, type StorageColumns } from './statements.js';

const EXPORTED_ROW = [
  'id',
  'uuid',
  'extensionId',
  'userId',
  'resourceType',
  'resourceId',
  'key',
  'value',
  'valueType',
  'category',
  'description',
  'isEncrypted',
  'size',
  'version',
  'createdAt',
  'updatedAt',
  'createdBy',
  'updatedBy',
  'expiresAt',
] as const;

/** The columns of an `ExportedRow`: the whole row. */
export function exportedRowColumns<T extends StorageColumns>(t: T): Pick<T, (typeof EXPORTED_ROW)[number]> {
  return Object.fromEntries(EXPORTED_ROW.map((name) => [name, t[name]])) as Pick<T, (typeof EXPORTED_ROW)[number]>;
}

/**
 * The rows after a primary key, of one extension when `byExtension`. Placeholders: afterId, and
 * extensionId when `byExtension`.
 */
export function exportedAfter(t: StorageColumns, byExtension: boolean): SQL {
  return and(gt(t.id, sql.placeholder('afterId')), ofExtension(t, byExtension)) as SQL;
}

/** The order of an export: by primary key. */
export function exportOrder(t: StorageColumns): SQL {
  return asc(t.id);
}

/** The rows an imported row collides with: the same scoped key, or the same uuid. Placeholders: those of `atKey`, uuid. */
export function sameEntry(t: StorageColumns): SQL {
  return or(and(inScope(t), eq(t.key, sql.placeholder('key'))), eq(t.uuid, sql.placeholder('uuid'))) as SQL;
}

/**
 * The row an import inserts, every column from the `ImportedRow` of the same name: what an upsert
 * inserts, with the version, timestamps and authors the export read instead of a new write's.
 */
export function importedRow(t: StorageColumns) {
  const placeholder = sql.placeholder;
  return {
    ...insertedRow(t),
    version: placeholder('version'),
    createdAt: placeholder('createdAt'),
    updatedAt: placeholder('updatedAt'),
    createdBy: placeholder('createdBy'),
    updatedBy: placeholder('updatedBy'),
  };
}

/** Values for the placeholders of `sameEntry`. */
export function sameEntryParams(row: ImportedRow): Record<string, string> {
  return {
    extensionId: row.extensionId,
    userId: row.userId,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    key: row.key,
    uuid: row.uuid,
  };
}

/** The kind of scope of a row, as a SQL expression: `global`, `user` or `resource`. */
export function scopeKind(t: StorageColumns): SQL<string> {
  return sql<string>`case when ${t.userId} <> '' then 'user' when ${t.resourceType} <> '' then 'resource' else 'global' end`;
}

/** A text a driver may return as bytes (MySQL's binary columns and expressions over them). */
const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));

/**
 * The select list of the stats statement (grouped by `extensionId` and `scope`). Sums come back as
 * text or bigint on some drivers: every column is decoded to what `ScopeStatsRow` says.
 */
export function statsColumns<T extends StorageColumns>(t: T) {
  return {
    extensionId: t.extensionId as T['extensionId'],
    scope: scopeKind(t).mapWith(text),
    rows: sql<number>`count(*)`.mapWith(Number),
    bytes: sql<number>`coalesce(sum(${t.size}), 0)`.mapWith(Number),
    encryptedRows: sql<number>`coalesce(sum(case when ${t.isEncrypted} then 1 else 0 end), 0)`.mapWith(Number),
  };
}

/** The grouping of the stats statement: extension, then scope kind. */
export function statsGrouping<T extends StorageColumns>(t: T): [T['extensionId'], SQL] {
  return [t.extensionId, scopeKind(t)];
}

/** Stats rows in a stable order, whatever order the database grouped them in. */
export function sortedStats(rows: readonly ScopeStatsRow[]): ScopeStatsRow[] {
  const order = { global: 0, user: 1, resource: 2 };
  return [...rows].sort((a, b) =>
    a.extensionId === b.extensionId ? order[a.scope] - order[b.scope] : Buffer.compare(Buffer.from(a.extensionId), Buffer.from(b.extensionId)),
  );
}

/** The rows of one extension when `byExtension`, else every row. Placeholder: extensionId. */
export function ofExtension(t: StorageColumns, byExtension: boolean): SQL | undefined {
  return byExtension ? eq(t.extensionId, sql.placeholder('extensionId')) : undefined;
}

/**
 * What an import does with one row, given how many existing rows it collides with: `insert` it,
 * `skip` it, `replace` the colliding rows (delete them, then insert), or `stop` before it.
 */
export function importAction(collisions: number, onConflict: ImportConflict): 'insert' | 'skip' | 'replace' | 'stop' {
  if (collisions === 0) return 'insert';
  return onConflict === 'skip' ? 'skip' : onConflict === 'overwrite' ? 'replace' : 'stop';
}

/** The outcome an `importAction` reports. */
export function importOutcome(action: 'insert' | 'skip' | 'replace' | 'stop'): ImportOutcome {
  return action === 'insert' ? 'inserted' : action === 'skip' ? 'skipped' : action === 'replace' ? 'replaced' : 'conflict';
}
