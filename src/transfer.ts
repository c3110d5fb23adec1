/**
 * Export and import: every entry of the table (or of one extension) streamed out in primary-key
 * batches, and read back in batches, keeping each entry's uuid, version, timestamps, authors and stored
 * form. Memory stays at about one batch whatever the table's size.
 * @module
 */
import type { ExportedRow, ImportConflict, ImportedRow, ImportOutcome, Scope } from './dialect.js';
import { AbortedError, EncryptionKeyMissingError, ExtensionStorageError, ValidationError } from './errors.js';
import { yieldToEventLoop } from './event-loop.js';
import type { StorageContext } from './scope.js';
import * as validate from './validation.js';
import { EXPORTED_ENTRY, EXPORT_OPTIONS, IMPORT_OPTIONS } from './option-names.js';
import { ownedBytes } from './bytes.js';
import { quotaRefusal } from './quota.js';
import { plaintextSizes } from './crypto/token.js';

/**
 * One entry as an export gives it and an import takes it: the entry, its scope and its stored value.
 * The scope is global when `userId` and `resourceType` are null, a user's when `userId` is set, a
 * resource's when `resourceType` and `resourceId` are.
 */
export interface ExportedEntry {
  readonly extensionId: string;
  readonly userId: string | null;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly key: string;
  readonly uuid: string;
  readonly valueType: string;
  readonly category: string | null;
  readonly description: string | null;
  /** Whether the entry is stored encrypted. */
  readonly encrypted: boolean;
  readonly version: number;
  /** The plaintext's length in bytes. */
  readonly size: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly createdBy: string | null;
  readonly updatedBy: string | null;
  /**
   * When the entry expires; `null` (or absent, in an export of an older release) for never. An export
   * includes entries that have expired but are not yet purged: an import keeps them expired.
   */
  readonly expiresAt?: Date | null;
  /**
   * The stored value: the plaintext, or for an encrypted entry the ASCII bytes of its Fernet token,
   * unless `decrypted`.
   */
  readonly value: Uint8Array;
  /** `true` when the export decrypted the value: an import encrypts it again under its own first key. */
  readonly decrypted?: boolean;
}

/** Options of `storage.exportEntries()`. */
export interface ExportOptions {
  /** Only this extension's entries. */
  readonly extensionId?: string;
  /**
   * Most rows read per batch (1..10,000; default 500). Batches start at one row and grow, and hold
   * about `BATCH_BYTES` (16 MiB) of values when values are large, so memory stays bounded either way.
   */
  readonly batchSize?: number;
  /** Give encrypted values as plaintext (`decrypted: true`); needs `encryptionKeys`. */
  readonly decrypt?: boolean;
  /** Stops the export between batches (the iteration throws the signal's reason). */
  readonly signal?: AbortSignal;
}

/** Options of `storage.importEntries()`. */
export interface ImportOptions {
  /**
   * An entry whose scoped key or uuid exists already: `'skip'` it, `'overwrite'` the existing entry, or
   * `'fail'` (default): stop there with an `IMPORT_CONFLICT` error.
   */
  readonly onConflict?: ImportConflict;
  /** Most entries written per transaction (1..10,000; default 500); a batch also ends at `BATCH_BYTES` (16 MiB) of values. */
  readonly batchSize?: number;
}

/** What an import did. */
export interface ImportResult {
  readonly inserted: number;
  readonly replaced: number;
  readonly skipped: number;
}

/**
 * Under `onConflict: 'fail'`, an imported entry whose scoped key or uuid exists already. The entries
 * before it were imported (`imported`), it and those after it were not.
 */
export class ImportConflictError extends ExtensionStorageError {
  /** What the import did before it stopped. */
  readonly imported: ImportResult;

  constructor(message: string, imported: ImportResult) {
    super('IMPORT_CONFLICT', message);
    this.imported = imported;
  }
}

const DEFAULT_BATCH_SIZE = 500;
/**
 * Bytes of values one batch of an export or an import aims at (16 MiB): `batchSize` bounds a batch's
 * rows, this its memory, so a table of large values streams as one of small ones does.
 */
