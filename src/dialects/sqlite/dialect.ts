/**
 * The SQLite dialect on better-sqlite3. Every statement is a Drizzle query prepared once per dialect
 * instance; better-sqlite3 runs them synchronously on the host's connection.
 * @module
 */
import type { Database as BetterSqliteDatabase, Statement } from 'better-sqlite3';
import { and, asc, count, eq, gt, inArray, sql, type Query, type SQL } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { CounterWrite, Dialect, EncryptedRow, Expected, QuotaLimits, Row, RowInfo, RowQuery, RowSet, RowWrite, Scope, ValueReplacement } from '../../dialect.js';
import { DatabaseError, NotMigratedError, UnsupportedDatabaseError, ValidationError } from '../../errors.js';
import { binder, type Binder } from '../shared/binder.js';
import { atKey, expired, inScope, keyParams, lazy, live, liveAtKey, matchesQuery, QUERY_SHAPES, queryParams, shapeAt, shapeIndex } from '../shared/conditions.js';
import { expiredAt, inRowSet, quotaRow, recordedQuota, ROW_SET_KINDS, rowSetParams, toQuotaLimits, toUsage } from '../shared/lifecycle.js';
import { applyMigrations, LEDGER_TABLE, revertMigrations, type MigrationSession } from '../shared/migrator.js';
import { refuseInsideTransaction } from '../shared/own-transaction.js';
import {
  atKeyExpected,
  atVersion,
  encryptedAfter,
  encryptedRowColumns,
  excluded,
  incrementable,
  incrementedColumns,
  infoColumns,
  insertedRow,
  MAX_COUNTER,
  newEntryColumns,
  replacedColumns,
  replacedOnConflict,
  rowColumns,
  scopedKey,
  writeParams,
} from '../shared/statements.js';
import { migrations } from './migrations.js';
import { extensionStorage as t, extensionStorageUsage as u } from './schema.js';
import { SqliteConnectionState, type Runner } from './transactions.js';
import { transferOperations } from './transfer.js';

/** What `sqlite()` accepts: the host's better-sqlite3 database, or its Drizzle database over one. */
export type SqliteClient = BetterSqliteDatabase | BetterSQLite3Database<Record<string, unknown>>;

/** How long a write waits for another process's lock, in total, before failing. */
const BUSY_RETRY_MS = 10_000;

/**
 * A hot statement run on better-sqlite3 directly: rows as arrays, decoded by hand (`decodeInfo`), not
 * mapped by Drizzle; integers as numbers whatever the host's `defaultSafeIntegers`.
 */
interface Direct {
  readonly statement: Statement<unknown[], unknown[]>;
  readonly bind: Binder;
}

function direct(raw: BetterSqliteDatabase, query: Query): Direct {
  const statement = raw.prepare<unknown[], unknown[]>(query.sql).raw(true).safeIntegers(false);
  return { statement, bind: binder(query.params, (value) => value) };
}

/** A row of `infoColumns` (and `rowColumns`, the value last), as a direct statement returns it: in that order. */
function decodeInfo(r: unknown[]): RowInfo {
  return {
    id: r[0] as number,
    uuid: r[1] as string,
    key: r[2] as string,
    valueType: r[3] as string,
    category: r[4] as string | null,
    description: r[5] as string | null,
    isEncrypted: r[6] === 1,
    size: r[7] as number,
    version: r[8] as number,
    createdAt: new Date(r[9] as number),
    updatedAt: new Date(r[10] as number),
    createdBy: r[11] as string | null,
    updatedBy: r[12] as string | null,
    expiresAt: r[13] === null ? null : new Date(r[13] as number),
  };
}

/** The row a direct statement returns for `values`, decoded; `undefined` when it returns none. */
function returned<T>({ statement, bind }: Direct, values: Record<string, unknown>, decode: (row: unknown[]) => T): T | undefined {
  const row = statement.get(...bind(values));
  return row === undefined ? undefined : decode(row);
}

/**
 * The row a direct write (`… RETURNING`) returns, decoded, run to its end. `get` stops at the first row
 * and resets the statement: outside a transaction the commit happens then, and in rollback-journal mode
 * a commit refused for another process's read lock (SQLITE_BUSY) was lost without an error. Run to the
 * end, the refusal is thrown, and `writing` retries the whole statement.
 */
