/**
 * The contract between the core and a database dialect. A dialect is a small object the host builds
 * (`sqlite(db)`, `postgres(sql)`, …) and passes in; the core never imports a driver and never asks which
 * database it talks to: everything that differs between databases lives behind these methods.
 * @module
 */

/**
 * The rows one scope handle addresses. Exactly one shape holds: global (`userId`, `resourceType` and
 * `resourceId` empty), user (`userId` set) or resource (`resourceType` and `resourceId` set). Empty
 * strings instead of NULLs let the database's unique index enforce one row per scoped key.
 */
export interface Scope {
  readonly extensionId: string;
  readonly userId: string;
  readonly resourceType: string;
  readonly resourceId: string;
}

/** A stored row without its value, as a dialect returns it. */
export interface RowInfo {
  /** The table's primary key: the order in which maintenance jobs stream rows. */
  readonly id: number;
  readonly uuid: string;
  readonly key: string;
  readonly valueType: string;
  readonly category: string | null;
  readonly description: string | null;
  readonly isEncrypted: boolean;
  readonly size: number;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly createdBy: string | null;
  readonly updatedBy: string | null;
  /** When the row expires; `null` for never. A row expired at the time an operation runs is absent to it. */
  readonly expiresAt: Date | null;
}

/** A stored row with its value (plaintext, or the ASCII bytes of a Fernet token). */
export interface Row extends RowInfo {
  readonly value: Uint8Array;
}

/**
 * Everything an upsert writes. On conflict with a live row, the row keeps `id`, `uuid`, `createdAt`,
 * `createdBy`; a row expired at `now` is replaced as a new entry (this `uuid`, version 1, created now).
 */
export interface RowWrite extends Scope {
  readonly key: string;
  readonly value: Uint8Array;
  readonly valueType: string;
  readonly category: string | null;
  readonly description: string | null;
  readonly isEncrypted: boolean;
  readonly size: number;
  /** Used only when the row is new. */
  readonly uuid: string;
  /** The time of the write, which also decides which rows have expired. */
  readonly now: Date;
  readonly writtenBy: string | null;
  /** When the written row expires; `null` for never. */
  readonly expiresAt: Date | null;
}

/**
 * Which keys a listing covers: `key >= from` (or `key > from` when `fromExclusive`), and `key < to`
 * when `to` is set. Bounds compare bytewise on UTF-8, the same order on every dialect.
 */
export interface KeyRange {
  readonly from: string;
  readonly fromExclusive: boolean;
  readonly to: string | null;
}

/** A listing or count inside one scope, of the rows live at `now`. */
export interface RowQuery {
  readonly category: string | null;
  readonly range: KeyRange;
  readonly now: Date;
}

/**
 * What a conditional write expects the stored row to be: at `version`, and the very row with `uuid`
 * when it is given (a row deleted and created again has a new uuid, so it never matches).
 */
export interface Expected {
  readonly version: number;
  readonly uuid: string | null;
}

/**
 * An increment: the row to insert when the key is absent (its value the decimal text of `by`), and
 * `by`, added in the database to the stored integer when the key exists.
 */
export interface CounterWrite extends RowWrite {
  /** A safe integer. */
  readonly by: number;
}

/** One row that holds an encrypted value, with the identity its key may be bound to. */
export interface EncryptedRow extends Scope {
  readonly id: number;
  readonly uuid: string;
  readonly key: string;
  readonly version: number;
  readonly value: Uint8Array;
}

/**
 * A re-encrypted value for `replaceValues`. `id` only names the row in the result: the write is keyed on
 * `uuid` (never handed out again, unlike SQLite's rowid after a delete), `version` and the encryption flag.
 */
export interface ValueReplacement {
  readonly id: number;
  readonly uuid: string;
  readonly version: number;
  readonly value: Uint8Array;
}

/** A stored row with its value and its scope, as an export streams it. */
export interface ExportedRow extends Row, Scope {}

/**
 * A row as an import writes it: everything an export read but the table-local `id`. `uuid`, `version`,
 * timestamps and authors are kept as given; `value` is written as is (a token stays that token).
 */
export type ImportedRow = Omit<ExportedRow, 'id'>;

/**
 * What an import does with a row whose scoped key or uuid exists already: `skip` it, `overwrite` the
 * existing row(s) with it, or `fail` (stop before it).
 */
