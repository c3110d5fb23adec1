/**
 * The PostgreSQL dialect over any Drizzle pg database (`PgDatabase`): postgres.js and PGlite differ
 * only in how the host's client becomes one, so the statements, the migration lock and the error
 * wrapping live here once.
 * @module
 */
import { and, asc, count, eq, gt, inArray, is, sql, type Column, type SQL } from 'drizzle-orm';
import { PgTransaction, pgTable, text, timestamp, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { CounterWrite, Dialect, EncryptedRow, Expected, QuotaLimits, Row, RowInfo, RowQuery, RowSet, RowWrite, Scope, ValueReplacement } from '../../dialect.js';
import { ConflictError, DatabaseError, ExtensionStorageError, NotMigratedError, UnsupportedDatabaseError, ValidationError } from '../../errors.js';
import { atKey, expired, inScope, keyParams, lazy, live, liveAtKey, matchesQuery, QUERY_SHAPES, queryParams, shapeAt, shapeIndex } from '../shared/conditions.js';
import { expiredAt, inRowSet, quotaRow, recordedQuota, ROW_SET_KINDS, rowSetParams, toQuotaLimits, toUsage } from '../shared/lifecycle.js';
import { applyMigrations, LEDGER_TABLE, revertMigrations, type MigrationSession } from '../shared/migrator.js';
import { insideTransaction, refuseInsideTransaction } from '../shared/own-transaction.js';
import {
  atKeyExpected,
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
import { binder, type Binder } from '../shared/binder.js';
import { migrations } from './migrations.js';
import { extensionStorage as t, extensionStorageUsage as u } from './schema.js';
import { transferOperations } from './transfer.js';

/** A Drizzle pg database of any driver (postgres.js, PGlite, …). */
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/**
 * The key of the transaction-scoped advisory lock that serialises `migrate()` and `migrateDown()`
 * across processes: the ASCII bytes of "extstore" as a bigint.
 */
export const MIGRATION_LOCK_KEY = '7311722034259522149';

/** The library's migrations ledger; created by the migrator, not by drizzle-kit. */
const ledger = pgTable(LEDGER_TABLE, {
  tag: text('tag').primaryKey(),
  appliedAt: timestamp('applied_at', { precision: 3, withTimezone: true, mode: 'date' }).notNull(),
});

/** What differs between the drivers a pg database dialect runs on. */
export interface PgDriverTraits {
  /**
   * The driver decodes text with a `TextDecoder` that drops a leading U+FEFF (PGlite): text columns are
   * then read as their UTF-8 bytes and decoded here, so a stored text comes back unchanged.
   */
  readonly textDropsBom: boolean;
  /**
   * Whether the driver's transaction under the Drizzle transaction `tx` has ended, where the driver
   * tells without a round trip (PGlite's `Transaction.closed`). Absent: the library cannot tell.
   */
  readonly transactionEnded?: (tx: AnyPgDatabase) => boolean;
  /**
   * Runs a statement's text with positional parameters on the database's own client, rows as arrays in
   * column order (postgres.js: `unsafe(…, { prepare: true }).values()`, as Drizzle runs a named prepared
   * statement): `get`, `upsert` and listings then skip Drizzle's mapping, decoded here. Not used in transactions'
   * views, which run on the transaction's connection through Drizzle. Absent (PGlite): Drizzle only.
   */
  readonly direct?: (text: string, params: unknown[]) => Promise<unknown[][]>;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** `columns`, with each text column read as `convert_to(column, 'UTF8')` and decoded keeping a U+FEFF. */
function textAsBytes<T extends Record<string, Column>>(columns: T): T {
  const read = (column: Column): Column | SQL.Aliased | SQL =>
    column.getSQLType().startsWith('text') ? sql`convert_to(${column}, 'UTF8')`.mapWith((bytes: Uint8Array) => utf8.decode(bytes)) : column;
  return Object.fromEntries(Object.entries(columns).map(([name, column]) => [name, read(column)])) as unknown as T;
}

/** Where a transaction's view keeps its first failure (see `PgSession.failed`). */
const FAILED = Symbol('failed statement');

/** The error for an operation (or the commit) of a transaction in which a statement already failed. */
function abortedTransaction(name: string, operation: string, first: ExtensionStorageError): ExtensionStorageError {
  // A deadlock stays the retryable CONFLICT it was, so `transaction(fn, { retries })` runs fn again.
  if (first instanceof ConflictError) return first;
  return new DatabaseError(
    `${name}: ${operation}: an earlier statement of this transaction failed, and PostgreSQL rolls the whole transaction back; nothing of it is committed`,
    first,
  );
}

/** The metadata columns, as the statements that write return them. */
const info = infoColumns(t);

/** The oldest PostgreSQL the library supports (`server_version_num`). */
export const MIN_SERVER_VERSION = 100000;

/** SQLSTATE 42P01, undefined_table: the library was not migrated. Drizzle may wrap the driver's error. */
function isMissingTable(error: unknown): boolean {
  const failure = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return failure?.code === '42P01' || failure?.cause?.code === '42P01';
}

/** Attempts of an upsert whose new row drew the id of an existing row (see `RANDOM_ID` in `schema.ts`). */
const ID_ATTEMPTS = 3;

/** A unique violation of the primary key: the random id of a new row was taken (2^-53 per row and row). */
function isIdCollision(error: unknown): boolean {
  type Failure = { code?: unknown; constraint_name?: unknown; constraint?: unknown; cause?: Failure } | null;
  const outer = error as Failure;
  const failure = outer?.code === undefined && outer?.cause ? outer.cause : outer;
  return failure?.code === '23505' && (failure.constraint_name ?? failure.constraint) === 'extension_storage_pkey';
}

/** What the library assumes of a PostgreSQL database, checked by `migrate()`. */
async function checkDatabase(name: string, tx: AnyPgDatabase): Promise<void> {
  const result = await tx.execute(
    sql.raw(
      `SELECT current_setting('server_version_num')::int AS version, current_setting('client_encoding') AS client, ` +
        `current_setting('DateStyle') AS date_style, current_setting('bytea_output') AS bytea_output, ` +
        `pg_encoding_to_char(encoding) AS server FROM pg_database WHERE datname = current_database()`,
    ),
  );
  type Settings = { version: number; client: string; server: string; date_style: string; bytea_output: string };
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Settings[];
  const { version, client, server, date_style: dateStyle, bytea_output: byteaOutput } = rows[0]!;
  if (Number(version) < MIN_SERVER_VERSION) {
    throw new UnsupportedDatabaseError(`${name}: the server is PostgreSQL ${version}; extension-storage needs PostgreSQL 10 or later`);
  }
  // Keys and values' metadata are Unicode text: a database in another encoding cannot hold them all.
  if (server !== 'UTF8') {
    throw new UnsupportedDatabaseError(`${name}: the database's encoding is ${server}; extension-storage needs UTF8 (CREATE DATABASE … ENCODING 'UTF8')`);
  }
  if (client !== 'UTF8') {
    throw new UnsupportedDatabaseError(`${name}: the connection's client_encoding is ${client}; extension-storage needs UTF8 (the drivers' default)`);
  }
  // The drivers parse timestamps and bytea from PostgreSQL's text output, which these settings change:
  // with another DateStyle a date reads wrong (11 February for 2 November) or invalid, and entries with
  // an expiry vanish; with bytea_output 'escape' a value reads back as other bytes.
  if (!/^ISO\b/i.test(dateStyle)) {
    throw new UnsupportedDatabaseError(
      `${name}: the connection's DateStyle is "${dateStyle}"; extension-storage needs ISO output (PostgreSQL's default, e.g. "ISO, MDY": check the client's connection options and ALTER DATABASE/ROLE … SET DateStyle)`,
    );
  }
  if (byteaOutput !== 'hex') {
    throw new UnsupportedDatabaseError(
      `${name}: the connection's bytea_output is "${byteaOutput}"; extension-storage needs "hex" (PostgreSQL's default: check the client's connection options and ALTER DATABASE/ROLE … SET bytea_output)`,
    );
  }
}

/**
 * The queries of `get`, `upsert` and each listing shape, unfinished: Drizzle prepares them
 * (`prepareStatements`), or they are compiled for a driver that runs them itself (`directStatements`).
 * `read` maps the columns read (PGlite reads text as bytes).
 */
function hotQueries(db: AnyPgDatabase, read: <T extends Record<string, Column>>(columns: T) => T = (columns) => columns) {
  const info = read(infoColumns(t));
  return {
    get: () => db.select(read(rowColumns(t))).from(t).where(atKey(t)),
    upsert: () => db.insert(t).values(insertedRow(t)).onConflictDoUpdate({ target: scopedKey(t), set: replacedOnConflict(t, excluded) }).returning(info),
    list: (shape: number) => db.select(info).from(t).where(matchesQuery(t, shapeAt(shape))).orderBy(asc(t.key)).limit(sql.placeholder('limit')),
  };
}

/**
 * Every hot statement, prepared once per dialect instance (per transaction for a transaction's view;
 * the listing shapes and the rarer statements at first use). Each has its own stable name: with
 * postgres.js only a named Drizzle statement is prepared server-side (and reused per connection).
 */
function prepareStatements(db: AnyPgDatabase, traits: PgDriverTraits) {
  const placeholder = sql.placeholder;
  const name = (statement: string) => `extension_storage_${statement}`;
  const read = <T extends Record<string, Column>>(columns: T) => (traits.textDropsBom ? textAsBytes(columns) : columns);
  const hot = hotQueries(db, read);
  return {
    get: hot.get().prepare(name('get')),
    upsert: hot.upsert().prepare(name('upsert')),
    delete: db.delete(t).where(liveAtKey(t)).returning({ id: t.id }).prepare(name('delete')),
    list: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => hot.list(index).prepare(name(`list_${index}`)))),
    count: Array.from({ length: QUERY_SHAPES }, (_, index) =>
      lazy(() =>
        db
          .select({ n: count() })
          .from(t)
          .where(matchesQuery(t, shapeAt(index)))
          .prepare(name(`count_${index}`)),
      ),
    ),
    encryptedRows: db
      .select(read(encryptedRowColumns(t)))
      .from(t)
      .where(encryptedAfter(t))
      .orderBy(asc(t.id))
      .limit(placeholder('limit'))
      .prepare(name('encrypted_rows')),
    ...prepareConditionalStatements(db),
  };
}

/** Usage, cleanup and expiry: a batch of deletions is one statement over an index range. */
function prepareLifecycleStatements(db: AnyPgDatabase) {
  const placeholder = sql.placeholder;
  const name = (statement: string) => `extension_storage_${statement}`;
  // A row set is deleted in index order (an ORDER BY id would sort the whole set for every batch);
  // expired rows oldest first, which their index gives.
  const batchOf = (where: ReturnType<typeof expiredAt>, order?: typeof t.expiresAt) =>
    db.delete(t).where(inArray(t.id, db.select({ id: t.id }).from(t).where(where).orderBy(...(order ? [asc(order)] : [])).limit(placeholder('limit'))));
  return {
    usage: db
      .select({ bytes: u.bytes, keyCount: u.keyCount })
      .from(u)
      .where(eq(u.extensionId, placeholder('extensionId')))
      .prepare(name('usage')),
    recordedQuota: db
      .select({ maxBytes: u.maxBytes, maxKeys: u.maxKeys })
      .from(u)
      .where(eq(u.extensionId, placeholder('extensionId')))
      .prepare(name('recorded_quota')),
    extensionIds: db.select({ id: u.extensionId }).from(u).where(gt(u.keyCount, 0)).orderBy(asc(u.extensionId)).prepare(name('extension_ids')),
    deleteRows: ROW_SET_KINDS.map((kind) => batchOf(inRowSet(t, kind)).returning({ id: t.id }).prepare(name(`delete_rows_${kind}`))),
    deleteExpired: batchOf(expiredAt(t), t.expiresAt).returning({ id: t.id }).prepare(name('delete_expired')),
    recordQuota: db
      .insert(u)
      .values(quotaRow())
      .onConflictDoUpdate({ target: u.extensionId, set: recordedQuota(u, excluded) })
      .prepare(name('record_quota')),
  };
}

/** Bytes of values sent in one `replaceValues` statement (at least one row per statement). */
const REPLACE_BYTES_PER_STATEMENT = 32 * 1024 * 1024;
/** Rows in one `replaceValues` statement: three parameters each, within the protocol's 65,535. */
const REPLACE_ROWS_PER_STATEMENT = 1000;

/**
 * Replaces the values of `updates` in one statement, each row only while it still has the uuid and
 * version read and is encrypted; returns the uuids replaced. One autocommit statement, not a
 * transaction: postgres.js 3.4.9 crashes the process when a backend dies inside `sql.begin()` (its
 * automatic ROLLBACK is written to the closed socket, porsager/postgres#1208), and a statement is
 * atomic on its own.
 */
async function replaceInOneStatement(db: AnyPgDatabase, updates: readonly ValueReplacement[]): Promise<Set<string>> {
  const rows = sql.join(
    updates.map((update) => sql`(${update.uuid}::uuid, ${update.version}::integer, ${update.value}::bytea)`),
    sql`, `,
  );
  const replaced = await db
    .update(t)
    .set({ value: sql`replacement.value` as unknown as Uint8Array })
    .from(sql`(values ${rows}) as replacement (uuid, version, value)`)
    .where(and(eq(t.uuid, sql`replacement.uuid`), eq(t.version, sql`replacement.version`), eq(t.isEncrypted, true)))
    .returning({ uuid: t.uuid });
  return new Set(replaced.map((row) => row.uuid));
}

/**
 * The stored value as a bigint, or NULL when it is not the plain decimal text of one (at most 16
 * digits and an optional `-`), or is encrypted. `encode(…, 'escape')` keeps digits as they are and
 * escapes any other byte, so the pattern sees every byte.
 */
const storedInteger = (() => {
  const text = sql`encode(${t.value}, 'escape')`;
  return sql`(case when not ${t.isEncrypted} and octet_length(${t.value}) between 1 and 17 and ${text} ~ '^-?[0-9]+$' then ${text}::bigint end)`;
})();

/** The conditional statements, batches and the counter, each prepared on first use. Keys of a batch travel as one array. */
function prepareConditionalStatements(db: AnyPgDatabase) {
  const placeholder = sql.placeholder;
  const name = (statement: string) => `extension_storage_${statement}`;
  const inKeys: SQL = and(inScope(t), sql`${t.key} = any(${placeholder('keys')}::text[])`) as SQL;
  const liveInKeys = and(inKeys, live(t)) as SQL;
  const sum = sql`(${storedInteger} + ${placeholder('by')}::bigint)`;
  const replaceIf = (withUuid: boolean) =>
    db
      .update(t)
      .set(replacedColumns(t))
      .where(atKeyExpected(t, withUuid))
      .returning(info)
      .prepare(name(`replace_if_${withUuid ? 'match' : 'version'}`));
  const deleteIf = (withUuid: boolean) =>
    db
      .delete(t)
      .where(atKeyExpected(t, withUuid))
      .returning({ id: t.id })
      .prepare(name(`delete_if_${withUuid ? 'match' : 'version'}`));
  return {
    insertIfAbsent: lazy(() =>
      db
        .insert(t)
        .values(insertedRow(t))
        .onConflictDoUpdate({ target: scopedKey(t), set: newEntryColumns(t), setWhere: expired(t) })
        .returning(info)
        .prepare(name('insert_if_absent')),
    ),
    replaceIf: [lazy(() => replaceIf(false)), lazy(() => replaceIf(true))],
    deleteIf: [lazy(() => deleteIf(false)), lazy(() => deleteIf(true))],
    increment: lazy(() =>
      db
        .insert(t)
        .values(insertedRow(t))
        .onConflictDoUpdate({
          target: scopedKey(t),
          set: incrementedColumns(t, excluded, sql`convert_to((${sum})::text, 'UTF8')`, sql`octet_length((${sum})::text)`),
          setWhere: incrementable(t, sql`abs(${sum}) <= ${MAX_COUNTER}`),
        })
        .returning(rowColumns(t))
        .prepare(name('increment')),
    ),
    getMany: lazy(() => db.select(rowColumns(t)).from(t).where(inKeys).prepare(name('get_many'))),
    deleteMany: lazy(() => db.delete(t).where(liveInKeys).returning({ id: t.id }).prepare(name('delete_many'))),
  };
}

/**
 * `values` as the text of a PostgreSQL array literal (`{"a","b\\"c"}` for a and b"c), which the statement
 * casts with `::text[]`: a driver then binds one text parameter, whatever it knows of array types
 * (postgres.js with `fetch_types: false` sent a JavaScript array as "a,b", a malformed literal).
 */
function textArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** SQLSTATEs after which the transaction was aborted and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/**
 * The driver's own error: Drizzle wraps it in a `DrizzleQueryError` whose message lists the
 * statement's parameters (values, keys), which must not travel in a `ConflictError`'s chain.
 */
function driverError(error: unknown): { code?: unknown } {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: unknown };
  return (code === undefined && cause !== undefined ? cause : error ?? {}) as { code?: unknown };
}

