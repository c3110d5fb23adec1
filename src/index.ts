/**
 * extension-storage: scoped, durable, optionally encrypted key-value storage for a host application's
 * extensions, inside the host's own SQL database. This entry point imports no database driver; pick a
 * dialect from `extension-storage/sqlite` (and the other dialect subpaths).
 * @module
 */
export { ExtensionStorage, DEFAULT_MAX_VALUE_BYTES } from './storage.js';
export type { ExtensionStorageOptions, ExtensionOptions } from './storage.js';
export { ExtensionHandle } from './extension.js';
export { ScopeHandle, MAX_BATCH_KEYS } from './scope.js';
export type { GetJSONOptions, SetJSONOptions, UpdateJSONOptions } from './scope.js';
export { TransactionStorage } from './transaction.js';
export type {
  DeleteOptions,
  Entry,
  EntryInfo,
  EntryWrite,
  ExpiryOptions,
  IncrementOptions,
  ListFilter,
  ListOptions,
  Limits,
  Page,
  SetOptions,
  TransactionOptions,
  UpdateOptions,
  UpdateResult,
  User,
  UserId,
  Value,
} from './types.js';
export type {
  CounterWrite,
  Dialect,
  EncryptedRow,
  Expected,
  KeyRange,
  Migration,
  Row,
  RowInfo,
  RowQuery,
  QuotaLimits,
  RowSet,
  RowWrite,
  Scope,
  UsageRecord,
  ValueReplacement,
} from './dialect.js';
export type { CleanupOptions } from './cleanup.js';
export type { Authorize, AuthorizationRequest, ScopeKind, StorageAction } from './authorization.js';

export type { StandardSchemaV1 } from './standard-schema.js';
export type { EncryptionKey, EncryptionKeyBinding } from './crypto/storage-cipher.js';
export type { BackendChoice } from './crypto/backend.js';
export type { RotateKeysOptions, RotationProgress, RotationResult } from './rotation.js';
export { ImportConflictError } from './transfer.js';
export type { ExportedEntry, ExportOptions, ImportOptions, ImportResult } from './transfer.js';
export type { ScopeStats, StatsOptions } from './stats.js';
export type { ExportedRow, ImportConflict, ImportedRow, ImportOutcome, ScopeStatsRow } from './dialect.js';
export {
  AbortedError,
  ConflictError,
  DatabaseError,
  DecryptionFailedError,
  EncryptionKeyMissingError,
  ExtensionStorageError,
  ForbiddenError,
  QuotaExceededError,
  NotMigratedError,
  UnauthenticatedError,
  UnsupportedDatabaseError,
  ValidationError,
  ValueTooLargeError,
} from './errors.js';
export type { ErrorCode, QuotaKind } from './errors.js';
export type { QuotaFunction } from './quota.js';
export { DriverError } from './driver-error.js';