export type ImportConflict = 'skip' | 'overwrite' | 'fail';

/** What `importRows` did with one row; `conflict` only under `fail`, for the row it stopped at. */
export type ImportOutcome = 'inserted' | 'replaced' | 'skipped' | 'conflict';

/** Totals of the rows of one extension in one kind of scope. */
export interface ScopeStatsRow {
  readonly extensionId: string;
  readonly scope: 'global' | 'user' | 'resource';
  readonly rows: number;
  /** Sum of the values' sizes in bytes (plaintext sizes for encrypted rows). */
  readonly bytes: number;
  readonly encryptedRows: number;
}

/**
 * The rows a cleanup removes: every row of an extension, one user's rows of an extension, or the rows
 * of one scope. Each is a prefix of the scoped-key index, so a batch is an index range.
 */
export type RowSet =
  | { readonly kind: 'extension'; readonly extensionId: string }
  | { readonly kind: 'user'; readonly extensionId: string; readonly userId: string }
  | { readonly kind: 'scope'; readonly scope: Scope };

/** What one extension stores, as the database keeps it (value bytes before encryption, and entries). */
export interface UsageRecord {
  readonly bytes: number;
  readonly keys: number;
}

/** An extension's quota as recorded in its usage row; `null` for no limit. */
export interface QuotaLimits {
  readonly bytes: number | null;
  readonly keys: number | null;
}

/** One embedded migration: the statements that apply it and those that undo it. */
export interface Migration {
  readonly tag: string;
  readonly up: readonly string[];
  readonly down: readonly string[];
}

/**
 * A database dialect: the storage operations, each one atomic on its own.
 * @example
 * const storage = new ExtensionStorage({ dialect: sqlite(new Database('app.db')) });
 */
export interface Dialect {
  /** Short name for messages and reports, e.g. `sqlite`. */
  readonly name: string;
  /**
   * `true` when each operation runs its statements when called, before its promise settles
   * (better-sqlite3 is synchronous): the core may then issue one operation after another without
   * awaiting, which a host's synchronous transaction needs: a `withTransaction` view then starts each
   * operation when called, instead of after those called before it (see `operation-queue.ts`).
   * Absent or `false`: statements run later.
   */
  readonly runsAtCallTime?: boolean;
  /** Applies the pending migrations under a lock; idempotent and safe under concurrent starts. */
  migrate(): Promise<void>;
  /** Undoes every applied migration and drops the migrations table: removes all the library created. */
  migrateDown(): Promise<void>;
  /** The row, expired or not (the core judges expiry: no clock in this read keeps it the hot path). */
  get(scope: Scope, key: string): Promise<Row | undefined>;
  /** Inserts, or replaces the row with the same scoped key and increments its version (see `RowWrite`). */
  upsert(write: RowWrite): Promise<RowInfo>;
  /** Deletes the row only while it is live at `now`; whether it did. */
  delete(scope: Scope, key: string, now: Date): Promise<boolean>;
  /** Rows in key order (bytewise), at most `limit`. */
  list(scope: Scope, query: RowQuery, limit: number): Promise<RowInfo[]>;
  count(scope: Scope, query: RowQuery): Promise<number>;
  /** Up to `limit` encrypted rows with `id > afterId`, in id order. */
  encryptedRows(afterId: number, limit: number): Promise<EncryptedRow[]>;
  /**
   * Replaces the value of each row that still has the `uuid` and `version` given and is still encrypted,
   * without touching `version` or `updatedAt` (the logical value is unchanged). Each row's check and write
   * are atomic; the batch may be written in one transaction or in several statements. Returns the ids it
   * did not replace because the row had changed, was gone, or was another row.
   */
  replaceValues(updates: readonly ValueReplacement[]): Promise<number[]>;
  /** Up to `limit` rows with `id > afterId` (of one extension, or of all when `extensionId` is null), in id order. */
  exportRows(afterId: number, limit: number, extensionId: string | null): Promise<ExportedRow[]>;
  /**
   * Writes `rows` in order, in one transaction. A row whose scoped key or uuid exists is skipped,
   * replaces the row(s) holding them, or (under `fail`) ends the call: the rows before it are committed,
   * its outcome is `conflict` and no outcome follows. Returns one outcome per row handled.
   */
  importRows(rows: readonly ImportedRow[], onConflict: ImportConflict): Promise<ImportOutcome[]>;
  /** Rows, bytes and encrypted rows per extension and scope kind (of one extension when given), in extension order. */
  stats(extensionId: string | null): Promise<ScopeStatsRow[]>;
  /** The usage record of an extension (zeros when it never stored anything). */
  usage(extensionId: string): Promise<UsageRecord>;
  /** Every extension id that holds rows, in bytewise order. */
  extensionIds(): Promise<string[]>;
  /** Deletes up to `limit` rows of `rows` in one statement; returns how many it deleted. */
  deleteRows(rows: RowSet, limit: number): Promise<number>;
  /**
   * Records an extension's quota in its usage row (creating the row when missing); from then on, the
   * database refuses a change that would take usage past it, with an error whose message carries
   * `extension_storage: quota exceeded: <bytes|keys> <used> <limit>`.
   */
  recordQuota(extensionId: string, limits: QuotaLimits): Promise<void>;
  /** Deletes up to `limit` rows whose expiry is at or before `now`, oldest expiry first; returns how many. */
  deleteExpired(now: Date, limit: number): Promise<number>;
  /**
   * Rows, bytes and encrypted rows of `rows` per scope kind, as `stats` gives them: what `deleteRows`
   * would remove, counted without changing anything (expired rows included, as `deleteRows` removes them).
   */
  countRows(rows: RowSet): Promise<ScopeStatsRow[]>;
  /** The same of the rows whose expiry is at or before `now` (what `deleteExpired` would remove), per extension and scope kind. */
  countExpired(now: Date): Promise<ScopeStatsRow[]>;
  /** The quota recorded in an extension's usage row (`null`s when none is, or there is no row). */
  recordedQuota(extensionId: string): Promise<QuotaLimits>;