/** A driver error as the library reports it: a retryable `CONFLICT`, or `DATABASE`. */
function wrapped(name: string, operation: string, error: unknown): ExtensionStorageError {
  if (error instanceof ExtensionStorageError) return error;
  const driver = driverError(error);
  if (RETRYABLE_SQLSTATES.has(driver.code as string)) {
    return new ConflictError(`${name}: ${operation}: the database aborted the transaction (deadlock or serialization failure)`, {
      currentVersion: null,
      retryable: true,
      cause: driver,
    });
  }
  return isMissingTable(error) ? new NotMigratedError(`${name}: ${operation} failed`, error) : new DatabaseError(`${name}: ${operation} failed`, error);
}

/** `updates` in runs that each fit one `replaceValues` statement. */
function statementsOf(updates: readonly ValueReplacement[]): ValueReplacement[][] {
  const runs: ValueReplacement[][] = [];
  let run: ValueReplacement[] = [];
  let bytes = 0;
  for (const update of updates) {
    if (run.length > 0 && (run.length === REPLACE_ROWS_PER_STATEMENT || bytes + update.value.byteLength > REPLACE_BYTES_PER_STATEMENT)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(update);
    bytes += update.value.byteLength;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** The migrator's view of one migration transaction. */
function migrationSession(name: string, tx: AnyPgDatabase): MigrationSession {
  return {
    transactional: true,
    alreadyDone: () => false,
    checkDatabase: () => checkDatabase(name, tx),
    createLedger: async () => {
      await tx.execute(
        sql.raw(`CREATE TABLE IF NOT EXISTS "${LEDGER_TABLE}" ("tag" text PRIMARY KEY NOT NULL, "applied_at" timestamp (3) with time zone NOT NULL)`),
      );
    },
    appliedTags: async () => (await tx.select({ tag: ledger.tag }).from(ledger)).map((row) => row.tag),
    execute: async (statement) => {
      await tx.execute(sql.raw(statement));
    },
    record: async (tag) => {
      await tx.insert(ledger).values({ tag, appliedAt: new Date() });
    },
    forget: async (tag) => {
      await tx.delete(ledger).where(eq(ledger.tag, tag));
    },
    dropLedger: async () => {
      await tx.execute(sql.raw(`DROP TABLE IF EXISTS "${LEDGER_TABLE}"`));
    },
  };
}

/** A hot statement's text and the binder of its parameters, for `PgDriverTraits.direct`. */
interface Direct {
  readonly text: string;
  readonly bind: Binder;
}

/**
 * `get`, `upsert` and the listing shapes (each at first use) compiled for a driver that runs them
 * directly: the same SQL Drizzle prepares.
 */
function directStatements(db: AnyPgDatabase): { get: Direct; upsert: Direct; list: (() => Direct)[] } {
  const compiled = (query: { sql: string; params: unknown[] }): Direct => ({ text: query.sql, bind: binder(query.params, (value) => value) });
  const hot = hotQueries(db);
  return {
    get: compiled(hot.get().toSQL()),
    upsert: compiled(hot.upsert().toSQL()),
    list: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => compiled(hot.list(index).toSQL()))),
  };
}

/** A timestamp as the client's parsers give it: a Date (postgres.js's default) or its text. */
const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(value as string));