export const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * How many rows the next export batch reads: twice the last (from one row, so the first batches stay
 * small whatever the values' sizes), at most `most`, and no more than fit in `BATCH_BYTES` at the size
 * of the largest value of the last batch. (A run of small values followed by large ones can still make
 * one batch of twice the last one's rows of large values, before the batches shrink.)
 */
function nextExportLimit(limit: number, rows: readonly ExportedRow[], most: number): number {
  let largest = 0;
  for (const row of rows) largest = Math.max(largest, row.value.byteLength);
  const fit = largest === 0 ? most : Math.max(1, Math.floor(BATCH_BYTES / largest));
  return Math.min(most, limit * 2, fit);
}
const CONFLICT_MODES: readonly ImportConflict[] = ['skip', 'overwrite', 'fail'];

function batchSize(input: unknown): number {
  if (input === undefined) return DEFAULT_BATCH_SIZE;
  const size = validate.positiveInteger('batchSize', input);
  if (size > 10_000) throw new ValidationError(`"batchSize" expected an integer in 1..10000, got ${size}`);
  return size;
}

/**
 * The entries of the table (or of one extension), in primary-key order: stable for an unchanged table,
 * the insertion order where ids ascend (SQLite, MySQL), not on PostgreSQL (random ids). Options are
 * checked at the call; rows are read one batch at a time as the iteration asks for them.
 * @throws `VALIDATION` for bad options, `ENCRYPTION_KEY_MISSING` for `decrypt` without keys; while
 * iterating, `NOT_MIGRATED` (no table), `DATABASE`, and `DECRYPTION_FAILED` when `decrypt` meets a token no key opens.
 */
export function exportEntries(context: StorageContext, exportOptions?: ExportOptions): AsyncIterable<ExportedEntry> {
  const options = validate.options('options', exportOptions, EXPORT_OPTIONS);
  const extensionId = options.extensionId === undefined ? null : validate.extensionId(options.extensionId);
  const size = batchSize(options.batchSize);
  const decrypt = validate.flag('decrypt', options.decrypt);
  const { dialect, cipher } = context;
  if (decrypt && cipher === null) throw new EncryptionKeyMissingError('"decrypt" needs the storage option "encryptionKeys"');
  const { signal } = options;
  return {
    async *[Symbol.asyncIterator]() {
      let exported = 0;
      for (let afterId = 0, limit = 1; ; ) {
        if (signal?.aborted) throw new AbortedError(`"exportEntries" was aborted after ${exported} ${exported === 1 ? 'entry' : 'entries'}`, signal.reason);
        const rows = await dialect.exportRows(afterId, limit, extensionId);
        if (rows.length === 0) return;
        for (const row of rows) {
          yield toExportedEntry(row, decrypt && row.isEncrypted ? cipher!.decrypt(row, row.key, row.value) : null);
          exported++;
        }
        afterId = rows[rows.length - 1]!.id;
        limit = nextExportLimit(limit, rows, size);
        await yieldToEventLoop();
      }
    },
  };
}

function toExportedEntry(row: ExportedRow, plaintext: Uint8Array | null): ExportedEntry {
  const value = plaintext ?? row.value;
  return {
    extensionId: row.extensionId,
    userId: row.userId === '' ? null : row.userId,
    resourceType: row.resourceType === '' ? null : row.resourceType,
    resourceId: row.resourceId === '' ? null : row.resourceId,
    key: row.key,
    uuid: row.uuid,
    valueType: row.valueType,
    category: row.category,
    description: row.description,
    encrypted: row.isEncrypted,
    version: row.version,
    size: row.size,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
    expiresAt: row.expiresAt,
    value: ownedBytes(value),
    ...(plaintext === null ? {} : { decrypted: true }),
  };
}

/**
 * Writes `entries` (as `exportEntries` gives them, from any database) in batches, one transaction each.
 * Values are stored as given: a token stays that token, and opens wherever the same keys (and key
 * binding) are configured, since a `'scope'` binding derives the row key from the entry's identity,
 * which the import keeps. A `decrypted` entry is encrypted again under the first key.
 * An invalid entry, or a conflict under `'fail'`, stops the import there: the entries before it are
 * imported, none after.
 * @throws `VALIDATION` (the message names the entry by its position, from 1), `VALUE_TOO_LARGE`,
 * `ENCRYPTION_KEY_MISSING` (a `decrypted` entry without keys), `IMPORT_CONFLICT`, `NOT_MIGRATED`, `DATABASE`.
 */
export async function importEntries(
  context: StorageContext,
  entries: AsyncIterable<ExportedEntry> | Iterable<ExportedEntry>,
  importOptions?: ImportOptions,
): Promise<ImportResult> {
  const source = entries as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
  if (source === null || typeof source !== 'object' || (typeof source[Symbol.asyncIterator] !== 'function' && typeof source[Symbol.iterator] !== 'function')) {
    throw new ValidationError(`"entries" expected an iterable or async iterable of exported entries, got ${source === null ? 'null' : typeof source}`);
  }
  const options = validate.options('options', importOptions, IMPORT_OPTIONS);
  const onConflict = options.onConflict ?? 'fail';
  if (!CONFLICT_MODES.includes(onConflict)) {
    throw new ValidationError(`"onConflict" expected one of ${CONFLICT_MODES.join(', ')}, got ${JSON.stringify(String(onConflict))}`);
  }
  const size = batchSize(options.batchSize);
  const totals = { inserted: 0, replaced: 0, skipped: 0 };
  let batch: ImportedRow[] = [];
  let batchBytes = 0;
  let written = 0;

  let flushFailed = false;
  const flush = async () => {
    let outcomes: ImportOutcome[];
    try {
      // Imported entries count against the quotas like any write: record them first.
      for (const extensionId of new Set(batch.map((row) => row.extensionId))) {
        const recording = context.quota.record(context.dialect, extensionId, !context.transactional);
        if (recording) await recording;
      }
      outcomes = await context.dialect.importRows(batch, onConflict);
    } catch (error) {
      flushFailed = true;
      throw quotaRefusal(error, `nothing of its batch was written; the ${written} entries before that batch were imported`) ?? error;
    }
    batch = [];
    batchBytes = 0;
    for (const outcome of outcomes) {
      if (outcome === 'conflict') {
        flushFailed = true;
        throw new ImportConflictError(
          `entry ${written + 1}: an entry with its scoped key or uuid exists already ("onConflict" is "fail"); the ${written} entries before it were imported`,
          { ...totals },
        );
      }
      written++;
      count(totals, outcome);
    }
  };

  // An invalid entry, or a failing source (a line that does not parse), stops the import after the
  // entries before it: the pending batch is written first.
  let position = 0;
  let checking = false;
  try {
    for await (const entry of entries) {
      position++;
      checking = true;
      const row = toImportedRow(context, entry);
      batch.push(row);
      batchBytes += row.value.byteLength;
      checking = false;
      if (batch.length >= size || batchBytes >= BATCH_BYTES) await flush();
    }
  } catch (error) {
    if (flushFailed) throw error;
    await flush();
    if (checking && error instanceof ExtensionStorageError && (error.code === 'VALIDATION' || error.code === 'VALUE_TOO_LARGE')) {
      throw new ValidationError(`entry ${position}: ${error.message}; the ${written} entries before it were imported`);
    }
    throw error;
  }
  if (batch.length > 0) await flush();
  return totals;
}

function count(totals: { inserted: number; replaced: number; skipped: number }, outcome: Exclude<ImportOutcome, 'conflict'>): void {
  if (outcome === 'inserted') totals.inserted++;
  else if (outcome === 'replaced') totals.replaced++;
  else totals.skipped++;
}

/** Checks one entry as `set` checks its arguments, and turns it into the row to write. */
function toImportedRow(context: StorageContext, input: ExportedEntry): ImportedRow {
  const entry = validate.options('entry', input, EXPORTED_ENTRY);
  const scope: Scope = {
    extensionId: validate.extensionId(entry.extensionId),
    userId: entry.userId === null || entry.userId === undefined ? '' : validate.userId(entry.userId, 'userId'),
    resourceType: entry.resourceType === null || entry.resourceType === undefined ? '' : validate.resourceType(entry.resourceType),
    resourceId: entry.resourceId === null || entry.resourceId === undefined ? '' : validate.resourceId(entry.resourceId),
  };
  if ((scope.resourceType === '') !== (scope.resourceId === '')) {
    throw new ValidationError('"resourceType" and "resourceId" expected both set or both null, got one');
  }
  if (scope.userId !== '' && scope.resourceType !== '') {
    throw new ValidationError('"userId" and "resourceType" expected at most one set (one scope per entry), got both');
  }
  const key = validate.key(entry.key);
  const encrypted = validate.flag('encrypted', entry.encrypted);
  const decrypted = validate.flag('decrypted', entry.decrypted);
  if (decrypted && !encrypted) throw new ValidationError('"decrypted" expected only on an encrypted entry, got it on a plain one');
  if (!(entry.value instanceof Uint8Array)) throw new ValidationError('"value" expected a Uint8Array');
  const plain = !encrypted || decrypted;
  if (plain) validate.value(entry.value, context.maxValueBytes);
  const size = nonNegativeInteger('size', entry.size);
  if (plain && size !== entry.value.byteLength) {
    throw new ValidationError(`"size" expected the value's length (${entry.value.byteLength}), got ${size}`);
  }
  if (!plain) {
    // Usage and quotas count the plaintext: a token's length bounds it, so an entry cannot claim another.
    const sizes = plaintextSizes(entry.value);
    if (sizes === undefined) throw new ValidationError('"value" expected a Fernet token (the entry is encrypted), got bytes of another shape');
    if (size < sizes[0] || size > sizes[1]) {
      throw new ValidationError(`"size" expected the plaintext length its token can hold (${sizes[0]}..${sizes[1]}), got ${size}`);
    }
  }
  if (size > context.maxValueBytes) throw new ValidationError(`"size" expected at most ${context.maxValueBytes} (limits.maxValueBytes), got ${size}`);
  let value = entry.value;
  if (decrypted) {
    if (context.cipher === null) throw new EncryptionKeyMissingError('a decrypted entry needs the storage option "encryptionKeys" to be encrypted again');
    value = context.cipher.encrypt(scope, key, entry.value);
  }
  return {
    extensionId: scope.extensionId,
    userId: scope.userId,
    resourceType: scope.resourceType,
    resourceId: scope.resourceId,
    key,
    uuid: uuid(entry.uuid),
    value,
    valueType: validate.valueType(entry.valueType),
    category: validate.category(entry.category),
    description: validate.description(entry.description),
    isEncrypted: encrypted,
    size,
    version: validate.positiveInteger('version', entry.version),
    createdAt: date('createdAt', entry.createdAt),
    updatedAt: date('updatedAt', entry.updatedAt),
    createdBy: author('createdBy', entry.createdBy),
    updatedBy: author('updatedBy', entry.updatedBy),
    expiresAt: entry.expiresAt === undefined || entry.expiresAt === null ? null : validate.expiry(undefined, entry.expiresAt, new Date(0)),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uuid(input: unknown): string {
  if (typeof input !== 'string' || !UUID.test(input)) throw new ValidationError('"uuid" expected a lowercase UUID');
  return input;
}

function nonNegativeInteger(field: string, input: unknown): number {
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < 0) {
    throw new ValidationError(`"${field}" expected a non-negative integer`);
  }
  return input;
}

function date(field: string, input: unknown): Date {
  if (!(input instanceof Date) || Number.isNaN(input.getTime())) throw new ValidationError(`"${field}" expected a valid Date`);
  return input;
}

function author(field: string, input: unknown): string | null {
  if (input === null || input === undefined) return null;
  return validate.userId(input as string, field);
}
