/**
 * Stats: how many rows, bytes and encrypted rows each extension keeps in each kind of scope, from one
 * grouped statement.
 * @module
 */
import type { ScopeStatsRow } from './dialect.js';
import type { StorageContext } from './scope.js';
import * as validate from './validation.js';
import { STATS_OPTIONS } from './option-names.js';

/** The totals of one extension in one kind of scope (`global`, `user` or `resource`). */
export type ScopeStats = ScopeStatsRow;

/** Options of `storage.stats()`. */
export interface StatsOptions {
  /** Only this extension. */
  readonly extensionId?: string;
}

/**
 * Totals per extension and scope kind, ordered by extension id (bytewise), then global, user, resource;
 * a kind of scope without rows is absent.
 * @throws `VALIDATION` for a bad `extensionId`, `NOT_MIGRATED`, `DATABASE`.
 */
export async function stats(context: StorageContext, statsOptions?: StatsOptions): Promise<ScopeStats[]> {
  const options = validate.options('options', statsOptions, STATS_OPTIONS);
  const extensionId = options.extensionId === undefined ? null : validate.extensionId(options.extensionId);
  return context.dialect.stats(extensionId);
}
