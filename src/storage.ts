/**
 * `ExtensionStorage`: the object a host creates once, with its database dialect, and asks for
 * per-extension handles.
 * @module
 */
import type { BackendChoice } from './crypto/backend.js';
import { StorageCipher, type EncryptionKey, type EncryptionKeyBinding } from './crypto/storage-cipher.js';
import type { Dialect } from './dialect.js';
import { describeDialectCandidate } from './dialect-hint.js';
import { DatabaseError, EncryptionKeyMissingError, ExtensionStorageError, ValidationError } from './errors.js';
import { ExtensionHandle, type UserSource } from './extension.js';
import { EXTENSION_OPTIONS, LIMITS, STORAGE_OPTIONS } from './option-names.js';
import { rotateKeys, rotateKeysOptions, type RotateKeysOptions, type RotationResult } from './rotation.js';
import type { StorageContext } from './scope.js';
import { stats, type ScopeStats, type StatsOptions } from './stats.js';
import { exportEntries, importEntries, type ExportedEntry, type ExportOptions, type ImportOptions, type ImportResult } from './transfer.js';
import type { Limits, User } from './types.js';
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
    const cipher =
      options.encryptionKeys === undefined
        ? null
        : new StorageCipher(options.encryptionKeys, options.encryptionKeyBinding ?? 'scope', options.cryptoBackend ?? 'auto');
    this.#context = Object.freeze({ dialect: options.dialect as Dialect, maxValueBytes, cipher });
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
   * Rows, bytes and encrypted rows per extension and kind of scope.
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
