/**
 * The parts of every dialect's statements that do not depend on the database: which columns a read
 * returns, what an upsert writes and replaces, and the conditions of the maintenance statements. Each
 * dialect assembles them with its own Drizzle builder and prepares the result once.
 * @module
 */
import { and, eq, gt, sql, type Column, type SQL } from 'drizzle-orm';
import type { Expected, RowWrite } from '../../dialect.js';
import { atKey, expired, live, type ScopedColumns } from './conditions.js';

/** Every column of the library's table, by property name, as each dialect's table defines them. */
export interface StorageColumns extends ScopedColumns {
  readonly id: Column;
  readonly uuid: Column;
  readonly value: Column;
  readonly valueType: Column;
  readonly description: Column;
  readonly isEncrypted: Column;
  readonly size: Column;
  readonly version: Column;
  readonly createdAt: Column;
  readonly updatedAt: Column;
  readonly createdBy: Column;
  readonly updatedBy: Column;
}

function pick<T, K extends keyof T>(t: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, t[key]])) as Pick<T, K>;
}

const INFO = ['id', 'uuid', 'key', 'valueType', 'category', 'description', 'isEncrypted', 'size', 'version', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy', 'expiresAt'] as const;
const ENCRYPTED_ROW = ['id', 'uuid', 'extensionId', 'userId', 'resourceType', 'resourceId', 'key', 'version', 'value'] as const;

/** The columns of a `RowInfo`: everything but the value. */
export function infoColumns<T extends StorageColumns>(t: T): Pick<T, (typeof INFO)[number]> {
  return pick(t, INFO);
}

/** The columns of a `Row`: `RowInfo` and the value. */
export function rowColumns<T extends StorageColumns>(t: T): Pick<T, (typeof INFO)[number] | 'value'> {
  return pick(t, [...INFO, 'value']);
}

/** The columns of an `EncryptedRow`. */
export function encryptedRowColumns<T extends StorageColumns>(t: T): Pick<T, (typeof ENCRYPTED_ROW)[number]> {
  return pick(t, ENCRYPTED_ROW);
}

/**
 * The written row's expiry: a `Date` through the column's encoder, `null` as NULL (the columns'
 * encoders take dates only). Placeholder: expiresAt.
 */
function expiry(t: StorageColumns): SQL {
  const column = t.expiresAt;
  const encoder = { mapToDriverValue: (value: Date | null) => (value === null ? null : column.mapToDriverValue(value)) };
  return sql`${sql.param(sql.placeholder('expiresAt') as unknown as Date | null, encoder)}`;
}

/** The row an upsert inserts, as named placeholders filled from a `RowWrite`. */
export function insertedRow(t: StorageColumns) {
  const placeholder = sql.placeholder;
  return {
    uuid: placeholder('uuid'),
    extensionId: placeholder('extensionId'),
    userId: placeholder('userId'),
    resourceType: placeholder('resourceType'),
    resourceId: placeholder('resourceId'),
    key: placeholder('key'),
    value: placeholder('value'),
    valueType: placeholder('valueType'),
    category: placeholder('category'),
    description: placeholder('description'),
    isEncrypted: placeholder('isEncrypted'),
    size: placeholder('size'),
    version: 1,
    createdAt: placeholder('now'),
    updatedAt: placeholder('now'),
    createdBy: placeholder('writtenBy'),
    updatedBy: placeholder('writtenBy'),
    expiresAt: expiry(t),
  };
}

/**
 * `fresh` when the existing row has expired (the write then makes a new entry in its place), else
 * `kept`. Placeholder: now.
 */
function unlessExpired(t: StorageColumns, fresh: SQL, kept: SQL | Column): SQL {
  return sql`case when ${expired(t)} then ${fresh} else ${kept} end`;
}

/**
 * What makes an existing row a new entry, as a write over an expired row does: a new identity,
 * version 1, created by this write. `incoming(column)` names the value the insert proposed
 * (`excluded.x`, or `VALUES(x)` on MySQL). Placeholder: now.
 *
 * On MySQL, `ON DUPLICATE KEY UPDATE` assigns in the table's column order and later assignments see
 * earlier ones: these read `expires_at`, which every table defines last, so they see the old expiry.
 */
function renewedIfExpired(t: StorageColumns, incoming: (column: Column) => SQL) {
  return {
    uuid: unlessExpired(t, incoming(t.uuid), t.uuid),
    createdAt: unlessExpired(t, incoming(t.createdAt), t.createdAt),
    createdBy: unlessExpired(t, incoming(t.createdBy), t.createdBy),
  };
}

/**
 * What an upsert replaces when the scoped key exists: everything the caller gave, the next version;
 * over an expired row, a new entry (see `renewedIfExpired`).
 */
export function replacedOnConflict(t: StorageColumns, incoming: (column: Column) => SQL) {
  return {
    ...renewedIfExpired(t, incoming),
    value: incoming(t.value),
    valueType: incoming(t.valueType),
    category: incoming(t.category),
    description: incoming(t.description),
    isEncrypted: incoming(t.isEncrypted),
    size: incoming(t.size),
    version: unlessExpired(t, sql`1`, sql`${t.version} + 1`),
    updatedAt: incoming(t.updatedAt),
    updatedBy: incoming(t.updatedBy),
    expiresAt: incoming(t.expiresAt),
  };
}

/**
 * What a write that requires the key to be absent sets over a row that has expired: the whole new row
 * (`insertedRow` but the scoped key), as an UPDATE or an upsert's conflict branch limited to `expired`.
 */
export function newEntryColumns(t: StorageColumns) {
  const { extensionId: _e, userId: _u, resourceType: _t, resourceId: _r, key: _k, ...columns } = insertedRow(t);
  return columns as unknown as Record<string, SQL>;
}

/** The columns of the unique scoped key, an upsert's conflict target. */
export function scopedKey<T extends StorageColumns>(t: T): [T['extensionId'], T['userId'], T['resourceType'], T['resourceId'], T['key']] {
  return [t.extensionId, t.userId, t.resourceType, t.resourceId, t.key];
}

/** Encrypted rows after a primary key. Placeholder: afterId. */
export function encryptedAfter(t: StorageColumns): SQL {
  return and(eq(t.isEncrypted, true), gt(t.id, sql.placeholder('afterId'))) as SQL;
}

/**
 * One encrypted row, only while it still has the version read. Keyed on the uuid, never on the id:
 * SQLite hands a deleted row's id to the next insert. Placeholders: uuid, version.
 */
export function atVersion(t: StorageColumns): SQL {
  return and(eq(t.uuid, sql.placeholder('uuid')), eq(t.version, sql.placeholder('version')), eq(t.isEncrypted, true)) as SQL;
}

/** `excluded."column"`: the proposed row in SQLite's and PostgreSQL's `ON CONFLICT DO UPDATE`. */
export function excluded(column: Column): SQL {
  return sql`excluded.${sql.identifier(column.name)}`;
}

/** The largest integer a counter may hold, in either sign: `Number.MAX_SAFE_INTEGER`. */
export const MAX_COUNTER = sql.raw('9007199254740991');

/**
 * One scoped key while it is the live row a conditional write expects. Placeholders: those of `atKey`,
 * now, expectedVersion, and expectedUuid when `withUuid`.
 */
export function atKeyExpected(t: StorageColumns, withUuid: boolean): SQL {
  return and(
    atKey(t),
    live(t),
    eq(t.version, sql.placeholder('expectedVersion')),
    withUuid ? eq(t.uuid, sql.placeholder('expectedUuid')) : undefined,
  ) as SQL;
}

/** What a conditional replace (an UPDATE) sets, from the placeholders of a `RowWrite`: as an upsert's conflict branch. */
export function replacedColumns(t: StorageColumns) {
  const placeholder = sql.placeholder;
  return {
    value: placeholder('value'),
    valueType: placeholder('valueType'),
    category: placeholder('category'),
    description: placeholder('description'),
    isEncrypted: placeholder('isEncrypted'),
    size: placeholder('size'),
    version: sql`${t.version} + 1`,
    updatedAt: placeholder('now'),
    updatedBy: placeholder('writtenBy'),
    expiresAt: expiry(t),
  } as unknown as Record<string, SQL>;
}

/**
 * What an increment sets on an existing row: the new value and its size (each dialect's SQL for the
 * sum as decimal text), the value type `incoming` proposes, the next version; category, description
 * and expiry stay. Over an expired row, the row proposed (the counter starts again from 0).
 */
export function incrementedColumns(t: StorageColumns, incoming: (column: Column) => SQL, value: SQL, size: SQL) {
  return {
    ...renewedIfExpired(t, incoming),
    value: unlessExpired(t, incoming(t.value), value),
    valueType: incoming(t.valueType),
    category: unlessExpired(t, incoming(t.category), t.category),
    description: unlessExpired(t, incoming(t.description), t.description),
    isEncrypted: unlessExpired(t, incoming(t.isEncrypted), t.isEncrypted),
    size: unlessExpired(t, incoming(t.size), size),
    version: unlessExpired(t, sql`1`, sql`${t.version} + 1`),
    updatedAt: incoming(t.updatedAt),
    updatedBy: incoming(t.updatedBy),
    expiresAt: unlessExpired(t, incoming(t.expiresAt), t.expiresAt),
  };
}

/** Where an increment may write over an existing row: it expired, or the sum `fits`. Placeholder: now. */
export function incrementable(t: StorageColumns, fits: SQL): SQL {
  return sql`(${expired(t)} or ${fits})`;
}

/**
 * Values for the placeholders of a written row (`insertedRow`), with a conditional write's expectation
 * (placeholders expectedVersion, expectedUuid); `value` as the driver binds it. One literal: see above.
 */
export function writeParams(write: RowWrite, expected?: Expected, value: unknown = write.value): Record<string, unknown> {
  return {
    uuid: write.uuid,
    extensionId: write.extensionId,
    userId: write.userId,
    resourceType: write.resourceType,
    resourceId: write.resourceId,
    key: write.key,
    value,
    valueType: write.valueType,
    category: write.category,
    description: write.description,
    isEncrypted: write.isEncrypted,
    size: write.size,
    now: write.now,
    writtenBy: write.writtenBy,
    expiresAt: write.expiresAt,
    expectedVersion: expected?.version,
    expectedUuid: expected?.uuid,
  };
}
