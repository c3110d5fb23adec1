/**
 * Errors: one base class with a stable `code`, and a subclass per family callers branch on.
 * Messages name the field and the rule; they never contain values, keys or secrets.
 * @module
 */

/** Every stable error code the library throws. */
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHENTICATED'
  | 'VALUE_TOO_LARGE'
  | 'INVALID_TOKEN'
  | 'ENCRYPTION_KEY_MISSING'
  | 'DECRYPTION_FAILED'
  | 'MIGRATION'
  | 'DATABASE'
  | 'IMPORT_CONFLICT';

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
  constructor(message: string) {
    super('VALIDATION', message);
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
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** The database driver failed; the driver's error is in `cause`. */
export class DatabaseError extends ExtensionStorageError {
  constructor(message: string, cause: unknown) {
    super('DATABASE', message, { cause });
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