  // Conditional forms of the statements above: the database checks the condition in the statement (or
  // the dialect's transaction) that writes, and reports a failed one as `undefined` / `false`.

  /**
   * Inserts the row only if no live row has its scoped key (a row expired at `write.now` is replaced as a
   * new entry); `undefined` when a live one has.
   */
  insertIfAbsent(write: RowWrite): Promise<RowInfo | undefined>;
  /** Replaces the row as `upsert` does, only while it is `expected` and live; `undefined` when it is not (or is gone). */
  replaceIf(write: RowWrite, expected: Expected): Promise<RowInfo | undefined>;
  /** Deletes the row only while it is `expected` and live at `now`; `false` when it is not (or is gone). */
  deleteIf(scope: Scope, key: string, expected: Expected, now: Date): Promise<boolean>;
  /**
   * Adds `write.by` to the integer stored as decimal text (inserting `write` when the key is absent or its
   * row expired at `write.now`), in one atomic step of the database; sets value type `application/json`
   * and the next version, and keeps a live row's expiry. Returns
   * the written row, or `undefined`, writing nothing, when the stored row is encrypted, is not the text
   * of an integer of at most 16 digits, or the sum leaves ±`Number.MAX_SAFE_INTEGER`.
   */
  increment(write: CounterWrite): Promise<Row | undefined>;
  /** The rows of `keys` (distinct, at most 1,000) that exist, expired or not, in any order, in one round trip. */
  getMany(scope: Scope, keys: readonly string[]): Promise<Row[]>;
  /** Deletes the rows of `keys` (distinct, at most 1,000) live at `now` in one statement; returns how many it removed. */
  deleteMany(scope: Scope, keys: readonly string[], now: Date): Promise<number>;

  /**
   * Runs `body` inside one transaction on one connection: `tx` is this dialect with every statement
   * bound to that transaction. Commits when `body` resolves, rolls back when it throws. Called on a `tx`
   * (nested), it uses a savepoint. A deadlock or serialization failure is a `ConflictError` with
   * `retryable: true`. Other operations of this dialect do not run inside the transaction.
   */
  transaction<T>(body: (tx: Dialect) => Promise<T>): Promise<T>;
  /**
   * This dialect with every statement run inside a transaction the host opened and will end (a Drizzle
   * transaction, or the driver's own handle: see each dialect). `transaction` on it uses savepoints.
   * Throws `VALIDATION` for a handle the dialect does not accept.
   */
  withTransaction(host: unknown): Dialect;
}