function written<T>({ statement, bind }: Direct, values: Record<string, unknown>, decode: (row: unknown[]) => T): T | undefined {
  const row = statement.all(...bind(values))[0];
  return row === undefined ? undefined : decode(row);
}

function decodeRow(r: unknown[]): Row {
  const row = decodeInfo(r) as RowInfo & { value: Uint8Array };
  row.value = r[14] as Buffer;
  return row;
}

function prepareStatements(db: BetterSQLite3Database, raw: BetterSqliteDatabase) {
  const placeholder = sql.placeholder;
  const listShape = (index: number) =>
    direct(raw, db.select(infoColumns(t)).from(t).where(matchesQuery(t, shapeAt(index))).orderBy(asc(t.key)).limit(placeholder('limit')).toSQL());
  const countShape = (index: number) => db.select({ n: count() }).from(t).where(matchesQuery(t, shapeAt(index))).prepare();
  return {
    get: direct(raw, db.select(rowColumns(t)).from(t).where(atKey(t)).toSQL()),
    upsert: direct(
      raw,
      db
        .insert(t)
        .values(insertedRow(t))
        .onConflictDoUpdate({ target: scopedKey(t), set: replacedOnConflict(t, excluded) })
        .returning(infoColumns(t))
        .toSQL(),
    ),
    delete: db.delete(t).where(liveAtKey(t)).prepare(),
    list: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => listShape(index))),
    count: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => countShape(index))),
    encryptedRows: db.select(encryptedRowColumns(t)).from(t).where(encryptedAfter(t)).orderBy(asc(t.id)).limit(placeholder('limit')).prepare(),
    replaceValue: db
      .update(t)
      .set({ value: placeholder('value') as unknown as Buffer })
      .where(atVersion(t))
      .prepare(),
    ...prepareConditionalStatements(db, raw),
  };
}

/**
 * The stored value as an integer, or NULL when it is not the plain decimal text of one (at most 16
 * digits, an optional `-`, no NUL byte), or is encrypted.
 */
const storedInteger = (() => {
  const text = sql`cast(${t.value} as text)`;
  return sql`(case when ${t.isEncrypted} = 0 and length(${t.value}) between 1 and 17 and length(${text}) = length(${t.value})
    and substr(${text}, 1, 1) glob '[-0-9]' and ${text} glob '*[0-9]' and substr(${text}, 2) not glob '*[^0-9]*'
    then cast(${text} as integer) end)`;
})();

/** The conditional statements, batches and the counter. Keys of a batch travel as one JSON array. */
function prepareConditionalStatements(db: BetterSQLite3Database, raw: BetterSqliteDatabase) {
  const placeholder = sql.placeholder;
  const inKeys: SQL = and(inScope(t), sql`${t.key} in (select value from json_each(${placeholder('keys')}))`) as SQL;
  const liveInKeys = and(inKeys, live(t)) as SQL;
  const sum = sql`(${storedInteger} + cast(${placeholder('by')} as integer))`;
  const replaceIf = (withUuid: boolean) =>
    direct(raw, db.update(t).set(replacedColumns(t)).where(atKeyExpected(t, withUuid)).returning(infoColumns(t)).toSQL());
  const deleteIf = (withUuid: boolean) => db.delete(t).where(atKeyExpected(t, withUuid)).prepare();
  return {
    insertIfAbsent: direct(
      raw,
      db
        .insert(t)
        .values(insertedRow(t))
        .onConflictDoUpdate({ target: scopedKey(t), set: newEntryColumns(t), setWhere: expired(t) })
        .returning(infoColumns(t))
        .toSQL(),
    ),
    replaceIf: [lazy(() => replaceIf(false)), lazy(() => replaceIf(true))],
    deleteIf: [lazy(() => deleteIf(false)), lazy(() => deleteIf(true))],
    increment: lazy(() =>
      direct(
        raw,
        db
          .insert(t)
          .values(insertedRow(t))
          .onConflictDoUpdate({
            target: scopedKey(t),
            set: incrementedColumns(t, excluded, sql`cast(cast(${sum} as text) as blob)`, sql`length(cast(${sum} as text))`),
            setWhere: incrementable(t, sql`abs(${sum}) <= ${MAX_COUNTER}`),
          })
          .returning(rowColumns(t))
          .toSQL(),
      ),
    ),
    getMany: lazy(() => db.select(rowColumns(t)).from(t).where(inKeys).prepare()),
    deleteMany: lazy(() => db.delete(t).where(liveInKeys).prepare()),
  };
}

