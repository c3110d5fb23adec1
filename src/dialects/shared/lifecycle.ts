/**
 * The statements of cleanup and expiry, written once against Drizzle's dialect-neutral operators: which
 * rows a cleanup removes, which rows have expired, and the usage record the database keeps.
 * @module
 */
import { and, eq, lte, sql, type Column, type SQL } from 'drizzle-orm';
import type { QuotaLimits, RowSet } from '../../dialect.js';
import { inScope, type ScopedColumns } from './conditions.js';

/** The columns of the usage table, as every dialect's schema defines them. */
export interface UsageColumns {
  readonly extensionId: Column;
  readonly bytes: Column;
  readonly keyCount: Column;
}

/** The shapes of `RowSet`, in a fixed order: a cache of prepared statements can be indexed by it. */
export const ROW_SET_KINDS = ['extension', 'user', 'scope'] as const;

/**
 * The rows of a `RowSet` kind; each is a prefix of the scoped-key index. Placeholders: extensionId,
 * and userId (`user`) or those of `inScope` (`scope`).
 */
export function inRowSet(t: ScopedColumns, kind: RowSet['kind']): SQL {
  const placeholder = sql.placeholder;
  if (kind === 'extension') return eq(t.extensionId, placeholder('extensionId'));
  if (kind === 'user') return and(eq(t.extensionId, placeholder('extensionId')), eq(t.userId, placeholder('userId'))) as SQL;
  return inScope(t);
}

/** Values for the placeholders of `inRowSet`. */
export function rowSetParams(rows: RowSet, limit: number): Record<string, string | number> {
  if (rows.kind === 'extension') return { extensionId: rows.extensionId, limit };
  if (rows.kind === 'user') return { extensionId: rows.extensionId, userId: rows.userId, limit };
  const { scope } = rows;
  return { extensionId: scope.extensionId, userId: scope.userId, resourceType: scope.resourceType, resourceId: scope.resourceId, limit };
}

/** Rows whose expiry has passed at `now` (served by the partial index on `expires_at`). Placeholder: now. */
export function expiredAt(t: { readonly expiresAt: Column }): SQL {
  return lte(t.expiresAt, sql.placeholder('now'));
}

/** The usage row `recordQuota` inserts when there is none. Placeholders: extensionId, maxBytes, maxKeys. */
export function quotaRow() {
  const placeholder = sql.placeholder;
  return { extensionId: placeholder('extensionId'), maxBytes: placeholder('maxBytes'), maxKeys: placeholder('maxKeys') };
}

/** What `recordQuota` replaces in an existing usage row; `incoming` names the proposed value. */
export function recordedQuota(u: UsageColumns & { readonly maxBytes: Column; readonly maxKeys: Column }, incoming: (column: Column) => SQL) {
  return { maxBytes: incoming(u.maxBytes), maxKeys: incoming(u.maxKeys) };
}

/** The usage record as numbers (bigint columns may come back as strings or bigints). */
export function toUsage(row: { bytes: unknown; keyCount: unknown } | undefined): { bytes: number; keys: number } {
  return row === undefined ? { bytes: 0, keys: 0 } : { bytes: Number(row.bytes), keys: Number(row.keyCount) };
}

/** A recorded quota as numbers, `null` where none is recorded (bigint columns may come back as strings or bigints). */
export function toQuotaLimits(row: { maxBytes: unknown; maxKeys: unknown } | undefined): QuotaLimits {
  const limit = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return { bytes: limit(row?.maxBytes), keys: limit(row?.maxKeys) };
}
