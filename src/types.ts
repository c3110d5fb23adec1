/**
 * Public types of the core API: values, entries, options and pages.
 * @module
 */

/** What a value may be: bytes, or a string that is stored as UTF-8. */
export type Value = Uint8Array | string;

/** A host user id: a string, or a safe integer (`42` and `'42'` are the same user). */
export type UserId = string | number;

/** The caller's user as the host knows it. */
export interface User {
  readonly id: UserId;
}

/** An entry's metadata, as listing returns it: never the value. */
export interface EntryInfo {
  /** The entry's key within its scope. */
  readonly key: string;
  /** A stable random id, assigned when the entry is first written. */
  readonly uuid: string;
  /** The value's MIME type. */
  readonly valueType: string;
  readonly category: string | null;
  readonly description: string | null;
  /** Whether the value is stored as a Fernet token. */
  readonly encrypted: boolean;
  /**
   * 1 on the first write; grows by one on every write. An entry deleted and written again starts at 1
   * again: compare `etag` (or pass `ifMatch`) to tell the two apart.
   */
  readonly version: number;
  /**
   * Opaque tag of this entry at this version (its `uuid` and `version`): pass it as `ifMatch`. An entry
   * deleted and created again never has the tag of its predecessor.
   */
  readonly etag: string;
  /** The value's length in bytes (of the plaintext when encrypted). */
  readonly size: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Id of the user who first wrote the entry, when one was known. */
  readonly createdBy: string | null;
  /** Id of the user who last wrote the entry, when one was known. */
  readonly updatedBy: string | null;
  /** When the entry expires (it is absent from then on); `null` for never. */
  readonly expiresAt: Date | null;
}

/**
 * When a written entry expires: `ttl` milliseconds after the write, or at `expiresAt`; at most one.
 * Without either, the entry never expires (a write replaces the expiry too).
 */
export interface ExpiryOptions {
  /** Time to live in milliseconds, a positive integer, counted from the storage's clock (`now`). */
  readonly ttl?: number;
  /** The time the entry expires; one already past writes an entry that is absent at once. */
  readonly expiresAt?: Date;
}

/** An entry with its value. */
export interface Entry extends EntryInfo {
  /** The value's bytes, in memory of their own (`value.buffer.byteLength === value.byteLength`). */
  readonly value: Uint8Array<ArrayBuffer>;
}

/** Options of `set`: everything but the value. An upsert replaces all of them, expiry included. */
export interface SetOptions extends ExpiryOptions {
  /** MIME type; defaults to `application/octet-stream` for bytes, `text/plain; charset=utf-8` for strings. */
  readonly valueType?: string;
  /** 1..64 characters; `null` or absent for none. */
  readonly category?: string | null;
  /** At most 1024 characters; `null` or absent for none. */
  readonly description?: string | null;
  /** Store the value as a Fernet token (needs `encryptionKeys`). */
  readonly encrypt?: boolean;
  /**
   * Write only if the entry exists with this version, else `CONFLICT`. Compares the version alone: an
   * entry deleted and recreated since it was read may match. `ifMatch` is the form that cannot.
   */
  readonly ifVersion?: number;
  /** Write only if there is no entry with this key, else `CONFLICT`. */
  readonly ifAbsent?: boolean;
  /** Write only if the entry is the one (identity and version) an earlier `etag` named, else `CONFLICT`. */
  readonly ifMatch?: string;
}

/** Options of `delete`: the conditions of `SetOptions` that apply to an existing entry. */
export interface DeleteOptions {
  /** Delete only if the entry exists with this version, else `CONFLICT` (version alone; see `ifMatch`). */
  readonly ifVersion?: number;
  /** Delete only if the entry is the one an earlier `etag` named, else `CONFLICT`. */
  readonly ifMatch?: string;
}

/** What an `update` function may return: a value, or a value with the options of `set`. */
export type UpdateResult =
  | Value
  | {
      readonly value: Value;
      readonly valueType?: string;
      readonly category?: string | null;
      readonly description?: string | null;
      readonly encrypt?: boolean;
      /** Milliseconds; with neither this nor `expiresAt`, the entry keeps the expiry it had. */
      readonly ttl?: number;
      readonly expiresAt?: Date | null;
    };

/** Options of `increment`: the expiry of a counter it creates (a live counter keeps its own). */
export type IncrementOptions = ExpiryOptions;

/** Options of `update`. */
export interface UpdateOptions {
  /** How often to read again and call the function again after a `CONFLICT` (0..100, default 5). */
  readonly retries?: number;
}

/** One entry of `setMany`: its key and value, and the options of `set`. */
export interface EntryWrite extends SetOptions {
  readonly key: string;
  readonly value: Value;
}

/** Options of `storage.transaction`. */
export interface TransactionOptions {
  /**
   * How often to run the callback again when the database aborted the transaction (a `CONFLICT` with
   * `retryable: true`: deadlock, serialization failure). 0..100, default 0: the callback may have side effects.
   */
  readonly retries?: number;
}

/** Filters shared by `list` and `count`. */
export interface ListFilter {
  /** Only entries of this category. */
  readonly category?: string;
  /** Only keys that start with this string (matched literally: `%` and `_` are plain characters). */
  readonly prefix?: string;
}

/** Options of `list`. */
export interface ListOptions extends ListFilter {
  /** Page size, 1..1000; default 25. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page, from a `list` with the same scope and filters. */
  readonly cursor?: string | null;
}

/** One page of a listing, ordered by key (bytewise, UTF-8). */
export interface Page {
  readonly items: EntryInfo[];
  /** Pass to the next `list` call; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Limits the storage enforces. */
export interface Limits {
  /** Largest value in bytes (plaintext); default 16 MiB − 1. */
  readonly maxValueBytes: number;
  /** Most value bytes (plaintext) one extension may store in all; no quota when absent. */
  readonly quotaBytesPerExtension?: number;
  /** Most entries one extension may store in all; no quota when absent. */
  readonly quotaKeysPerExtension?: number;
}