/** Values for the placeholders of a batch over `keys`, live at `now` when given. */
function keysParams(scope: Scope, keys: readonly string[], now?: Date): Record<string, string | Date | undefined> {
  return {
    now,
    extensionId: scope.extensionId,
    userId: scope.userId,
    resourceType: scope.resourceType,
    resourceId: scope.resourceId,
    keys: JSON.stringify(keys),
  };
}

/** Usage, cleanup and expiry: a batch of deletions is one statement over an index range. */
function prepareLifecycleStatements(db: BetterSQLite3Database) {
  const placeholder = sql.placeholder;
  // A row set is deleted in index order (an ORDER BY id would sort the whole set for every batch);
  // expired rows oldest first, which their index gives.
  const batchOf = (where: ReturnType<typeof expiredAt>, order?: typeof t.expiresAt) =>
    db.delete(t).where(inArray(t.id, db.select({ id: t.id }).from(t).where(where).orderBy(...(order ? [asc(order)] : [])).limit(placeholder('limit'))));
  return {
    usage: db.select({ bytes: u.bytes, keyCount: u.keyCount }).from(u).where(eq(u.extensionId, placeholder('extensionId'))).prepare(),
    recordedQuota: db.select({ maxBytes: u.maxBytes, maxKeys: u.maxKeys }).from(u).where(eq(u.extensionId, placeholder('extensionId'))).prepare(),
    extensionIds: db.select({ id: u.extensionId }).from(u).where(gt(u.keyCount, 0)).orderBy(asc(u.extensionId)).prepare(),
    deleteRows: ROW_SET_KINDS.map((kind) => batchOf(inRowSet(t, kind)).prepare()),
    deleteExpired: batchOf(expiredAt(t), t.expiresAt).prepare(),
    recordQuota: db
      .insert(u)
      .values(quotaRow())
      .onConflictDoUpdate({ target: u.extensionId, set: recordedQuota(u, excluded) })
      .prepare(),
  };
}

/**
 * One transaction state per connection, shared by every dialect built over it: two `sqlite(db)` over one
 * Database must see each other's transactions, or one's writes would slip into the other's.
 */
const connectionStates = new WeakMap<BetterSqliteDatabase, SqliteConnectionState>();

function connectionState(raw: BetterSqliteDatabase): SqliteConnectionState {
  let state = connectionStates.get(raw);
  if (state === undefined) connectionStates.set(raw, (state = new SqliteConnectionState(raw, wrapped)));
  return state;
}

/** The oldest SQLite the library supports, as [major, minor, patch] (RAISE with an expression). */
const MIN_SQLITE: readonly [number, number, number] = [3, 47, 0];

/** Whether the dotted version `version` is at least `minimum`. */
function atLeast(version: string, minimum: readonly number[]): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < minimum.length; i++) {
    const part = parts[i] ?? 0;
    if (part !== minimum[i]) return part > minimum[i]!;
  }
  return true;
}

/** The migration running on each connection, which the next one waits for. */
const migrationTurns = new WeakMap<BetterSqliteDatabase, Promise<void>>();

/** better-sqlite3 binds Buffers, not plain Uint8Arrays. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** SQLite's answer to a statement on a table that does not exist: the library was not migrated. */
function isMissingTable(error: unknown): boolean {
  return /no such table/i.test(String((error as { message?: unknown } | null)?.message));
}

/** A driver error as the library reports it. */
function wrapped(operation: string, error: unknown): Error {
  return isMissingTable(error) ? new NotMigratedError(`sqlite: ${operation} failed`, error) : new DatabaseError(`sqlite: ${operation} failed`, error);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));
}

/**
 * A SQLite dialect over the host's better-sqlite3 database (or its Drizzle database).
 * @example
 * import Database from 'better-sqlite3';
 * const storage = new ExtensionStorage({ dialect: sqlite(new Database('app.db')) });
 */
