/**
 * `ExtensionStorage`: the object a host creates once, with its database dialect, and asks for
 * per-extension handles.
 * @module
 */
import type { Authorize } from './authorization.js';
import { cleanupOptions, deleteExpired, deleteRowSets, resourceRowSets, userRowSets, type CleanupOptions } from './cleanup.js';
import type { BackendChoice } from './crypto/backend.js';
import { StorageCipher, type EncryptionKey, type EncryptionKeyBinding } from './crypto/storage-cipher.js';
import type { Dialect, QuotaLimits, RowSet, UsageRecord } from './dialect.js';
import { describeDialectCandidate } from './dialect-hint.js';
import { DatabaseError, EncryptionKeyMissingError, ExtensionStorageError, ValidationError } from './errors.js';
import { ExtensionHandle, type UserSource } from './extension.js';
import { EXTENSION_OPTIONS, LIMITS, STORAGE_OPTIONS } from './option-names.js';
import { QuotaRecorder, quotaDefaults, type QuotaFunction } from './quota.js';
import { rotateKeys, rotateKeysOptions, type RotateKeysOptions, type RotationResult } from './rotation.js';
import type { StorageContext } from './scope.js';
import { stats, type ScopeStats, type StatsOptions } from './stats.js';
import { exportEntries, importEntries, type ExportedEntry, type ExportOptions, type ImportOptions, type ImportResult } from './transfer.js';
import { hostView, runTransaction, TransactionStorage } from './transaction.js';
import type { Limits, TransactionOptions, User } from './types.js';
import * as validate from './validation.js';

/** 16 MiB − 1, the largest value the reference implementation stores. */
export const DEFAULT_MAX_VALUE_BYTES = 16 * 1024 * 1024 - 1;

/** Options of `new ExtensionStorage(...)`. */
export interface ExtensionStorageOptions {
  /** The database, e.g. `sqlite(new Database('app.db'))`. */
  readonly dialect: Dialect;
  /** Returns the caller's user (or nothing), e.g. from AsyncLocalStorage; asked at every user-scope operation. */
  readonly user?: () => User | undefined | null;
  readonly limits?: Partial<Limits>;
  /**
   * Keys for `set(..., { encrypt: true })`: a secret string (hashed with SHA-256 into a key, as
   * `deriveFernetKey`), 32 raw key bytes, or a non-empty list of them. The first encrypts; all decrypt.
   */
  readonly encryptionKeys?: EncryptionKey | readonly EncryptionKey[];
  /**
   * `'scope'` (default): each row's key is derived from the configured key and the row's identity, so a
   * token copied to another row does not decrypt. `'none'`: one key for the whole table, as the reference.
   */
  readonly encryptionKeyBinding?: EncryptionKeyBinding;
  /** Crypto implementation: `'auto'` (node:crypto where present, else pure JS), `'native'` or `'portable'`. */
  readonly cryptoBackend?: BackendChoice;
  /**
   * The clock that decides expiry (default `() => new Date()`): the application's, not the database's,
   * so that tests can move time and every dialect judges alike.
   */
  readonly now?: () => Date;
  /**
   * Per-extension quotas over `limits.quotaBytesPerExtension` / `quotaKeysPerExtension`: return
   * `{ bytes?, keys? }` to override either for that extension, or `undefined` to keep the defaults. Asked
   * at every write; its answer must be the same in every process of the host.
   */
  readonly quota?: QuotaFunction;
  /**
   * Asked before every operation of a scope handle; only `true` allows, anything else (or a throw) is
   * `FORBIDDEN`. Without it, everything a handle can address is allowed.
   */
  readonly authorize?: Authorize;
}

/** Options of `storage.extension(...)`. */
export interface ExtensionOptions {
  /** The caller's user; overrides the storage-wide `user` function. `null` means no user. */
  readonly user?: User | null;
}

/**
 * Scoped key-value storage for a host's extensions, inside the host's database.
 * @example
 * const storage = new ExtensionStorage({ dialect: sqlite(new Database('app.db')) });
 * await storage.migrate();
 * const ext = storage.extension('acme.my-ext', { user: { id: 42 } });
 * await ext.user.set('prefs', 'compact');
 */
