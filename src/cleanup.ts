/**
 * Cleanup when things go away (an extension uninstalled, a user or a host object deleted) and the purge
 * of expired entries: deletions in bounded batches, each its own statement, so that a million rows never
 * become one transaction, and the database's usage record stays exact through every batch. The event
 * loop gets a turn between batches (a synchronous driver would otherwise hold it, and a signal handler
 * that aborts the job could never run).
 * @module
 */
import type { Dialect, RowSet } from './dialect.js';
import { AbortedError, ValidationError } from './errors.js';
import { yieldToEventLoop } from './event-loop.js';
import { CLEANUP_OPTIONS } from './option-names.js';
import * as validate from './validation.js';

/** Options of the cleanup methods and of `purgeExpired`. */
export interface CleanupOptions {
  /** Rows deleted per statement (1..10,000; default 1,000). */
  readonly batchSize?: number;
  /** Stops between batches; batches already deleted stay deleted, and a later call goes on. */
  readonly signal?: AbortSignal;
  /**
   * Called after each batch with the entries removed so far by this call (a progress display, or the
   * count reached when the signal stops it).
   */
  readonly onProgress?: (removed: number) => void;
}

/** Validated cleanup options. */
interface Batches {
  readonly batchSize: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((removed: number) => void) | undefined;
}

/** The validated batch size, signal and progress callback of `options`. @throws `VALIDATION` */
export function cleanupOptions(input: CleanupOptions | undefined): Batches {
  const options = validate.options('options', input, CLEANUP_OPTIONS);
  const { onProgress } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new ValidationError('"onProgress" expected a function');
  return { batchSize: validate.batchSize(options.batchSize, 1000), signal: validate.abortSignal(options.signal), onProgress };
}

/** Throws `ABORTED` once the signal has fired (between batches: what was deleted stays deleted). */
function checkAborted(signal: AbortSignal | undefined, what: string, removed: number): void {
  if (signal?.aborted) throw new AbortedError(`${what} was aborted after removing ${removed} entries`, signal.reason);
}

/** The row sets `deleteUser` removes: the user's user-scope rows of each extension that holds rows. */
export async function userRowSets(dialect: Dialect, userId: string): Promise<RowSet[]> {
  return (await dialect.extensionIds()).map((extensionId): RowSet => ({ kind: 'user', extensionId, userId }));
}

/** The row sets `deleteResource` removes: the resource's rows of each extension that holds rows. */
export async function resourceRowSets(dialect: Dialect, resourceType: string, resourceId: string): Promise<RowSet[]> {
  return (await dialect.extensionIds()).map((extensionId): RowSet => ({ kind: 'scope', scope: { extensionId, userId: '', resourceType, resourceId } }));
}

/** Deletes the rows of each set in turn, a batch at a time, until none is left; returns how many. */
export async function deleteRowSets(
  dialect: Dialect,
  what: string,
  sets: Iterable<RowSet>,
  { batchSize, signal, onProgress }: Batches,
): Promise<number> {
  let removed = 0;
  for (const rows of sets) {
    for (;;) {
      checkAborted(signal, what, removed);
      const deleted = await dialect.deleteRows(rows, batchSize);
      removed += deleted;
      onProgress?.(removed);
      if (deleted < batchSize) break;
      await yieldToEventLoop();
    }
  }
  return removed;
}

/** Deletes every row expired at `now()`, a batch at a time; returns how many. */
export async function deleteExpired(
  dialect: Dialect,
  now: () => Date,
  { batchSize, signal, onProgress }: Batches,
): Promise<number> {
  let removed = 0;
  for (;;) {
    checkAborted(signal, '"purgeExpired"', removed);
    const deleted = await dialect.deleteExpired(now(), batchSize);
    removed += deleted;
    onProgress?.(removed);
    if (deleted < batchSize) return removed;
    await yieldToEventLoop();
  }
}