export function sqlite(client: SqliteClient): Dialect {
  const raw = rawClient(client);
  const db = drizzle({ client: raw });
  let statements: ReturnType<typeof prepareStatements> | undefined;
  let lifecycle: ReturnType<typeof prepareLifecycleStatements> | undefined;
  // Statements are prepared after migrate(): SQLite refuses to prepare against a missing table.
  const prepared = () => (statements ??= prepareStatements(db, raw));
  const preparedLifecycle = () => (lifecycle ??= prepareLifecycleStatements(db));
  const state = connectionState(raw);

  /**
   * Runs one operation, retrying while another process holds the write lock, and wraps driver errors.
   * While the library's own transaction is open on the connection, waits for it to end first.
   */
  async function run<T>(operation: string, body: () => T, waitForTransaction = true): Promise<T> {
    let deadline = 0;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      while (waitForTransaction && state.locked) {
        refuseInsideTransaction(raw, 'sqlite', operation);
        await state.idle();
      }
      try {
        return body();
      } catch (error) {
        deadline ||= Date.now() + BUSY_RETRY_MS;
        if (isBusy(error) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
          continue;
        }
        throw wrapped(operation, error);
      }
    }
  }

  const busyWait = busyWaitSwitch(raw);

  /**
   * Runs one operation that takes the write lock. `run` waits between attempts on timers, so the event
   * loop runs meanwhile; SQLite's own busy wait (better-sqlite3 sets 5 s by default) would block it, so
   * it is off while the statements run. Reads keep the host's setting: in WAL mode they take no lock
   * (in rollback-journal mode they may wait for another process's commit), and they are the hot path.
   */
  const writing = <T>(operation: string, body: () => T): Promise<T> => run(operation, () => busyWait.off(body));

  const migrationSession: MigrationSession = {
    transactional: true,
    alreadyDone: () => false,
    checkDatabase: async () => {
      // Text is compared and ordered in the database's encoding: only UTF-8 gives bytewise UTF-8 order.
      const encoding = raw.pragma('encoding', { simple: true });
      if (encoding !== 'UTF-8') {
        throw new UnsupportedDatabaseError(
          `sqlite: the database's encoding is ${String(encoding)}; extension-storage needs UTF-8 (SQLite's default): ` +
            `use a database created without PRAGMA encoding, or copy this one into a new UTF-8 database`,
        );
      }
      // The quota trigger's message is an expression in RAISE, which SQLite accepts from 3.47.0 on.
      const version = String(raw.prepare('SELECT sqlite_version()').pluck().get());
      if (!atLeast(version, MIN_SQLITE)) {
        throw new UnsupportedDatabaseError(
          `sqlite: SQLite ${version} is too old; extension-storage needs ${MIN_SQLITE.join('.')} or later: use better-sqlite3 11.5 or later, which bundles it`,
        );
      }
    },
    createLedger: async () => {
      raw.exec(`CREATE TABLE IF NOT EXISTS "${LEDGER_TABLE}" ("tag" text PRIMARY KEY NOT NULL, "applied_at" integer NOT NULL)`);
    },
    appliedTags: async () => raw.prepare(`SELECT "tag" FROM "${LEDGER_TABLE}"`).pluck().all() as string[],
    execute: async (statement) => {
      raw.exec(statement);
    },
    record: async (tag) => {
      raw.prepare(`INSERT INTO "${LEDGER_TABLE}" ("tag", "applied_at") VALUES (?, ?)`).run(tag, Date.now());
    },
    forget: async (tag) => {
      raw.prepare(`DELETE FROM "${LEDGER_TABLE}" WHERE "tag" = ?`).run(tag);
    },
    dropLedger: async () => {
      raw.exec(`DROP TABLE IF EXISTS "${LEDGER_TABLE}"`);
    },
  };

  /**
   * Holds SQLite's write lock for the whole migration, so concurrent starts apply it once. Two
   * migrations on one connection (two calls, or two dialects over one Database) take turns: SQLite
   * cannot open a transaction inside another.
   */
  function locked(body: (session: MigrationSession) => Promise<void>): Promise<void> {
    const previous = migrationTurns.get(raw) ?? Promise.resolve();
    const turn = previous.then(() => lockedNow(body));
    migrationTurns.set(raw, turn.catch(() => undefined));
    return turn;
  }

  async function lockedNow(body: (session: MigrationSession) => Promise<void>): Promise<void> {
    await writing('migration lock', () => raw.exec('BEGIN IMMEDIATE'));
    try {
      await body(migrationSession);
      // COMMIT waits for readers of other processes to finish (rollback journal): retried like a write.
      await run('migration commit', () => raw.exec('COMMIT'));
    } catch (error) {
      if (raw.inTransaction) raw.exec('ROLLBACK');
      throw error;
    }
    statements = undefined;
    lifecycle = undefined;
  }

  const views = { db, raw, prepared, lifecycle: preparedLifecycle, locked, state };
  /** The dialect whose statements run inside the open transaction, whose `transaction` is a savepoint. */
  const inTransaction = (): Dialect =>
    session({
      ...views,
      run: state.inTransaction,
      writing: (operation, body) => state.inTransaction(operation, () => busyWait.off(body)),
      transaction: (body) => state.savepoint(body),
      inTransaction,
    });

  return session({
    ...views,
    run,
    writing,
    state,
    // BEGIN IMMEDIATE takes the write lock: waited for on timers, as a write is (see `writing`).
    transaction: (body) => state.transaction((begin) => run('begin', () => busyWait.off(begin), false), body),
    inTransaction,
  });
}

