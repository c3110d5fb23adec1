/**
 * The WHERE clauses every dialect shares, written once against Drizzle's dialect-neutral operators and
 * named placeholders, so each dialect can prepare them once against its own table.
 * @module
 */
import { and, eq, gt, gte, lt, sql, type Column, type SQL } from 'drizzle-orm';
import type { RowQuery, Scope } from '../../dialect.js';

/** The columns the clauses need, as every dialect's table has them. */
export interface ScopedColumns {
  readonly extensionId: Column;
  readonly userId: Column;
  readonly resourceType: Column;
  readonly resourceId: Column;
  readonly key: Column;
  readonly category: Column;
  readonly expiresAt: Column;
}

/**
 * The time an operation runs at, bound through the expiry column's encoder (SQLite keeps milliseconds,
 * the servers timestamps), so a bare `sql` expression compares like with like. Placeholder: now.
 */
export function now(t: ScopedColumns): SQL {
  return sql`${sql.param(sql.placeholder('now'), t.expiresAt)}`;
}

/** Rows that have not expired at `now`. Placeholder: now. */
export function live(t: ScopedColumns): SQL {
  return sql`(${t.expiresAt} is null or ${t.expiresAt} > ${now(t)})`;
}

/** Rows that have expired at `now`: a write meeting one replaces it as a new entry. Placeholder: now. */
export function expired(t: ScopedColumns): SQL {
  return sql`(${t.expiresAt} is not null and ${t.expiresAt} <= ${now(t)})`;
}

/** The rows of one scope. Placeholders: extensionId, userId, resourceType, resourceId. */
export function inScope(t: ScopedColumns): SQL {
  return and(
    eq(t.extensionId, sql.placeholder('extensionId')),
    eq(t.userId, sql.placeholder('userId')),
    eq(t.resourceType, sql.placeholder('resourceType')),
    eq(t.resourceId, sql.placeholder('resourceId')),
  ) as SQL;
}

/** One scoped key. Placeholders: those of `inScope`, and key. */
export function atKey(t: ScopedColumns): SQL {
  return and(inScope(t), eq(t.key, sql.placeholder('key'))) as SQL;
}

/** One scoped key while its row is live. Placeholders: those of `atKey`, and now. */
export function liveAtKey(t: ScopedColumns): SQL {
  return and(atKey(t), live(t)) as SQL;
}

/**
 * The statement variants a listing needs: each combination of filters is a different statement (an
 * `OR ? IS NULL` in one statement would keep the planner from the index).
 */
export interface QueryShape {
  readonly category: boolean;
  readonly fromExclusive: boolean;
  readonly bounded: boolean;
}

/** Number of distinct shapes: a cache of prepared statements can be an array this long. */
export const QUERY_SHAPES = 8;

/** A value made on first use: each query shape's statement is prepared the first time it runs. */
export function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

/** The shape of a query, as an index into a cache of `QUERY_SHAPES` prepared statements. */
export function shapeIndex(query: RowQuery): number {
  return (query.category === null ? 0 : 1) | (query.range.fromExclusive ? 2 : 0) | (query.range.to === null ? 0 : 4);
}

/** The shape at a cache index. */
export function shapeAt(index: number): QueryShape {
  return { category: (index & 1) !== 0, fromExclusive: (index & 2) !== 0, bounded: (index & 4) !== 0 };
}

/**
 * A listing's live rows. Placeholders: those of `inScope`, from, now, and to / category when the shape
 * has them.
 */
export function matchesQuery(t: ScopedColumns, shape: QueryShape): SQL {
  return and(
    inScope(t),
    shape.category ? eq(t.category, sql.placeholder('category')) : undefined,
    shape.fromExclusive ? gt(t.key, sql.placeholder('from')) : gte(t.key, sql.placeholder('from')),
    shape.bounded ? lt(t.key, sql.placeholder('to')) : undefined,
    live(t),
  ) as SQL;
}

// The builders below write each object as one literal: spreading a scope into a new object and adding
// keys costs microseconds per call on V8 11 (Node 20), more than the statement itself on SQLite.

/** Values for the placeholders of `atKey`, and of `liveAtKey` when `now` is given. */
export function keyParams(scope: Scope, key: string, now?: Date): Record<string, string | Date | undefined> {
  return { extensionId: scope.extensionId, userId: scope.userId, resourceType: scope.resourceType, resourceId: scope.resourceId, key, now };
}

/** Values for the placeholders of `matchesQuery`, and of the page size when a listing has one. */
export function queryParams(scope: Scope, query: RowQuery, limit?: number): Record<string, string | number | Date | null | undefined> {
  return {
    now: query.now,
    extensionId: scope.extensionId,
    userId: scope.userId,
    resourceType: scope.resourceType,
    resourceId: scope.resourceId,
    category: query.category,
    from: query.range.from,
    to: query.range.to,
    limit,
  };
}
