/**
 * Stats: how many rows, bytes and encrypted rows each extension keeps in each kind of scope, from one
 * grouped statement; narrowed to the rows a cleanup would remove, they are its dry run.
 * @module
 */
import { resourceRowSets, userRowSets } from './cleanup.js';
import type { Dialect, RowSet, ScopeStatsRow } from './dialect.js';
import { ValidationError } from './errors.js';
import type { StorageContext } from './scope.js';
import * as validate from './validation.js';
import { STATS_OPTIONS } from './option-names.js';

/** The totals of one extension in one kind of scope (`global`, `user` or `resource`). */
export type ScopeStats = ScopeStatsRow;

/**
 * Options of `storage.stats()`. Each filter selects exactly the rows a cleanup removes, so the stats are
 * its dry run: `{ extensionId }` → `purgeExtension`, `{ userId }` → `deleteUser`, `{ resourceType,
 * resourceId }` → `deleteResource`, `{ expired: true }` → `purgeExpired` (expired rows are counted by
 * the other filters too, as the cleanups remove them).
 */
export interface StatsOptions {
  /** Only this extension (with `userId` or a resource: only that extension's part of it). */
  readonly extensionId?: string;
  /** Only this user's user-scope rows. */
  readonly userId?: string | number;
  /** With `resourceId`: only that host object's resource-scope rows. */
  readonly resourceType?: string;
  /** With `resourceType`. */
  readonly resourceId?: string | number;
  /** Only the rows whose expiry has passed at the storage's `now()`; not combined with the other filters. */
  readonly expired?: boolean;
}

/**
 * Totals per extension and scope kind, ordered by extension id (bytewise), then global, user, resource;
 * a kind of scope without rows is absent. Reads only.
 * @throws `VALIDATION` for a bad filter or a combination the options refuse, `NOT_MIGRATED`, `DATABASE`.
 */
export async function stats(context: StorageContext, statsOptions?: StatsOptions): Promise<ScopeStats[]> {
  const options = validate.options('options', statsOptions, STATS_OPTIONS);
  const extensionId = options.extensionId === undefined ? null : validate.extensionId(options.extensionId);
  const { dialect } = context;
  if (validate.flag('expired', options.expired)) {
    const others = (['extensionId', 'userId', 'resourceType', 'resourceId'] as const).filter((name) => options[name] !== undefined);
    if (others.length > 0) throw new ValidationError(`"expired" counts every extension's expired rows: it takes no "${others[0]}"`);
    return dialect.countExpired(context.now());
  }
  if (options.userId !== undefined) {
    if (options.resourceType !== undefined || options.resourceId !== undefined) {
      throw new ValidationError('"userId" and "resourceType"/"resourceId" select different scopes: give one of them');
    }
    const userId = validate.userId(options.userId, 'userId');
    return countSets(dialect, extensionId === null ? await userRowSets(dialect, userId) : [{ kind: 'user', extensionId, userId }]);
  }
  if (options.resourceType !== undefined || options.resourceId !== undefined) {
    if (options.resourceType === undefined) throw new ValidationError('"resourceId" needs "resourceType"');
    if (options.resourceId === undefined) throw new ValidationError('"resourceType" needs "resourceId"');
    const resourceType = validate.resourceType(options.resourceType);
    const resourceId = validate.resourceId(options.resourceId);
    return countSets(
      dialect,
      extensionId === null
        ? await resourceRowSets(dialect, resourceType, resourceId)
        : [{ kind: 'scope', scope: { extensionId, userId: '', resourceType, resourceId } }],
    );
  }
  return dialect.stats(extensionId);
}

/** The counts of each row set, in turn (each is one extension's: the result stays in extension order). */
async function countSets(dialect: Dialect, sets: readonly RowSet[]): Promise<ScopeStats[]> {
  const counts: ScopeStats[] = [];
  for (const rows of sets) counts.push(...(await dialect.countRows(rows)));
  return counts;
}