/** What one view of the dialect (the connection itself, or a transaction on it) runs on. */
interface SqliteSession {
  readonly raw: BetterSqliteDatabase;
  readonly db: BetterSQLite3Database;
  readonly prepared: () => ReturnType<typeof prepareStatements>;
  readonly lifecycle: () => ReturnType<typeof prepareLifecycleStatements>;
  readonly run: Runner;
  /** `run` for a statement that takes the write lock, with SQLite's thread-blocking busy wait off. */
  readonly writing: Runner;
  readonly locked: (body: (session: MigrationSession) => Promise<void>) => Promise<void>;
  readonly state: SqliteConnectionState;
  /** Runs `body` in this view's kind of transaction: the library's own, or a savepoint. */
  readonly transaction: <T>(body: () => Promise<T>) => Promise<T>;
  /** The view inside a transaction. */
  readonly inTransaction: () => Dialect;
}

function session(context: SqliteSession): Dialect {
  const { db, raw, prepared, lifecycle: preparedLifecycle, run, writing, locked, state } = context;
  /** A conditional statement that matched nothing counts as a failure of the transaction's synchronous part. */
  const unmatched = <T>(result: T | undefined): T | undefined => {
    if (result === undefined) state.failures++;
    return result;
  };
  return Object.freeze({
    name: 'sqlite',
    runsAtCallTime: true,
    migrate: () => locked((session) => applyMigrations('sqlite', session, migrations)),
    migrateDown: () => locked((session) => revertMigrations('sqlite', session, migrations)),

    get: (scope: Scope, key: string) =>
      run('get', () => returned(prepared().get, keyParams(scope, key), decodeRow)),

    upsert: (write: RowWrite) =>
      writing('upsert', () => written(prepared().upsert, writeParams(write, undefined, toBuffer(write.value)), decodeInfo)!),

    delete: (scope: Scope, key: string, now: Date) =>
      writing('delete', () => prepared().delete.run(keyParams(scope, key, now)).changes > 0),

    list: (scope: Scope, query: RowQuery, limit: number) =>
      run('list', () => {
        const { statement, bind } = prepared().list[shapeIndex(query)]!();
        return statement.all(...bind(queryParams(scope, query, limit))).map(decodeInfo);
      }),

    count: (scope: Scope, query: RowQuery) =>
      run('count', () => (prepared().count[shapeIndex(query)]!().get(queryParams(scope, query)) as { n: number }).n),

    encryptedRows: (afterId: number, limit: number) =>
      run('read encrypted rows', () => prepared().encryptedRows.all({ afterId, limit }) as EncryptedRow[]),

    replaceValues: (updates: readonly ValueReplacement[]) =>
      writing('replace values', () =>
        raw.transaction(() =>
          updates
            .filter((update) => prepared().replaceValue.run({ ...update, value: toBuffer(update.value) }).changes === 0)
            .map((update) => update.id),
        )(),
      ),

    insertIfAbsent: (write: RowWrite) =>
      writing('insert', () => unmatched(written(prepared().insertIfAbsent, writeParams(write, undefined, toBuffer(write.value)), decodeInfo))),

    replaceIf: (write: RowWrite, expected: Expected) =>
      writing('conditional write', () =>
        unmatched(written(prepared().replaceIf[expected.uuid === null ? 0 : 1]!(), writeParams(write, expected, toBuffer(write.value)), decodeInfo)),
      ),

    deleteIf: (scope: Scope, key: string, expected: Expected, now: Date) =>
      writing('conditional delete', () => {
        const params = { ...keyParams(scope, key, now), expectedVersion: expected.version, expectedUuid: expected.uuid };
        const removed = prepared().deleteIf[expected.uuid === null ? 0 : 1]!().run(params).changes > 0;
        if (!removed) state.failures++;
        return removed;
      }),

    increment: (write: CounterWrite) =>
      writing('increment', () => {
        const params = writeParams(write, undefined, toBuffer(write.value));
        params.by = write.by;
        return unmatched(written(prepared().increment(), params, decodeRow));
      }),

    getMany: (scope: Scope, keys: readonly string[]) => run('get many', () => prepared().getMany().all(keysParams(scope, keys)) as Row[]),

    deleteMany: (scope: Scope, keys: readonly string[], now: Date) =>
      writing('delete many', () => prepared().deleteMany().run(keysParams(scope, keys, now)).changes),

    transaction: <T>(body: (tx: Dialect) => Promise<T>) => {
      const tx = context.inTransaction();
      return context.transaction(() => body(tx));
    },

    withTransaction: (host: unknown) => {
      const client = (host as { session?: { client?: unknown } } | null)?.session?.client ?? (host as { $client?: unknown } | null)?.$client ?? host;
      if (client !== raw) {
        throw new ValidationError('"withTransaction" expected a Drizzle transaction (or the better-sqlite3 Database) of this dialect\'s database');
      }
      // Statements join the transaction open on the connection: without one they would each commit alone.
      if (!raw.inTransaction) {
        throw new ValidationError('"withTransaction" expected to be called while a transaction is open on the connection (inside db.transaction(...)), got none open');
      }
      return context.inTransaction();
    },
    usage: (extensionId: string) => run('read usage', () => toUsage(preparedLifecycle().usage.get({ extensionId }))),

    recordedQuota: (extensionId: string) => run('read quota', () => toQuotaLimits(preparedLifecycle().recordedQuota.get({ extensionId }))),

    extensionIds: () => run('list extensions', () => preparedLifecycle().extensionIds.all().map((row) => row.id)),

    deleteRows: (rows: RowSet, limit: number) =>
      writing('delete rows', () => preparedLifecycle().deleteRows[ROW_SET_KINDS.indexOf(rows.kind)]!.run(rowSetParams(rows, limit)).changes),

    recordQuota: (extensionId: string, limits: QuotaLimits) =>
      writing('record quota', () => void preparedLifecycle().recordQuota.run({ extensionId, maxBytes: limits.bytes, maxKeys: limits.keys })),

    deleteExpired: (now: Date, limit: number) =>
      writing('delete expired rows', () => preparedLifecycle().deleteExpired.run({ now: now.getTime(), limit }).changes),
    ...transferOperations(db, raw, run, toBuffer),
  });
}