export class ExtensionStorage {
  readonly #context: StorageContext;
  readonly #user: UserSource;

  /** @throws `VALIDATION` for a missing or unwrapped dialect, an unknown option, or a bad value of one. */
  constructor(storageOptions: ExtensionStorageOptions) {
    if (storageOptions === undefined) throw new ValidationError('"options" expected an object with a "dialect", got none');
    const options = validate.options('options', storageOptions, STORAGE_OPTIONS);
    if (typeof (options.dialect as Partial<Dialect> | undefined)?.upsert !== 'function') {
      throw new ValidationError(`"dialect" expected a dialect such as sqlite(db), ${describeDialectCandidate(options.dialect)}`);
    }
    if (options.user !== undefined && typeof options.user !== 'function') {
      throw new ValidationError(`"user" expected a function returning the caller's user, got ${typeof options.user}`);
    }
    const limits = validate.options('limits', options.limits, LIMITS);
    const maxValueBytes = validate.positiveInteger('limits.maxValueBytes', limits.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES);
    // Checked with or without keys: a misspelt value is refused, never ignored until keys arrive.
    const binding = options.encryptionKeyBinding ?? 'scope';
    if (binding !== 'scope' && binding !== 'none') {
      throw new ValidationError(`"encryptionKeyBinding" expected "scope" or "none", got ${typeof binding}`);
    }
    const backend = options.cryptoBackend ?? 'auto';
    if (backend !== 'auto' && backend !== 'native' && backend !== 'portable') {
      throw new ValidationError(`"cryptoBackend" expected "auto", "native" or "portable", got ${typeof backend}`);
    }
    const cipher = options.encryptionKeys === undefined ? null : new StorageCipher(options.encryptionKeys, binding, backend);
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new ValidationError(`"now" expected a function returning a Date, got ${typeof options.now}`);
    }
    const clock = options.now;
    const now =
      clock === undefined
        ? () => new Date()
        : () => {
            let date: unknown;
            try {
              date = clock();
            } catch (error) {
              throw new ValidationError('"now" threw; nothing was read or written', { cause: error });
            }
            if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
              throw new ValidationError(`"now" expected a function returning a valid Date, got ${date instanceof Date ? 'an invalid Date' : typeof date}`);
            }
            return date;
          };
    if (options.quota !== undefined && typeof options.quota !== 'function') {
      throw new ValidationError(`"quota" expected a function (extensionId) => ({ bytes?, keys? }) | undefined, got ${typeof options.quota}`);
    }
    const quota = new QuotaRecorder(quotaDefaults(limits), options.quota);
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new ValidationError(`"authorize" expected a function (request) => boolean | Promise<boolean>, got ${typeof options.authorize}`);
    }
    const authorize = options.authorize ?? null;
    this.#context = Object.freeze({ dialect: options.dialect as Dialect, maxValueBytes, cipher, now, quota, authorize, transactional: false });
    this.#user = options.user;
  }

  /**
   * Creates or upgrades the library's table; idempotent, safe to call on every start and from many
   * processes, and after a crash at any point of an earlier run. First checks what the library assumes
   * of the database (encoding, server version, …).
   * @throws `UNSUPPORTED_DATABASE` (the message says which setting to change), `MIGRATION`, `DATABASE`.
   */
  migrate(): Promise<void> {
    return typed(this.#context.dialect, 'migrate', () => this.#context.dialect.migrate());
  }

  /**
   * Removes everything `migrate()` created, data included; also what an interrupted `migrate()` left.
   * @throws `MIGRATION`, `DATABASE`.
   */
  migrateDown(): Promise<void> {
    return typed(this.#context.dialect, 'migrateDown', () => this.#context.dialect.migrateDown());
  }

  /**
   * Re-encrypts every encrypted row under the first of `encryptionKeys`, in batches, without losing a
   * write the application makes meanwhile; safe to interrupt and run again.
   * @example
   * const storage = new ExtensionStorage({ dialect, encryptionKeys: [newSecret, oldSecret] });
   * const { rotated, failed } = await storage.rotateKeys();
   */
  async rotateKeys(options?: RotateKeysOptions): Promise<RotationResult> {
    rotateKeysOptions(options);
    const { cipher, dialect } = this.#context;
    if (cipher === null) throw new EncryptionKeyMissingError('"rotateKeys" needs the storage option "encryptionKeys"');
    return rotateKeys(dialect, cipher, options);
  }

  /**
   * What an extension stores: `{ bytes, keys }`, value bytes as given (before encryption) and entries,
   * expired ones included until purged or overwritten. Kept by the database in the transaction of every
   * change, so reading it costs one primary-key lookup.
   * @example
   * const { bytes, keys } = await storage.usage('acme.my-ext');
   */
  async usage(extensionId: string): Promise<UsageRecord> {
    return this.#context.dialect.usage(validate.extensionId(extensionId));
  }

  /**
   * The quota recorded in an extension's usage row, which the database enforces: `{ bytes, keys }`, each
   * a limit or `null` for none. A process records its limits (from `limits` and `quota`) before its first
   * write to the extension, so this is what the last writer configured; `null`s before any write.
   * @throws `VALIDATION`, `NOT_MIGRATED`, `DATABASE`.
   * @example
   * const { bytes: maxBytes } = await storage.recordedQuota('acme.my-ext');
   */
  async recordedQuota(extensionId: string): Promise<QuotaLimits> {
    return this.#context.dialect.recordedQuota(validate.extensionId(extensionId));
  }

  /**
   * Uninstall: removes every entry of an extension in every scope (exactly that id: `acme.ext` never
   * touches `acme.ext2`), in batches. Returns how many entries it removed. Dry run:
   * `stats({ extensionId })` counts what it would remove.
   * @throws `VALIDATION`, `ABORTED` (by `signal`, between batches), `NOT_MIGRATED`, `DATABASE`.
   * @example
   * const removed = await storage.purgeExtension('acme.my-ext');
   */
  async purgeExtension(extensionId: string, options?: CleanupOptions): Promise<number> {
    const rows: RowSet = { kind: 'extension', extensionId: validate.extensionId(extensionId) };
    return deleteRowSets(this.#context.dialect, '"purgeExtension"', [rows], cleanupOptions(options));
  }

  /**
   * A user went away: removes that user's user-scope entries of every extension, in batches (they are
   * deleted, never turned into global entries). Returns how many it removed. Dry run: `stats({ userId })`.
   * @throws `VALIDATION`, `ABORTED` (by `signal`, between batches), `NOT_MIGRATED`, `DATABASE`.
   */
  async deleteUser(userId: string | number, options?: CleanupOptions): Promise<number> {
    const id = validate.userId(userId, 'userId');
    const batches = cleanupOptions(options);
    const { dialect } = this.#context;
    return deleteRowSets(dialect, '"deleteUser"', await userRowSets(dialect, id), batches);
  }

  /**
   * A host object went away (a dashboard, a chart, …): removes its resource-scope entries of every
   * extension, in batches. Returns how many it removed. Dry run: `stats({ resourceType, resourceId })`.
   * @throws `VALIDATION`, `ABORTED` (by `signal`, between batches), `NOT_MIGRATED`, `DATABASE`.
   * @example
   * await storage.deleteResource('dashboard', dashboard.uuid);
   */
  async deleteResource(type: string, id: string | number, options?: CleanupOptions): Promise<number> {
    const resourceType = validate.resourceType(type);
    const resourceId = validate.resourceId(id);
    const batches = cleanupOptions(options);
    const { dialect } = this.#context;
    return deleteRowSets(dialect, '"deleteResource"', await resourceRowSets(dialect, resourceType, resourceId), batches);
  }

  /**
   * Deletes the entries whose expiry has passed, in batches through the index on the expiry column.
   * Expired entries are already absent to every read; this reclaims their space and usage. Dry run:
   * `stats({ expired: true })`.
   * @throws `VALIDATION`, `ABORTED` (by `signal`, between batches), `NOT_MIGRATED`, `DATABASE`.
   */
  async purgeExpired(options?: CleanupOptions): Promise<number> {
    return deleteExpired(this.#context.dialect, this.#context.now, cleanupOptions(options));
  }

  /**
   * Every entry (or one extension's), streamed in primary-key batches with its scope, metadata and stored
   * value: what `importEntries` takes, here or in another database. See `exportEntries` in `transfer.ts`
   * (the order: by primary key, which is insertion order on SQLite and MySQL only).
   * @throws `VALIDATION`, `ENCRYPTION_KEY_MISSING` (`decrypt` without keys); while iterating `NOT_MIGRATED`, `DATABASE`, `DECRYPTION_FAILED`.
   * @example
   * for await (const entry of storage.exportEntries({ extensionId: 'acme.my-ext' })) write(entry);
   */
  exportEntries(options?: ExportOptions): AsyncIterable<ExportedEntry> {
    return exportEntries(this.#context, options);
  }

  /**
   * Writes exported entries, keeping their uuid, version, timestamps, authors and tokens.
   * @throws `VALIDATION`, `VALUE_TOO_LARGE`, `ENCRYPTION_KEY_MISSING`, `IMPORT_CONFLICT` (under `onConflict: 'fail'`), `NOT_MIGRATED`, `DATABASE`.
   * @example
   * const { inserted } = await target.importEntries(source.exportEntries(), { onConflict: 'skip' });
   */
  importEntries(entries: AsyncIterable<ExportedEntry> | Iterable<ExportedEntry>, options?: ImportOptions): Promise<ImportResult> {
    return importEntries(this.#context, entries, options);
  }

  /**
   * Rows, bytes and encrypted rows per extension and kind of scope; narrowed by `StatsOptions` to the
   * rows a cleanup would remove, its dry run.
   * @throws `VALIDATION`, `NOT_MIGRATED`, `DATABASE`.
   * @example
   * const rows = await storage.stats({ extensionId: 'acme.my-ext' });
   */
  stats(options?: StatsOptions): Promise<ScopeStats[]> {
    return stats(this.#context, options);
  }

  /**
   * The handle of one extension (`publisher.name`). No I/O: create one per request.
   * @example
   * const ext = storage.extension('acme.my-ext', { user: { id: 42 } });
   */
  extension(extensionId: string, options?: ExtensionOptions): ExtensionHandle {
    const { user } = validate.options('options', options, EXTENSION_OPTIONS);
    return new ExtensionHandle(this.#context, extensionId, user === undefined ? this.#user : user);
  }

  /**
   * Runs `fn` in one database transaction: every operation of `tx.extension(...)` handles commits
   * together when `fn` resolves, or rolls back when it throws (the error is rethrown). Nested
   * `tx.transaction(...)` calls are savepoints. The operations of `tx` run one after another in call
   * order, also when started side by side; the transaction ends once `fn` and the operations it started
   * have settled, and refuses later ones (`VALIDATION`). A deadlock or serialization failure is a
   * `ConflictError` with `retryable: true`; `retries` (default 0) runs `fn` again that many times.
   * @example
   * await storage.transaction(async (tx) => {
   *   const ext = tx.extension('acme.board', { user });
   *   await ext.user.set('draft', text);
   *   await ext.global.increment('drafts');
   * });
   */
  transaction<T>(fn: (tx: TransactionStorage) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return runTransaction(this.#context, this.#user, fn, options);
  }

  /**
   * A view of this storage whose statements run inside a transaction the host opened (and will commit
   * or roll back) on its own connection: a Drizzle transaction on every dialect, or the driver's handle
   * (see the README per dialect). Throws `VALIDATION` for a handle the dialect does not accept.
   * @example
   * await db.transaction(async (hostTx) => {
   *   await hostTx.insert(dashboards).values(row);
   *   await storage.withTransaction(hostTx).extension('acme.board').resource('dashboard', row.id).set('state', s);
   * });
   */
  withTransaction(hostTransaction: unknown): TransactionStorage {
    return hostView(this.#context, this.#user, hostTransaction);
  }

  /** The largest value in bytes `set` accepts (`limits.maxValueBytes`): what an HTTP layer reads of a body at most. */
  get maxValueBytes(): number {
    return this.#context.maxValueBytes;
  }
}

/** Runs a dialect's maintenance operation; anything a dialect let through untyped becomes `DATABASE`. */
async function typed(dialect: Dialect, operation: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ExtensionStorageError) throw error;
    throw new DatabaseError(`${dialect.name}: ${operation} failed`, error);
  }
}