/**
 * A row of `infoColumns` (and `rowColumns`, the value last) as a direct statement returns it, in that
 * order. Numbers through `Number` (an int8 comes as text or a BigInt), as Drizzle's decoders do.
 */
function decodeInfo(r: unknown[]): RowInfo {
  return {
    id: Number(r[0]),
    uuid: r[1] as string,
    key: r[2] as string,
    valueType: r[3] as string,
    category: r[4] as string | null,
    description: r[5] as string | null,
    isEncrypted: r[6] as boolean,
    size: Number(r[7]),
    version: Number(r[8]),
    createdAt: toDate(r[9]),
    updatedAt: toDate(r[10]),
    createdBy: r[11] as string | null,
    updatedBy: r[12] as string | null,
    expiresAt: r[13] === null ? null : toDate(r[13]),
  };
}

function decodeRow(r: unknown[]): Row {
  const row = decodeInfo(r) as RowInfo & { value: Uint8Array };
  row.value = r[14] as Uint8Array;
  return row;
}

/**
 * A dialect over a Drizzle pg database. `name` prefixes error messages (`postgres`, `pglite`).
 * @example
 * const dialect = pgDatabaseDialect('pglite', drizzle({ client: new PGlite() }));
 */
export function pgDatabaseDialect(
  name: string,
  db: AnyPgDatabase,
  adopt: (host: unknown) => AnyPgDatabase | null = () => null,
  traits: PgDriverTraits = { textDropsBom: false },
): Dialect {
  const run = traits.direct;
  const hot = run && directStatements(db);
  const direct = hot && {
    get: (values: Record<string, unknown>) => run(hot.get.text, hot.get.bind(values)),
    upsert: (values: Record<string, unknown>) => run(hot.upsert.text, hot.upsert.bind(values)),
    list: (shape: number, values: Record<string, unknown>) => {
      const statement = hot.list[shape]!();
      return run(statement.text, statement.bind(values));
    },
  };
  return session({ name, db, statements: prepareStatements(db, traits), lifecycle: prepareLifecycleStatements(db), adopt, traits, root: db, direct });
}

