/**
 * Cleanup when things go away (an extension uninstalled, a user or a host object deleted) and the purge
 * of expired entries: deletions in bounded batches, each its own statement, so that a million rows never
 * become one transaction, and the database's usage record stays exact through every batch.
 * @module
 */
import type { Dialect, RowSet } from './dialect.js';
import { ValidationError } from './errors.js';
import * as validate from './validation.js';

/** Options of the cleanup methods and of `purgeExpired`. */
export interface CleanupOptions {
  /** Rows deleted per statement (1..10,000; default 1,000). */
  readonly batchSize?: number;
  /** Stops between batches; batches already deleted stay deleted, and a later call goes on. */
  readonly signal?: AbortSignal;
}

const DEFAULT_BATCH = 1000;
const MAX_BATCH = 10_000;

/** The validated batch size and signal of `options`. */
export function cleanupOptions(input: CleanupOptions | undefined): { batchSize: number; signal: AbortSignal | undefined } {
  const options = validate.options('options', input);
  const batchSize = options.batchSize === undefined ? DEFAULT_BATCH : validate.positiveInteger('batchSize', options.batchSize);
  if (batchSize > MAX_BATCH) throw new ValidationError(`"batchSize" expected an integer in 1..${MAX_BATCH}, got ${batchSize}`);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new ValidationError(`"signal" expected an AbortSignal, got ${typeof options.signal}`);
  }
  return { batchSize, signal: options.signal };
}

/** Deletes the rows of each set in turn, a batch at a time, until none is left; returns how many. */
export async function deleteRowSets(
  dialect: Dialect,
  sets: Iterable<RowSet>,
  { batchSize, signal }: { batchSize: number; signal: AbortSignal | undefined },
): Promise<number> {
  let removed = 0;
  for (const rows of sets) {
    for (;;) {
      signal?.throwIfAborted();
      const deleted = await dialect.deleteRows(rows, batchSize);
      removed += deleted;
      if (deleted < batchSize) break;
    }
  }
  return removed;
}

/** Deletes every row expired at `now()`, a batch at a time; returns how many. */
export async function deleteExpired(
  dialect: Dialect,
  now: () => Date,
  { batchSize, signal }: { batchSize: number; signal: AbortSignal | undefined },
): Promise<number> {
  let removed = 0;
  for (;;) {
    signal?.throwIfAborted();
    const deleted = await dialect.deleteExpired(now(), batchSize);
    removed += deleted;
    if (deleted < batchSize) return removed;
  }
}
