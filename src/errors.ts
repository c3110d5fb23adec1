/**
 * Errors: one base class with a stable `code`, and a subclass per family callers branch on.
 * Messages name the field and the rule; they never contain values, keys or secrets.
 * @module
 */
import { sanitizeDriverError } from './driver-error.js';

/** Every stable error code the library throws. */
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHENTICATED'
  | 'VALUE_TOO_LARGE'
  | 'INVALID_TOKEN'
  | 'ENCRYPTION_KEY_MISSING'
  | 'DECRYPTION_FAILED'
  | 'MIGRATION'
  | 'NOT_MIGRATED'
  | 'UNSUPPORTED_DATABASE'
  | 'ABORTED'
  | 'DATABASE'
  | 'IMPORT_CONFLICT'
  | 'QUOTA_EXCEEDED'
  | 'FORBIDDEN'
  | 'CONFLICT';

/**
 * Base class of every error this library throws.
 * @example
 * try { await ext.global.set('', 'x'); }
 * catch (e) { if (e instanceof ExtensionStorageError && e.code === 'VALIDATION') … }
 */
export class ExtensionStorageError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Input broke a documented rule; nothing was read or written. */
export class ValidationError extends ExtensionStorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VALIDATION', message, options);
  }
}

/** A value is larger than `limits.maxValueBytes`; nothing was written. */
export class ValueTooLargeError extends ExtensionStorageError {
  constructor(message: string) {
    super('VALUE_TOO_LARGE', message);
  }
}

/** The user scope was asked for without a user. */
export class UnauthenticatedError extends ExtensionStorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAUTHENTICATED', message, options);
  }
}

/**
 * The database driver failed. `cause` is a `DriverError`: the driver's error name, message (quoted
 * literals masked) and codes (`code`, `errno`, `sqlState`), without the statement's parameters.
 */
export class DatabaseError extends ExtensionStorageError {
  constructor(message: string, cause: unknown) {
    super('DATABASE', message, { cause: sanitizeDriverError(cause) });
  }
}

/** `encrypt: true` was asked for, but the storage has no `encryptionKeys`; nothing was written. */
export class EncryptionKeyMissingError extends ExtensionStorageError {
  constructor(message: string) {
    super('ENCRYPTION_KEY_MISSING', message);
  }
}

/** A stored value could not be decrypted with any configured key. */
export class DecryptionFailedError extends ExtensionStorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DECRYPTION_FAILED', message, options);
  }
}

/** The library's table does not exist: `storage.migrate()` was not called (or `migrateDown()` was). */
export class NotMigratedError extends ExtensionStorageError {
  constructor(message: string, cause: unknown) {
    super('NOT_MIGRATED', `${message}: the table extension_storage does not exist; call storage.migrate() first`, {
      cause: sanitizeDriverError(cause),
    });
  }
}

/** `migrate()` found a database setting the library cannot work with; the message says what to change. */
export class UnsupportedDatabaseError extends ExtensionStorageError {
  constructor(message: string) {
    super('UNSUPPORTED_DATABASE', message);
  }
}

/** The caller's `AbortSignal` fired; its `reason` is in `cause`. Work already committed stays. */
export class AbortedError extends ExtensionStorageError {
  constructor(message: string, cause: unknown) {
    super('ABORTED', message, { cause });
  }
}

/**
 * A conditional write found the entry in another state than asked for (`ifVersion`, `ifAbsent`,
 * `ifMatch`), or the database aborted a transaction to break a deadlock or a serialization failure.
 * Nothing was written.
 */
export class ConflictError extends ExtensionStorageError {
  /** The entry's version when the condition failed; `null` when there was no entry (or it is unknown). */
  readonly currentVersion: number | null;
  /**
   * `true` when running the same thing again may succeed (the database aborted a transaction);
   * `false` when the stored entry itself failed the condition (read it again first).
   */
  readonly retryable: boolean;

  constructor(message: string, details: { currentVersion: number | null; retryable: boolean; cause?: unknown }) {
    super('CONFLICT', message, details.cause === undefined ? undefined : { cause: details.cause });
    this.currentVersion = details.currentVersion;
    this.retryable = details.retryable;
  }
}

/** Which quota a write would have gone past. */
export type QuotaKind = 'bytes' | 'keys';

/**
 * A write would take the extension past its quota; nothing was written.
 * @example
 * catch (e) { if (e instanceof QuotaExceededError) console.log(e.kind, e.used, e.limit); }
 */
export class QuotaExceededError extends ExtensionStorageError {
  /** Which quota: value bytes, or entries. */
  readonly kind: QuotaKind;
  /** The extension's usage of that kind before the write. */
  readonly used: number;
  /** The quota of that kind. */
  readonly limit: number;

  /** `written` says what was written, where it is more than nothing (an import's earlier batches). */
  constructor(kind: QuotaKind, used: number, limit: number, options?: { cause?: unknown; written?: string }) {
    const unit = kind === 'bytes' ? 'bytes' : 'entries';
    const written = options?.written ?? 'nothing was written';
    super('QUOTA_EXCEEDED', `the write would take the extension past its quota of ${limit} ${unit} (${used} used); ${written}`, { cause: options?.cause });
    this.kind = kind;
    this.used = used;
    this.limit = limit;
  }
}

/** The storage's `authorize` hook refused the operation; nothing was read or written. */
export class ForbiddenError extends ExtensionStorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FORBIDDEN', message, options);
  }
}