/** What one view of the dialect runs on: the database, or a transaction on one of its connections. */
interface PgSession {
  readonly name: string;
  readonly db: AnyPgDatabase;
  readonly statements: ReturnType<typeof prepareStatements>;
  readonly lifecycle: ReturnType<typeof prepareLifecycleStatements>;
  /** The host's transaction handle as a Drizzle database on its connection, or `null` if not one this dialect takes. */
  readonly adopt: (host: unknown) => AnyPgDatabase | null;
  readonly traits: PgDriverTraits;
  /**
   * In a transaction's view: the first statement that failed in it. PostgreSQL aborts the whole
   * transaction then, and a COMMIT would answer ROLLBACK without an error: the view refuses to go on.
   */
  readonly failed?: { error: ExtensionStorageError | null };
  /** In a transaction's view, where the driver tells: whether that transaction has ended. */
  readonly ended?: () => boolean;
  /** The database the dialect was built over (the same for its transactions' views): see `own-transaction.ts`. */
  readonly root: object;
  /** On the database's own client, where the driver offers it (`PgDriverTraits.direct`): `get` and `upsert`, rows as arrays. */
  readonly direct?: {
    readonly [S in 'get' | 'upsert']: (values: Record<string, unknown>) => Promise<unknown[][]>;
  } & { readonly list: (shape: number, values: Record<string, unknown>) => Promise<unknown[][]> };
}

