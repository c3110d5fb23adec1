/**
 * The names every options object of the public API accepts, one list per options type. `options()` in
 * `validation.ts` refuses any other name. A new option is added to its interface and here (the compiler
 * insists on both).
 * @module
 */
import type { CleanupOptions } from './cleanup.js';
import type { DecryptOptions, EncryptOptions, FernetOptions } from './crypto/fernet.js';
import type { RotateKeysOptions } from './rotation.js';
import type { StatsOptions } from './stats.js';
import type { ExportedEntry, ExportOptions, ImportOptions } from './transfer.js';
import type { GetJSONOptions, SetJSONOptions, UpdateJSONOptions } from './scope.js';
import type { ExtensionOptions, ExtensionStorageOptions } from './storage.js';
import type {
  DeleteOptions,
  EntryWrite,
  IncrementOptions,
  Limits,
  ListFilter,
  ListOptions,
  SetOptions,
  TransactionOptions,
  UpdateOptions,
  UpdateResult,
  Value,
} from './types.js';
import { optionNames } from './validation.js';

export const STORAGE_OPTIONS = optionNames<ExtensionStorageOptions>({
  dialect: true,
  user: true,
  limits: true,
  encryptionKeys: true,
  encryptionKeyBinding: true,
  cryptoBackend: true,
  now: true,
  quota: true,
  authorize: true,
});
export const LIMITS = optionNames<Limits>({ maxValueBytes: true, quotaBytesPerExtension: true, quotaKeysPerExtension: true });
export const EXTENSION_OPTIONS = optionNames<ExtensionOptions>({ user: true });
const CONDITIONS = { ifVersion: true, ifAbsent: true, ifMatch: true } as const;
const EXPIRY = { ttl: true, expiresAt: true } as const;
export const SET_OPTIONS = optionNames<SetOptions>({ valueType: true, category: true, description: true, encrypt: true, ...CONDITIONS, ...EXPIRY });
export const INCREMENT_OPTIONS = optionNames<IncrementOptions>(EXPIRY);
export const GET_JSON_OPTIONS = optionNames<GetJSONOptions<unknown>>({ schema: true });
export const SET_JSON_OPTIONS = optionNames<SetJSONOptions>({ valueType: true, category: true, description: true, encrypt: true, schema: true, ...CONDITIONS, ...EXPIRY });
export const DELETE_OPTIONS = optionNames<DeleteOptions>({ ifVersion: true, ifMatch: true });
export const UPDATE_OPTIONS = optionNames<UpdateOptions>({ retries: true });
export const UPDATE_JSON_OPTIONS = optionNames<UpdateJSONOptions<unknown>>({ retries: true, schema: true });
export const UPDATE_RESULT = optionNames<Exclude<UpdateResult, Value>>({ value: true, valueType: true, category: true, description: true, encrypt: true, ...EXPIRY });
export const ENTRY_WRITE = optionNames<EntryWrite>({ key: true, value: true, valueType: true, category: true, description: true, encrypt: true, ...CONDITIONS, ...EXPIRY });
export const TRANSACTION_OPTIONS = optionNames<TransactionOptions>({ retries: true });
export const LIST_FILTER = optionNames<ListFilter>({ category: true, prefix: true });
export const LIST_OPTIONS = optionNames<ListOptions>({ category: true, prefix: true, limit: true, cursor: true });
export const ROTATE_KEYS_OPTIONS = optionNames<RotateKeysOptions>({ batchSize: true, onProgress: true, signal: true });
export const FERNET_OPTIONS = optionNames<FernetOptions>({ backend: true });
export const ENCRYPT_OPTIONS = optionNames<EncryptOptions>({ now: true, iv: true });
export const DECRYPT_OPTIONS = optionNames<DecryptOptions>({ ttl: true, now: true });
export const CLEANUP_OPTIONS = optionNames<CleanupOptions>({ batchSize: true, signal: true, onProgress: true });
export const EXPORT_OPTIONS = optionNames<ExportOptions>({ extensionId: true, batchSize: true, decrypt: true, signal: true });
export const IMPORT_OPTIONS = optionNames<ImportOptions>({ onConflict: true, batchSize: true });
export const STATS_OPTIONS = optionNames<StatsOptions>({ extensionId: true, userId: true, resourceType: true, resourceId: true, expired: true });
/** The fields of an exported entry, as `importEntries` reads them. */
export const EXPORTED_ENTRY = optionNames<ExportedEntry>({
  extensionId: true,
  userId: true,
  resourceType: true,
  resourceId: true,
  key: true,
  uuid: true,
  valueType: true,
  category: true,
  description: true,
  encrypted: true,
  version: true,
  size: true,
  createdAt: true,
  updatedAt: true,
  createdBy: true,
  updatedBy: true,
  expiresAt: true,
  value: true,
  decrypted: true,
});
