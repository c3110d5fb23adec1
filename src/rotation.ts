/**
 * Key rotation: re-encrypts every encrypted row under the first configured key, streaming the table
 * by primary key in batches, each written back in its own transaction and only where the row's version
 * is still the one read, so a write the application makes meanwhile is never overwritten.
 * @module
 */
import type { Dialect, EncryptedRow } from './dialect.js';
import { AbortedError, ValidationError } from './errors.js';
import { ROTATE_KEYS_OPTIONS } from './option-names.js';
import type { RowCipher } from './row-cipher.js';
import * as validate from './validation.js';

/** Options of `storage.rotateKeys()`. */
export interface RotateKeysOptions {
  /** Rows read per batch (1..10,000; default 100). Memory is about `batchSize` × the largest value. */
  readonly batchSize?: number;
  /** Called after every batch with the counts so far (the failed ids come once, in the result). */
  readonly onProgress?: (progress: RotationProgress) => void;
  /**
   * Stops the run between batches with an `ABORTED` error (the signal's reason in `cause`); batches
   * already written stay written, and a later run resumes.
   */
  readonly signal?: AbortSignal;
}

/** What a rotation run did. */
export interface RotationResult {
  /** Encrypted rows examined. */
  readonly scanned: number;
  /** Rows re-encrypted under the first key. */
  readonly rotated: number;
  /** Rows that were already under the first key (including rows the application rewrote meanwhile). */
  readonly alreadyCurrent: number;
  /** Rows no configured key opens, or that kept changing under the run; left untouched. */
  readonly failed: number;
  /** Primary keys (`id`) of the failed rows. */
  readonly failedIds: number[];
}

/** Counts after a batch, and the last primary key done (a run resumes after it anyway). */
export interface RotationProgress extends Omit<RotationResult, 'failedIds'> {
  readonly lastId: number;
}

/** How often one batch is re-read when the application keeps rewriting some of its rows. */
const MAX_PASSES = 5;

type Outcome = 'rotated' | 'current' | 'failed';

/** `rotateKeys`' options, checked before any I/O. @throws `VALIDATION` */
export function rotateKeysOptions(input: RotateKeysOptions | undefined): {
  batchSize: number;
  onProgress: ((progress: RotationProgress) => void) | undefined;
  signal: AbortSignal | undefined;
} {
  const options = validate.options('options', input, ROTATE_KEYS_OPTIONS);
  const batchSize = options.batchSize === undefined ? 100 : validate.positiveInteger('batchSize', options.batchSize);
  if (batchSize > 10_000) throw new ValidationError(`"batchSize" expected an integer in 1..10000, got ${batchSize}`);
  const { onProgress, signal } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new ValidationError(`"onProgress" expected a function, got ${onProgress === null ? 'null' : typeof onProgress}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ValidationError(`"signal" expected an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  }
  return { batchSize, onProgress, signal };
}

/**
 * Re-encrypts every encrypted row under the first key of `cipher`.
 * @throws `VALIDATION` (bad options, before any I/O), `ABORTED` (the signal fired; cause: its reason).
 * @example
 * const result = await storage.rotateKeys({ batchSize: 500, onProgress: (p) => log(p.scanned) });
 */
export async function rotateKeys(dialect: Dialect, cipher: RowCipher, input?: RotateKeysOptions): Promise<RotationResult> {
  const { batchSize, onProgress, signal } = rotateKeysOptions(input);
  const totals = { scanned: 0, rotated: 0, alreadyCurrent: 0, failed: 0, failedIds: [] as number[] };
  for (let afterId = 0; ; ) {
    if (signal?.aborted) throw new AbortedError(`"rotateKeys" was aborted after ${totals.scanned} rows`, signal.reason);
    const batch = await rotateBatch(dialect, cipher, afterId, batchSize);
    if (batch === null) return totals;
    for (const [id, outcome] of batch.outcomes) {
      totals.scanned++;
      if (outcome === 'rotated') totals.rotated++;
      else if (outcome === 'current') totals.alreadyCurrent++;
      else {
        totals.failed++;
        totals.failedIds.push(id);
      }
    }
    afterId = batch.lastId;
    onProgress?.({ scanned: totals.scanned, rotated: totals.rotated, alreadyCurrent: totals.alreadyCurrent, failed: totals.failed, lastId: afterId });
  }
}

/**
 * Rotates the batch of rows after `afterId`; `null` when there are none. A row whose version moved
 * between read and write was rewritten by the application: it is judged again by what it holds now
 * (a row since deleted or stored in clear drops out of the counts).
 */
async function rotateBatch(
  dialect: Dialect,
  cipher: RowCipher,
  afterId: number,
  batchSize: number,
): Promise<{ outcomes: Map<number, Outcome>; lastId: number } | null> {
  let rows = await dialect.encryptedRows(afterId, batchSize);
  if (rows.length === 0) return null;
  const lastId = rows[rows.length - 1]!.id;
  const outcomes = new Map<number, Outcome>();
  for (let pass = 1; rows.length > 0; pass++) {
    const updates: { id: number; version: number; value: Uint8Array }[] = [];
    for (const row of rows) {
      const result = rotateRow(cipher, row);
      if (typeof result === 'string') outcomes.set(row.id, result);
      else {
        outcomes.set(row.id, 'rotated');
        updates.push(result);
      }
    }
    const stale = new Set(updates.length === 0 ? [] : await dialect.replaceValues(updates));
    if (stale.size === 0) break;
    for (const id of stale) outcomes.set(id, 'failed');
    if (pass === MAX_PASSES) break;
    for (const id of stale) outcomes.delete(id);
    rows = (await dialect.encryptedRows(afterId, batchSize)).filter((row) => stale.has(row.id));
  }
  return { outcomes, lastId };
}

function rotateRow(cipher: RowCipher, row: EncryptedRow): 'current' | 'failed' | { id: number; version: number; value: Uint8Array } {
  try {
    const value = cipher.reencrypt(row, row.key, row.value);
    return value === null ? 'current' : { id: row.id, version: row.version, value };
  } catch {
    return 'failed';
  }
}