function session(context: PgSession): Dialect {
  const { name, db, statements, lifecycle, traits } = context;
  /** The same dialect over `tx`: a Drizzle transaction (whose `transaction` is a savepoint). */
  const over = (tx: AnyPgDatabase) =>
    session({
      name,
      db: tx,
      statements: prepareStatements(tx, traits),
      lifecycle: prepareLifecycleStatements(tx),
      adopt: context.adopt,
      traits,
      failed: { error: null },
      ended: traits.transactionEnded && (() => traits.transactionEnded!(tx)),
      root: context.root,
    });
  const { failed, ended, direct } = context;

  /** Runs one operation and wraps driver errors; in a transaction, none after one has failed or after its end. */
  async function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    if (failed === undefined) refuseInsideTransaction(context.root, name, operation);
    if (ended?.()) throw new ValidationError(`${name}: ${operation}: the transaction it belongs to has ended; nothing was written`);
    if (failed?.error) throw abortedTransaction(name, operation, failed.error);
    try {
      return await body();
    } catch (error) {
      const typed = wrapped(name, operation, error);
      if (failed && !(error instanceof ExtensionStorageError)) failed.error ??= typed;
      throw typed;
    }
  }

  /**
   * One transaction holding a transaction-scoped advisory lock: concurrent starts wait for each other,
   * and PostgreSQL's transactional DDL applies a migration and its ledger entry together or not at all.
   */
  async function locked(body: (session: MigrationSession) => Promise<void>): Promise<void> {
    try {
      await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`));
        // IF [NOT] EXISTS notices would reach the host's notice handler (postgres.js logs them by default).
        await tx.execute(sql.raw('SET LOCAL client_min_messages TO warning'));
        await body(migrationSession(name, tx));
      });
    } catch (error) {
      if (error instanceof ExtensionStorageError) throw error;
      throw new DatabaseError(`${name}: migration failed`, error);
    }
  }

  return Object.freeze({
    [FAILED]: failed,
    name,
    migrate: () => locked((session) => applyMigrations(name, session, migrations)),
    migrateDown: () => locked((session) => revertMigrations(name, session, migrations)),

    get: direct
      ? (scope: Scope, key: string) =>
          run('get', async () => {
            const rows = await direct.get(keyParams(scope, key));
            return rows.length === 0 ? undefined : decodeRow(rows[0]!);
          })
      : (scope: Scope, key: string) => run('get', async () => (await statements.get.execute(keyParams(scope, key)))[0] as Row | undefined),

    upsert: (write: RowWrite) =>
      run('upsert', async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            if (direct) return decodeInfo((await direct.upsert(write as unknown as Record<string, unknown>))[0]!);
            return (await statements.upsert.execute({ ...write }))[0] as RowInfo;
          } catch (error) {
            if (attempt === ID_ATTEMPTS || !isIdCollision(error)) throw error;
          }
        }
      }),

    delete: (scope: Scope, key: string, now: Date) =>
      run('delete', async () => (await statements.delete.execute(keyParams(scope, key, now))).length > 0),

    list: direct
      ? (scope: Scope, query: RowQuery, limit: number) =>
          run('list', async () => (await direct.list(shapeIndex(query), queryParams(scope, query, limit))).map(decodeInfo))
      : (scope: Scope, query: RowQuery, limit: number) =>
          run('list', () => statements.list[shapeIndex(query)]!().execute(queryParams(scope, query, limit)) as Promise<RowInfo[]>),

    count: (scope: Scope, query: RowQuery) =>
      run('count', async () => (await statements.count[shapeIndex(query)]!().execute(queryParams(scope, query)))[0]!.n),

    encryptedRows: (afterId: number, limit: number) =>
      run('read encrypted rows', () => statements.encryptedRows.execute({ afterId, limit }) as Promise<EncryptedRow[]>),

    replaceValues: (updates: readonly ValueReplacement[]) =>
      run('replace values', async () => {
        const skipped: number[] = [];
        for (const group of statementsOf(updates)) {
          const replaced = await replaceInOneStatement(db, group);
          for (const update of group) if (!replaced.has(update.uuid)) skipped.push(update.id);
        }
        return skipped;
      }),

    insertIfAbsent: (write: RowWrite) =>
      run('insert', async () => (await statements.insertIfAbsent().execute(writeParams(write)))[0] as RowInfo | undefined),

    replaceIf: (write: RowWrite, expected: Expected) =>
      run('conditional write', async () => {
        const statement = statements.replaceIf[expected.uuid === null ? 0 : 1]!();
        return (await statement.execute(writeParams(write, expected)))[0] as RowInfo | undefined;
      }),

    deleteIf: (scope: Scope, key: string, expected: Expected, now: Date) =>
      run('conditional delete', async () => {
        const params = { ...keyParams(scope, key, now), expectedVersion: expected.version, expectedUuid: expected.uuid };
        return (await statements.deleteIf[expected.uuid === null ? 0 : 1]!().execute(params)).length > 0;
      }),

    increment: (write: CounterWrite) =>
      run('increment', async () => {
        const params = writeParams(write);
        params.by = write.by;
        return (await statements.increment().execute(params))[0] as Row | undefined;
      }),

    getMany: (scope: Scope, keys: readonly string[]) =>
      run('get many', () => statements.getMany().execute({ ...keyParams(scope, ''), keys: textArray(keys) }) as Promise<Row[]>),

    deleteMany: (scope: Scope, keys: readonly string[], now: Date) =>
      run('delete many', async () => (await statements.deleteMany().execute({ ...keyParams(scope, '', now), keys: textArray(keys) })).length),

    transaction: async <T>(body: (tx: Dialect) => Promise<T>) => {
      if (failed === undefined) refuseInsideTransaction(context.root, name, 'transaction');
      // Errors of `body` pass through as thrown; those of BEGIN / COMMIT / SAVEPOINT are the driver's.
      let thrown: { error: unknown } | null = null;
      try {
        return await db.transaction(async (tx) => {
          const view = over(tx as unknown as AnyPgDatabase) as Dialect & { readonly [FAILED]: { error: ExtensionStorageError | null } };
          try {
            const result = await insideTransaction(context.root, () => body(view));
            // A statement failed and the caller went on: PostgreSQL would turn the COMMIT into a ROLLBACK.
            const failure = view[FAILED].error;
            if (failure) throw abortedTransaction(name, 'commit', failure);
            return result;
          } catch (error) {
            thrown = { error };
            throw error;
          }
        });
      } catch (error) {
        if (thrown !== null && (thrown as { error: unknown }).error === error) throw error;
        throw wrapped(name, 'transaction', error);
      }
    },

    withTransaction: (host: unknown) => {
      const tx = is(host, PgTransaction) ? (host as unknown as AnyPgDatabase) : context.adopt(host);
      if (tx === null) {
        throw new ValidationError(`"withTransaction" expected a Drizzle transaction or the ${name} driver's transaction handle`);
      }
      return over(tx);
    },
    usage: (extensionId: string) =>
      run('read usage', async () => toUsage((await lifecycle.usage.execute({ extensionId }))[0])),

    recordedQuota: (extensionId: string) =>
      run('read quota', async () => toQuotaLimits((await lifecycle.recordedQuota.execute({ extensionId }))[0])),

    extensionIds: () => run('list extensions', async () => (await lifecycle.extensionIds.execute()).map((row) => row.id)),

    deleteRows: (rows: RowSet, limit: number) =>
      run('delete rows', async () => (await lifecycle.deleteRows[ROW_SET_KINDS.indexOf(rows.kind)]!.execute(rowSetParams(rows, limit))).length),

    recordQuota: (extensionId: string, limits: QuotaLimits) =>
      run('record quota', async () => void (await lifecycle.recordQuota.execute({ extensionId, maxBytes: limits.bytes, maxKeys: limits.keys }))),

    deleteExpired: (now: Date, limit: number) =>
      run('delete expired rows', async () => (await lifecycle.deleteExpired.execute({ now, limit })).length),
    ...transferOperations(db, run),
  });
}