/**
 * Turns SQLite's busy wait off around a synchronous body and back to the host's setting after it. Nothing
 * else can run on the connection in between, so the host never sees the change.
 */
function busyWaitSwitch(raw: BetterSqliteDatabase) {
  type Statement = { run(): unknown };
  const current = raw.prepare('PRAGMA busy_timeout').pluck();
  // Preparing a setting PRAGMA already applies it: prepared at first use, when it is wanted anyway.
  let none: Statement | undefined;
  // A PRAGMA takes no parameters: one statement per setting to restore, almost always a single one.
  const restore = new Map<number, Statement>();
  return {
    off<T>(body: () => T): T {
      // No other connection can hold a lock on a private in-memory database: nothing to wait for.
      if (raw.memory) return body();
      const timeout = current.get() as number;
      if (timeout === 0) return body();
      (none ??= raw.prepare('PRAGMA busy_timeout = 0')).run();
      try {
        return body();
      } finally {
        let statement = restore.get(timeout);
        if (statement === undefined) restore.set(timeout, (statement = raw.prepare(`PRAGMA busy_timeout = ${Math.trunc(timeout)}`)));
        statement.run();
      }
    },
  };
}

function rawClient(client: SqliteClient): BetterSqliteDatabase {
  const candidate = (client as { $client?: unknown } | null)?.$client ?? client;
  if (typeof (candidate as BetterSqliteDatabase | null)?.prepare !== 'function' || !('inTransaction' in (candidate as object))) {
    throw new ValidationError('"db" expected a better-sqlite3 Database or a Drizzle BetterSQLite3Database');
  }
  return candidate as BetterSqliteDatabase;
}
