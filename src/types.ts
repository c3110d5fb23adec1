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
  /** 1 on the first write; grows by one on every write. */
  readonly version: number;
  /** The value's length in bytes (of the plaintext when encrypted). */
  readonly size: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Id of the user who first wrote the entry, when one was known. */
  readonly createdBy: string | null;
  /** Id of the user who last wrote the entry, when one was known. */
  readonly updatedBy: string | null;
}

/** An entry with its value. */
export interface Entry extends EntryInfo {
  /** The value's bytes, in memory of their own (`value.buffer.byteLength === value.byteLength`). */
  readonly value: Uint8Array<ArrayBuffer>;
}

/** Options of `set`: everything but the value. An upsert replaces all of them. */
export interface SetOptions {
  /** MIME type; defaults to `application/octet-stream` for bytes, `text/plain; charset=utf-8` for strings. */
  readonly valueType?: string;
  /** 1..64 characters; `null` or absent for none. */
  readonly category?: string | null;
  /** At most 1024 characters; `null` or absent for none. */
  readonly description?: string | null;
  /** Store the value as a Fernet token (needs `encryptionKeys`). */
  readonly encrypt?: boolean;
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
