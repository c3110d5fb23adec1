/**
 * The MySQL dialect (MySQL 8, MariaDB 10.11+) on mysql2. Every statement is a Drizzle query compiled to
 * SQL once per dialect instance. The hot ones (get, delete, list and count pages, MariaDB's upsert) run
 * straight on the host's pool as server-side prepared statements (`execute`, cached per connection by
 * mysql2), their rows decoded here; the statements of a transaction run on the transaction's own
 * connection. On MariaDB an upsert is one `INSERT … ON DUPLICATE KEY UPDATE … RETURNING`; MySQL has no
 * RETURNING, so there it is the INSERT and a SELECT in one transaction.
 * @module
 */
import { and, asc, count, eq, gt, sql, type Column, type Query, type SQL } from 'drizzle-orm';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import type { Connection as CallbackConnection, Pool as CallbackPool } from 'mysql2';
import type { Connection, FieldPacket, Pool, ResultSetHeader, RowDataPacket, TypeCast } from 'mysql2/promise';
import type { CounterWrite, Dialect, EncryptedRow, Expected, QuotaLimits, Row, RowInfo, RowQuery, RowSet, RowWrite, Scope, ValueReplacement } from '../../dialect.js';
import { ConflictError, DatabaseError, ExtensionStorageError, NotMigratedError, UnsupportedDatabaseError, ValidationError } from '../../errors.js';
import { binder } from '../shared/binder.js';
import { atKey, expired, inScope, keyParams, lazy, live, liveAtKey, matchesQuery, QUERY_SHAPES, queryParams, shapeAt, shapeIndex } from '../shared/conditions.js';
import { expiredAt, inRowSet, quotaRow, recordedQuota, ROW_SET_KINDS, rowSetParams, toQuotaLimits, toUsage } from '../shared/lifecycle.js';
import { applyMigrations, LEDGER_TABLE, revertMigrations, type MigrationSession } from '../shared/migrator.js';
import { insideTransaction, refuseInsideTransaction } from '../shared/own-transaction.js';
import {
  atKeyExpected,
  atVersion,
  encryptedAfter,
  encryptedRowColumns,
  infoColumns,
  insertedRow,
  MAX_COUNTER,
  newEntryColumns,
  replacedColumns,
  replacedOnConflict,
  rowColumns,
  writeParams,
} from '../shared/statements.js';
import { clientConfig, connections, type Connections } from './client.js';
import { galeraAware, LOCK_TABLE, withLease } from './galera.js';
import { guarded, inTransaction, savepoint } from './transactions.js';
import { migrations } from './migrations.js';
import { extensionStorage as t, extensionStorageUsage as u } from './schema.js';
import { transferOperations } from './transfer.js';

/**
 * What `mysql()` accepts: the host's mysql2 pool or connection (promise or callback API), or its Drizzle
 * database over one. A pool lets operations run side by side; a lone connection takes them in turns.
 */
export type MysqlClient = Pool | Connection | CallbackPool | CallbackConnection | MySql2Database<Record<string, unknown>>;

/** Attempts of an operation that the server aborted to break a deadlock or a lock wait (more on Galera). */
const MAX_ATTEMPTS = 12;
/** How long `migrate()` waits for another process's migration, in seconds. */
const MIGRATION_LOCK_SECONDS = 120;
/** The server errors after which the whole operation may simply run again. */
const RETRYABLE_ERRNOS = new Set([
  1213, // ER_LOCK_DEADLOCK: the transaction was rolled back
  1205, // ER_LOCK_WAIT_TIMEOUT
  1020, // ER_CHECKREAD: MariaDB's innodb_snapshot_isolation saw a newer row version
]);

/**
 * The migration lock, one per database (lock names are server-wide, and at most 64 characters on MySQL).
 */
const LOCK_NAME = "CONCAT('extension_storage_migrate:', MD5(COALESCE(DATABASE(), '')))";

/**
 * The smallest `max_allowed_packet` `migrate()` accepts, in bytes (22 MiB): the largest value of the
 * default `limits.maxValueBytes`, encrypted, is a 22,369,700-byte Fernet token, sent as a binary
 * parameter in one packet (measured on MariaDB 10.11: 21,846 KiB is the least that writes, reads and
 * rotates it).
 */
export const MIN_MAX_ALLOWED_PACKET = 22 * 1024 * 1024;
/** The oldest servers the library supports, as [major, minor]. */
const MIN_MARIADB: readonly [number, number] = [10, 11];
const MIN_MYSQL: readonly [number, number] = [8, 0];

/** ER_NO_SUCH_TABLE: the library was not migrated. */
const NO_SUCH_TABLE = 1146;
/**
 * Errors that say a migration statement's work is already done. Creating: ER_TABLE_EXISTS_ERROR,
 * ER_DUP_KEYNAME, ER_DUP_FIELDNAME, a duplicate CHECK name (MariaDB 1826, MySQL 3822),
 * ER_TRG_ALREADY_EXISTS (1359). Dropping: ER_BAD_TABLE_ERROR, ER_CANT_DROP_FIELD_OR_KEY (MariaDB, also
 * for a CHECK), MySQL's missing CHECK (3940), ER_TRG_DOES_NOT_EXIST (1360).
 */
const ALREADY_DONE_ERRNOS = new Set([1050, 1061, 1060, 1826, 3822, 1359, 1051, 1091, 3940, 1360]);

const SCOPED_KEY_INDEX = 'extension_storage_scoped_key';
const SCOPED_CATEGORY_INDEX = 'extension_storage_scoped_category';

const info = infoColumns(t);

/** The value of the inserted row, in `ON DUPLICATE KEY UPDATE` (MariaDB has no `AS new` row alias). */
const inserted = (column: Column) => sql`values(${sql.identifier(column.name)})`;

/** The hot statements, compiled once to SQL with `?` markers and run straight on the pool. */
function compileHotStatements(db: MySql2Database) {
  const placeholder = sql.placeholder;
  // MariaDB's planner walks away from the index for `key > ?` pages unless told: name it.
  const indexOf = (index: number) => (shapeAt(index).category ? SCOPED_CATEGORY_INDEX : SCOPED_KEY_INDEX);
  const listShape = (index: number) =>
    db
      .select(info)
      .from(t, { forceIndex: indexOf(index) })
      .where(matchesQuery(t, shapeAt(index)))
      .orderBy(asc(t.key))
      .limit(placeholder('limit'))
      .toSQL();
  const countShape = (index: number) =>
    db
      .select({ n: count() })
      .from(t, { forceIndex: indexOf(index) })
      .where(matchesQuery(t, shapeAt(index)))
      .toSQL();
  return {
    get: bound(db.select(rowColumns(t)).from(t).where(atKey(t)).toSQL()),
    delete: bound(db.delete(t).where(liveAtKey(t)).toSQL()),
    list: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => bound(listShape(index)))),
    count: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => bound(countShape(index)))),
    upsertReturning: bound(upsertReturning(db)),
  };
}

/** MariaDB 10.5+: the upsert that returns the row it wrote, in one autocommit statement. */
function upsertReturning(db: MySql2Database): Query {
  const upsert = db
    .insert(t)
    .values(insertedRow(t))
    .onDuplicateKeyUpdate({ set: replacedOnConflict(t, inserted) })
    .toSQL();
  const columns = Object.values(info).map((column) => `\`${column.name}\``);
  return { sql: `${upsert.sql} returning ${columns.join(', ')}`, params: upsert.params };
}

/** A compiled statement and how to bind its parameters, worked out once. */
export interface Bound {
  readonly sql: string;
  readonly bind: (values: Record<string, unknown>) => unknown[];
}

/**
 * Binds `query`'s placeholders by name (see `binder`). A bare placeholder (a WHERE operand or the LIMIT)
 * is bound as compared: a string as its UTF-8 bytes, so the comparison with the binary columns is
 * bytewise whatever the connection's character set; a number as its decimal text, since MySQL 8
 * refuses a DOUBLE (how mysql2 binds numbers) for a prepared LIMIT.
 */
function bound(query: Query): Bound {
  return { sql: query.sql, bind: binder(query.params, comparedAs) };
}

function comparedAs(value: unknown): unknown {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : typeof value === 'number' ? String(value) : value;
}

/**
 * Usage, cleanup and expiry. A batch of deletions is one `DELETE … ORDER BY … LIMIT` over an index range
 * (MySQL refuses a LIMIT inside an `IN` subquery, which the other dialects use).
 */
function compileLifecycleStatements(db: MySql2Database) {
  const placeholder = sql.placeholder;
  return {
    usage: bound(db.select({ bytes: u.bytes, keyCount: u.keyCount }).from(u).where(eq(u.extensionId, placeholder('extensionId'))).toSQL()),
    recordedQuota: bound(db.select({ maxBytes: u.maxBytes, maxKeys: u.maxKeys }).from(u).where(eq(u.extensionId, placeholder('extensionId'))).toSQL()),
    extensionIds: bound(db.select({ id: u.extensionId }).from(u).where(gt(u.keyCount, 0)).orderBy(asc(u.extensionId)).toSQL()),
    deleteRows: ROW_SET_KINDS.map((kind) =>
      bound(db.delete(t).where(inRowSet(t, kind)).limit(placeholder('limit') as unknown as number).toSQL()),
    ),
    deleteExpired: bound(db.delete(t).where(expiredAt(t)).orderBy(asc(t.expiresAt)).limit(placeholder('limit') as unknown as number).toSQL()),
    recordQuota: bound(db.insert(u).values(quotaRow()).onDuplicateKeyUpdate({ set: recordedQuota(u, inserted) }).toSQL()),
  };
}

/**
 * The statements that run inside a transaction or stream the table. Like the hot ones they run as
 * prepared statements: values travel as binary parameters, never hex-encoded in the statement text,
 * so every path that writes a value fits the same `max_allowed_packet`.
 */
function compileStatements(db: MySql2Database) {
  const placeholder = sql.placeholder;
  return {
    upsert: bound(
      db
        .insert(t)
        .values(insertedRow(t))
        .onDuplicateKeyUpdate({ set: replacedOnConflict(t, inserted) })
        .toSQL(),
    ),
    written: bound(db.select(info).from(t).where(atKey(t)).toSQL()),
    encryptedRows: bound(
      db.select(encryptedRowColumns(t)).from(t).where(encryptedAfter(t)).orderBy(asc(t.id)).limit(placeholder('limit')).toSQL(),
    ),
    replaceValue: bound(
      db
        .update(t)
        .set({ value: placeholder('value') as unknown as Uint8Array })
        .where(atVersion(t))
        .toSQL(),
    ),
  };
}

/**
 * A per-query `typeCast` that takes every column as mysql2 decodes it by default: a function given
 * here is the only way to replace a pool-wide `typeCast` function (`typeCast: true` does not). It costs
 * mysql2's slow path for every field, so it is given only when the host's pool has a `typeCast` of its own.
 */
const asReceived: TypeCast = (_field, next) => next();

/** Whether the host's client has a `typeCast` other than mysql2's default (or one that cannot be seen). */
function hasOwnTypeCast(client: Pool | Connection): boolean {
  return clientConfig(client)?.typeCast !== true;
}

/**
 * The stored value as a BIGINT, or NULL when it is not the plain decimal text of one (at most 16
 * digits and an optional `-`: matched on its hex form, which needs no character set), or is encrypted.
 */
const storedInteger = sql`(case when ${t.isEncrypted} = 0 and hex(${t.value}) regexp '^(2D)?(3[0-9]){1,16}$' then cast(${t.value} as signed) end)`;

/** ER_DUP_ENTRY: an insert met an existing scoped key. */
const DUPLICATE_KEY = 1062;

/**
 * The conditional statements, batches and the counter. MySQL has no `RETURNING` (MariaDB only on
 * INSERT and DELETE), so a write that returns its row is the write and a read in one transaction.
 */
function compileConditionalStatements(db: MySql2Database) {
  const placeholder = sql.placeholder;
  const sum = sql`(${storedInteger} + cast(${placeholder('by')} as signed))`;
  const inKeys = (keys: number): SQL => {
    const list = sql.join(Array.from({ length: keys }, (_, i) => placeholder(`k${i}`)), sql`, `);
    return and(inScope(t), sql`${t.key} in (${list})`) as SQL;
  };
  const batches = (make: (keys: number) => Bound) => {
    const byCount = new Map<number, Bound>();
    return (keys: number) => byCount.get(keys) ?? byCount.set(keys, make(keys)).get(keys)!;
  };
  return {
    insert: bound(db.insert(t).values(insertedRow(t)).toSQL()),
    // A key that must be absent may be held by an expired row: it becomes the new entry.
    renewExpired: bound(db.update(t).set(newEntryColumns(t)).where(and(atKey(t), expired(t))).toSQL()),
    writtenInfo: bound(db.select(info).from(t).where(atKey(t)).toSQL()),
    replaceIf: [false, true].map((withUuid) => bound(db.update(t).set(replacedColumns(t)).where(atKeyExpected(t, withUuid)).toSQL())),
    deleteIf: [false, true].map((withUuid) => bound(db.delete(t).where(atKeyExpected(t, withUuid)).toSQL())),
    // SET runs in column order and later assignments see earlier ones: `size` reads the new value.
    incrementExisting: bound(
      db
        .update(t)
        .set({
          value: sql`cast(${sum} as char)`,
          valueType: placeholder('valueType'),
          size: sql`length(${t.value})`,
          version: sql`${t.version} + 1`,
          updatedAt: placeholder('now'),
          updatedBy: placeholder('writtenBy'),
        } as unknown as Record<string, SQL>)
        .where(and(atKey(t), live(t), sql`abs(${sum}) <= ${MAX_COUNTER}`))
        .toSQL(),
    ),
    getMany: batches((keys) => bound(db.select(rowColumns(t)).from(t).where(inKeys(keys)).toSQL())),
    deleteMany: batches((keys) => bound(db.delete(t).where(and(inKeys(keys), live(t))).toSQL())),
  };
}

/** Values for the placeholders of a batch over `keys` (k0, k1, …), live at `now` when given. */
function keysParams(scope: Scope, keys: readonly string[], now?: Date): Record<string, unknown> {
  const params: Record<string, unknown> = keyParams(scope, '', now);
  keys.forEach((key, index) => (params[`k${index}`] = key));
  return params;
}

/** A driver error as the library reports it: a retryable `CONFLICT` when the server aborted the transaction, or `DATABASE`. */
function wrapped(operation: string, error: unknown): ExtensionStorageError {
  if (error instanceof ExtensionStorageError) return error;
  if (RETRYABLE_ERRNOS.has(errno(error) ?? 0)) {
    return new ConflictError(`mysql: ${operation}: the server aborted the transaction (deadlock or lock wait timeout)`, {
      currentVersion: null,
      retryable: true,
      cause: error,
    });
  }
  return errno(error) === NO_SUCH_TABLE ? new NotMigratedError(`mysql: ${operation} failed`, error) : new DatabaseError(`mysql: ${operation} failed`, error);
}

/**
 * Runs compiled statements as server-side prepared statements (mysql2 caches them per connection), on
 * the pool or on one connection. The host's pool options must not change what the library reads, so
 * each one that could is set here: `typeCast` (when the host has one), `rowsAsArray`, `nestTables`,
 * `timezone` (DATETIME columns hold UTC wall-clock time; no statement binds a `Date`: the columns send
 * text), unless the pool already reads so (`readsAsTheLibrary`: the statement then goes as bare text).
 * The options mysql2 only ever turns on (`dateStrings`, `supportBigNumbers`, `bigNumberStrings`) are
 * absorbed by the decoders below, which take dates and numbers as objects or as text.
 */
function statementRunner(typeCast: TypeCast | undefined) {
  return async function prepared<T>(client: Pool | Connection, statement: Bound, values: Record<string, unknown>): Promise<T> {
    const params = statement.bind(values) as never;
    const [result] = (
      typeCast === undefined && readsAsTheLibrary(client)
        ? await client.execute(statement.sql, params)
        : await client.execute({ sql: statement.sql, timezone: 'Z', rowsAsArray: false, nestTables: false, typeCast, namedPlaceholders: false }, params)
    ) as [unknown, FieldPacket[]];
    return result as T;
  };
}

/** What a client's own options say of how it reads, per client: they are fixed when it is created. */
const readingOf = new WeakMap<object, 'as-is' | 'local' | 'other'>();

/**
 * Whether `client` (no `typeCast` of its own: checked by the caller) already reads as the library's
 * options would have it, so that a statement goes as its text alone: mysql2 copies an options object
 * into one of its own on every call, which cost ~10 µs of CPU per statement (measured on MariaDB 10.11,
 * 16 callers). Yes with `rowsAsArray` and `nestTables` off and DATETIMEs read as UTC: `timezone` 'Z'
 * or '+00:00', `dateStrings` (text, which the decoders read as UTC), or 'local' (mysql2's default) in a
 * process whose time zone is UTC. A driver whose options cannot be seen gets the options object.
 */
function readsAsTheLibrary(client: Pool | Connection): boolean {
  let reading = readingOf.get(client);
  if (reading === undefined) {
    const config = clientConfig(client);
    reading =
      config === undefined || config.rowsAsArray || config.nestTables
        ? 'other'
        : config.dateStrings === true || config.timezone === 'Z' || config.timezone === '+00:00'
          ? 'as-is'
          : config.timezone === 'local' || config.timezone === undefined
            ? 'local'
            : 'other';
    readingOf.set(client, reading);
  }
  return reading === 'as-is' || (reading === 'local' && processInUtc());
}

/** IANA names of UTC itself (no offset, no daylight saving time). */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu', 'Etc/GMT', 'GMT', 'Etc/GMT0', 'GMT0', 'Etc/GMT+0', 'Etc/GMT-0', 'GMT+0', 'GMT-0', 'Etc/Greenwich', 'Greenwich']);
let zoneSetting: string | undefined | null = null;
let inUtc = false;

/** Whether this process's local time is UTC, asked again whenever `TZ` changes (Node follows it at once). */
function processInUtc(): boolean {
  const setting = process.env.TZ;
  if (setting !== zoneSetting) {
    zoneSetting = setting;
    inUtc = UTC_ZONES.has(new Intl.DateTimeFormat().resolvedOptions().timeZone);
  }
  return inUtc;
}

/** Query options for the library's plain-text statements (migrations, version probe), immune to the pool's. */
const TEXT_QUERY = { rowsAsArray: false, nestTables: false, typeCast: asReceived, namedPlaceholders: false } as const;

/*
 * Rows as mysql2 returns them, decoded as the columns of `schema.ts` decode them, written out by hand:
 * this runs for every row of every page. `VARBINARY` text arrives as bytes, `utf8mb4` text as strings;
 * a `DATETIME` (UTC wall-clock time) as a UTC `Date` from a prepared statement, or as its text.
 */
const utf8 = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
const utf8OrNull = (value: unknown): string | null => (value === null || value === undefined ? null : utf8(value));
const utc = (value: unknown): Date => (value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`));

function decodeInfo(row: RowDataPacket): RowInfo {
  return {
    id: Number(row.id),
    uuid: utf8(row.uuid),
    key: utf8(row.key),
    valueType: utf8(row.value_type),
    category: utf8OrNull(row.category),
    description: utf8OrNull(row.description),
    isEncrypted: row.is_encrypted === 1 || row.is_encrypted === true,
    size: Number(row.size),
    version: Number(row.version),
    createdAt: utc(row.created_at),
    updatedAt: utc(row.updated_at),
    createdBy: utf8OrNull(row.created_by),
    updatedBy: utf8OrNull(row.updated_by),
    expiresAt: row.expires_at === null || row.expires_at === undefined ? null : utc(row.expires_at),
  };
}

function decodeEncryptedRow(row: RowDataPacket): EncryptedRow {
  return {
    id: Number(row.id),
    uuid: utf8(row.uuid),
    extensionId: utf8(row.extension_id),
    userId: utf8(row.user_id),
    resourceType: utf8(row.resource_type),
    resourceId: utf8(row.resource_id),
    key: utf8(row.key),
    version: Number(row.version),
    value: row.value as Buffer,
  };
}

function decodeRow(row: RowDataPacket): Row {
  const decoded = decodeInfo(row) as RowInfo & { value: Uint8Array };
  decoded.value = row.value as Buffer;
  return decoded;
}

function errno(error: unknown): number | undefined {
  const value = (error as { errno?: unknown } | null)?.errno;
  return typeof value === 'number' ? value : undefined;
}

/**
 * A MySQL dialect over the host's mysql2 pool (or connection, or its Drizzle database over either).
 * Works on MySQL 8 and MariaDB 10.11+. The server's `max_allowed_packet` must be at least 22 MiB for
 * the default 16 MiB − 1 value limit: every statement sends values as binary parameters, and the largest
 * encrypted value is a 22,369,700-byte token (measured on MariaDB 10.11: 21,846 KiB is the least that
 * writes, reads and rotates it); `migrate()` refuses less than `MIN_MAX_ALLOWED_PACKET`.
 * @example
 * import mysql2 from 'mysql2/promise';
 * const storage = new ExtensionStorage({ dialect: mysql(mysql2.createPool(process.env.DATABASE_URL!)) });
 */
export function mysql(client: MysqlClient): Dialect {
  const galera = galeraAware(rawClient(client));
  const pool = connections(galera.client);
  const db = drizzle({ client: pool.client });
  const hot = compileHotStatements(db);
  const compiled = compileStatements(db);
  const lifecycle = compileLifecycleStatements(db);
  const host = pool.client;
  const prepared = statementRunner(hasOwnTypeCast(host) ? asReceived : undefined);
  /** Whether the server is MariaDB (which has `INSERT … RETURNING`), asked once at first need. */
  let mariadb: Promise<boolean> | undefined;
  // `via`: the connection a caller holds, if any (a pool whose connections are all lent has none to ask on).
  const isMariadb = (via: Pool | Connection = host) =>
    (mariadb ??= via.query<RowDataPacket[]>({ sql: 'SELECT VERSION() AS `version`', ...TEXT_QUERY }).then(
      ([rows]) => /mariadb/i.test(String(rows[0]?.version)),
      (error: unknown) => {
        mariadb = undefined;
        throw error;
      },
    ));

  /**
   * Runs one operation in its turn, again when the server broke a deadlock or a lock wait by aborting
   * it (the aborted attempt left nothing behind), and wraps driver errors.
   */
  function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    refuseInsideTransaction(host, 'mysql', operation);
    return pool.turn(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await body();
        } catch (error) {
          if (error instanceof ExtensionStorageError) throw error;
          if (RETRYABLE_ERRNOS.has(errno(error) ?? 0) && attempt < galera.attempts(MAX_ATTEMPTS)) {
            const delay = Math.min(2 ** attempt, 100);
            await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
            continue;
          }
          throw errno(error) === NO_SUCH_TABLE
            ? new NotMigratedError(`mysql: ${operation} failed`, error)
            : new DatabaseError(`mysql: ${operation} failed`, error);
        }
      }
    });
  }

  /**
   * Holds a named lock for the whole migration, so concurrent starts apply it once. DDL commits on its
   * own in MySQL, so a transaction could not serialise them: `GET_LOCK` on one dedicated connection
   * does, named after the database so that databases on one server migrate independently. `GET_LOCK`
   * is local to one node of a Galera cluster: there a replicated lease row does (galera.ts).
   */
  async function locked(operation: string, body: (session: MigrationSession) => Promise<void>): Promise<void> {
    try {
      await lockedSession(operation, body);
    } catch (error) {
      // No usable connection (refused, access denied, …) and every other driver failure: typed.
      if (error instanceof ExtensionStorageError) throw error;
      throw new DatabaseError(`mysql: ${operation} failed`, error);
    }
  }

  function lockedSession(operation: string, body: (session: MigrationSession) => Promise<void>): Promise<void> {
    return pool.turn(() =>
      pool.alone(async (connection, broken) => {
        const cluster = await galera.isGalera(connection).catch((error: unknown) => {
          throw new DatabaseError(`mysql: ${operation}: could not ask the server whether it is a Galera node`, error);
        });
        if (cluster) {
          return withLease(connection, broken, `mysql: ${operation}`, MIGRATION_LOCK_SECONDS, () => body(migrationSession(connection)));
        }
        let rows: RowDataPacket[];
        try {
          [rows] = await connection.query<RowDataPacket[]>(
            { sql: `SELECT GET_LOCK(${LOCK_NAME}, ?) AS \`locked\``, ...TEXT_QUERY },
            [MIGRATION_LOCK_SECONDS],
          );
        } catch (error) {
          throw new DatabaseError(`mysql: ${operation}: could not take the migration lock`, error);
        }
        if (Number(rows[0]?.locked) !== 1) {
          throw new ExtensionStorageError(
            'MIGRATION',
            `mysql: ${operation}: another process held the migration lock for ${MIGRATION_LOCK_SECONDS} seconds`,
          );
        }
        try {
          await body(migrationSession(connection));
        } finally {
          // A lock that could not be released ends with its session: close the connection, don't pool it.
          await connection.query(`SELECT RELEASE_LOCK(${LOCK_NAME})`).catch(broken);
        }
      }),
    );
  }

  return session({
    pool,
    host,
    run,
    locked,
    isMariadb,
    galera,
    prepared,
    lifecycle,
    db,
    hot,
    compiled,
    conditional: compileConditionalStatements(db),
    within: pool.transaction,
    begin: (body) => {
      refuseInsideTransaction(host, 'mysql', 'transaction');
      return pool.turn(() => pool.transaction(body));
    },
    root: host,
  });
}

/** What one view of the dialect (the host's pool, or a transaction's connection) runs on. */
interface MysqlSession {
  readonly pool: Connections;
  readonly host: Pool | Connection;
  readonly run: <T>(operation: string, body: () => Promise<T>) => Promise<T>;
  readonly locked: (operation: string, body: (session: MigrationSession) => Promise<void>) => Promise<void>;
  readonly isMariadb: (via?: Pool | Connection) => Promise<boolean>;
  readonly galera: ReturnType<typeof galeraAware>;
  /** Runs a compiled statement as the dialect runs all of them (prepared, the pool's result options overridden). */
  readonly prepared: ReturnType<typeof statementRunner>;
  readonly lifecycle: ReturnType<typeof compileLifecycleStatements>;
  readonly db: MySql2Database;
  readonly hot: ReturnType<typeof compileHotStatements>;
  readonly compiled: ReturnType<typeof compileStatements>;
  readonly conditional: ReturnType<typeof compileConditionalStatements>;
  /** Runs a write and its read-back together: a transaction of its own, or inside the open one. */
  readonly within: <T>(body: (connection: Connection) => Promise<T>) => Promise<T>;
  /** Runs a `Dialect.transaction` body: a transaction of its own on a lent connection, or a savepoint of the open one. */
  readonly begin: <T>(body: (connection: Connection) => Promise<T>) => Promise<T>;
  /** The host's pool or connection the dialect was built over, for all its views: see `own-transaction.ts`. */
  readonly root: object;
}

/** The view inside the transaction open on `connection`: no retries (the caller's transaction decides), nested transactions as savepoints. */
function transactionSession(context: MysqlSession, open: Connection): MysqlSession {
  const connection = guarded(open);
  return {
    ...context,
    pool: inTransaction(connection),
    host: connection,
    run: async (operation, body) => {
      try {
        return await body();
      } catch (error) {
        throw wrapped(operation, error);
      }
    },
    within: (body) => body(connection),
    begin: (body) => savepoint(connection, body),
  };
}

function session(context: MysqlSession): Dialect {
  const { pool, host, run, locked, isMariadb, galera, prepared, lifecycle, db, hot, compiled, conditional, within, begin } = context;
  const readInfo = async (connection: Connection, scope: Scope, key: string) => {
    const rows = await prepared<RowDataPacket[]>(connection, conditional.writtenInfo, keyParams(scope, key));
    if (rows.length !== 1) throw await galera.lost(connection, new Error(`the written row was not found (${rows.length} rows)`));
    return decodeInfo(rows[0]!);
  };
  return Object.freeze({
    name: 'mysql',
    migrate: () => locked('migrate', (session) => applyMigrations('mysql', session, migrations)),
    migrateDown: () => locked('migrateDown', (session) => revertMigrations('mysql', session, migrations)),

    get: (scope: Scope, key: string) =>
      run('get', async () => {
        const rows = await prepared<RowDataPacket[]>(host, hot.get, keyParams(scope, key));
        return rows.length === 0 ? undefined : decodeRow(rows[0]!);
      }),

    upsert: (write: RowWrite) =>
      run('upsert', async () => {
        // Not on Galera: a node that replays an aborted INSERT … RETURNING answers with a malformed
        // result (after committing it), which the transaction below never meets.
        if ((await isMariadb(host)) && !(await galera.isGalera(host))) {
          const rows = await prepared<RowDataPacket[]>(host, hot.upsertReturning, write as unknown as Record<string, unknown>);
          if (rows.length !== 1) throw new Error(`the upserted row was not returned (${rows.length} rows)`);
          return decodeInfo(rows[0]!);
        }
        return pool.transaction(async (connection) => {
          await prepared(connection, compiled.upsert, write as unknown as Record<string, unknown>);
          const rows = await prepared<RowDataPacket[]>(connection, compiled.written, keyParams(write, write.key));
          if (rows.length !== 1) throw await galera.lost(connection, new Error(`the upserted row was not found (${rows.length} rows)`));
          return decodeInfo(rows[0]!);
        });
      }),

    delete: (scope: Scope, key: string, now: Date) =>
      run('delete', async () => {
        const result = await prepared<ResultSetHeader>(host, hot.delete, keyParams(scope, key, now));
        return result.affectedRows > 0;
      }),

    list: (scope: Scope, query: RowQuery, limit: number) =>
      run('list', async () => {
        const rows = await prepared<RowDataPacket[]>(host, hot.list[shapeIndex(query)]!(), queryParams(scope, query, limit));
        return rows.map(decodeInfo);
      }),

    count: (scope: Scope, query: RowQuery) =>
      run('count', async () => {
        const [row] = await prepared<RowDataPacket[]>(host, hot.count[shapeIndex(query)]!(), queryParams(scope, query));
        return row === undefined ? 0 : Number(Object.values(row)[0]);
      }),

    encryptedRows: (afterId: number, limit: number) =>
      run('read encrypted rows', async () => (await prepared<RowDataPacket[]>(host, compiled.encryptedRows, { afterId, limit })).map(decodeEncryptedRow)),

    replaceValues: (updates: readonly ValueReplacement[]) =>
      run('replace values', () =>
        pool.transaction(async (connection) => {
          const stale: number[] = [];
          for (const update of updates) {
            // mysql2 reports the rows matched (CLIENT_FOUND_ROWS), so an unchanged value still counts.
            const result = await prepared<ResultSetHeader>(connection, compiled.replaceValue, { ...update });
            if (result.affectedRows === 0) stale.push(update.id);
          }
          return stale;
        }),
      ),

    insertIfAbsent: (write: RowWrite) =>
      run('insert', () =>
        within(async (connection) => {
          const params = writeParams(write);
          try {
            await prepared(connection, conditional.insert, params);
          } catch (error) {
            if (errno(error) !== DUPLICATE_KEY) throw error;
            const renewed = await prepared<ResultSetHeader>(connection, conditional.renewExpired, params);
            if (renewed.affectedRows === 0) return undefined;
          }
          return readInfo(connection, write, write.key);
        }),
      ),

    replaceIf: (write: RowWrite, expected: Expected) =>
      run('conditional write', () =>
        within(async (connection) => {
          const statement = conditional.replaceIf[expected.uuid === null ? 0 : 1]!;
          const result = await prepared<ResultSetHeader>(connection, statement, writeParams(write, expected));
          return result.affectedRows === 0 ? undefined : readInfo(connection, write, write.key);
        }),
      ),

    deleteIf: (scope: Scope, key: string, expected: Expected, now: Date) =>
      run('conditional delete', async () => {
        const params = { ...keyParams(scope, key, now), expectedVersion: expected.version, expectedUuid: expected.uuid };
        return (await prepared<ResultSetHeader>(host, conditional.deleteIf[expected.uuid === null ? 0 : 1]!, params)).affectedRows > 0;
      }),

    // An UPDATE of the live integer, else an INSERT; when the key is held by an expired row, that row
    // becomes the new counter; when a concurrent insert won the race, the UPDATE again (the
    // duplicate-key error waited for that insert to commit).
    increment: (write: CounterWrite) =>
      run('increment', () =>
        within(async (connection) => {
          const params = writeParams(write);
          params.by = write.by;
          const update = async () => (await prepared<ResultSetHeader>(connection, conditional.incrementExisting, params)).affectedRows > 0;
          let written = await update();
          if (!written) {
            try {
              await prepared(connection, conditional.insert, params);
              written = true;
            } catch (error) {
              if (errno(error) !== DUPLICATE_KEY) throw error;
              written = (await prepared<ResultSetHeader>(connection, conditional.renewExpired, params)).affectedRows > 0 || (await update());
            }
          }
          if (!written) return undefined;
          const rows = await prepared<RowDataPacket[]>(connection, hot.get, keyParams(write, write.key));
          return decodeRow(rows[0]!);
        }),
      ),

    getMany: (scope: Scope, keys: readonly string[]) =>
      run('get many', async () => {
        const rows = await prepared<RowDataPacket[]>(host, conditional.getMany(keys.length), keysParams(scope, keys));
        return rows.map(decodeRow);
      }),

    deleteMany: (scope: Scope, keys: readonly string[], now: Date) =>
      run('delete many', async () => {
        const result = await prepared<ResultSetHeader>(host, conditional.deleteMany(keys.length), keysParams(scope, keys, now));
        return result.affectedRows;
      }),

    transaction: async <T>(body: (tx: Dialect) => Promise<T>) => {
      // Errors of `body` pass through as thrown; those of BEGIN / COMMIT / SAVEPOINT are the driver's.
      let thrown: { error: unknown } | null = null;
      try {
        return await begin(async (connection) => {
          try {
            return await insideTransaction(context.root, () => body(session(transactionSession(context, connection))));
          } catch (error) {
            thrown = { error };
            throw error;
          }
        });
      } catch (error) {
        if (thrown !== null && (thrown as { error: unknown }).error === error) throw error;
        throw wrapped('transaction', error);
      }
    },

    withTransaction: (hostTransaction: unknown) => {
      const connection = transactionConnection(hostTransaction);
      if (connection === null) {
        throw new ValidationError('"withTransaction" expected a Drizzle transaction, or a mysql2 connection with a transaction open');
      }
      return session(transactionSession(context, galera.causal(connection)));
    },
    usage: (extensionId: string) =>
      run('read usage', async () => {
        const [row] = await prepared<RowDataPacket[]>(host, lifecycle.usage, { extensionId });
        return toUsage(row === undefined ? undefined : { bytes: row.bytes, keyCount: row.key_count });
      }),

    recordedQuota: (extensionId: string) =>
      run('read quota', async () => {
        const [row] = await prepared<RowDataPacket[]>(host, lifecycle.recordedQuota, { extensionId });
        return toQuotaLimits(row === undefined ? undefined : { maxBytes: row.max_bytes, maxKeys: row.max_keys });
      }),

    extensionIds: () =>
      run('list extensions', async () => (await prepared<RowDataPacket[]>(host, lifecycle.extensionIds, {})).map((row) => utf8(row.extension_id))),

    deleteRows: (rows: RowSet, limit: number) =>
      run('delete rows', async () => {
        const result = await prepared<ResultSetHeader>(host, lifecycle.deleteRows[ROW_SET_KINDS.indexOf(rows.kind)]!, rowSetParams(rows, limit));
        return result.affectedRows;
      }),

    recordQuota: (extensionId: string, limits: QuotaLimits) =>
      run('record quota', async () => void (await prepared(host, lifecycle.recordQuota, { extensionId, maxBytes: limits.bytes, maxKeys: limits.keys }))),

    deleteExpired: (now: Date, limit: number) =>
      run('delete expired rows', async () => (await prepared<ResultSetHeader>(host, lifecycle.deleteExpired, { now, limit })).affectedRows),
    ...transferOperations(db, pool, {
      run,
      execute: (connection, query, values) => prepared(connection, bound(query), values),
      compile: bound,
      read: (statement, values) => prepared(host, statement, values),
      decodeRow,
      utf8,
    }),
  });
}

/** The connection of a host's transaction: a Drizzle `MySql2Transaction`'s, or a mysql2 connection (not a pool). */
function transactionConnection(host: unknown): Connection | null {
  let candidate = ((host as { session?: { client?: unknown } } | null)?.session?.client ?? host) as Connection & { promise?: () => Connection };
  if (typeof candidate?.promise === 'function') candidate = candidate.promise();
  if (typeof candidate?.query !== 'function' || typeof candidate.execute !== 'function') return null;
  if (typeof (candidate as Partial<Pool>).getConnection === 'function') return null;
  return candidate;
}

/**
 * The migrator's view of one connection holding the migration lock. MySQL's DDL commits on its own, so
 * the session is not transactional: the migrator marks migrations pending and resumes them.
 * @internal Exported for the crash-recovery tests.
 */
export function migrationSession(connection: Connection): MigrationSession {
  const query = (statement: string, values?: unknown[]) => connection.query({ sql: statement, ...TEXT_QUERY }, values);
  return {
    transactional: false,
    checkDatabase: () => checkDatabase(connection),
    createLedger: async () => {
      await query(
        `CREATE TABLE IF NOT EXISTS \`${LEDGER_TABLE}\` (` +
          '`tag` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, `applied_at` bigint NOT NULL)',
      );
    },
    appliedTags: async () => {
      const [rows] = await query(`SELECT \`tag\` FROM \`${LEDGER_TABLE}\``);
      return (rows as RowDataPacket[]).map((row) => String(row.tag));
    },
    execute: async (statement) => {
      await query(statement);
    },
    alreadyDone: (error) => ALREADY_DONE_ERRNOS.has(errno(error) ?? 0),
    record: async (tag) => {
      await query(`INSERT INTO \`${LEDGER_TABLE}\` (\`tag\`, \`applied_at\`) VALUES (?, ?)`, [tag, Date.now()]);
    },
    forget: async (tag) => {
      await query(`DELETE FROM \`${LEDGER_TABLE}\` WHERE \`tag\` = ?`, [tag]);
    },
    dropLedger: async () => {
      // The Galera migration lease's table too (it exists only where a cluster took the lease).
      await query(`DROP TABLE IF EXISTS \`${LEDGER_TABLE}\`, \`${LOCK_TABLE}\``);
    },
  };
}

/**
 * What the library assumes of a MySQL or MariaDB server, checked by `migrate()`. Every string travels
 * as UTF-8 bytes and every comparison is on binary columns, so the connection's character set and
 * collation do not matter for what is sent, nor `sql_mode`; results must come back as utf8mb4 (or
 * unconverted) so that 4-byte characters of descriptions and user ids survive.
 */
async function checkDatabase(connection: Connection): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>({
    sql: 'SELECT VERSION() AS `version`, @@max_allowed_packet AS `packet`, @@character_set_results AS `results`',
    ...TEXT_QUERY,
  });
  const { version, packet, results } = rows[0]! as { version: string; packet: number | string; results: string | null };
  const mariadb = /mariadb/i.test(version);
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  const [minMajor, minMinor] = mariadb ? MIN_MARIADB : MIN_MYSQL;
  if (major < minMajor || (major === minMajor && minor < minMinor)) {
    throw new UnsupportedDatabaseError(`mysql: the server is ${mariadb ? 'MariaDB' : 'MySQL'} ${major}.${minor}; extension-storage needs MySQL 8.0+ or MariaDB 10.11+`);
  }
  if (Number(packet) < MIN_MAX_ALLOWED_PACKET) {
    throw new UnsupportedDatabaseError(
      `mysql: the server's max_allowed_packet is ${packet} bytes; extension-storage needs at least ${MIN_MAX_ALLOWED_PACKET} (22 MiB): ` +
        `set max_allowed_packet = 22M or more in the server's configuration (or SET GLOBAL max_allowed_packet)`,
    );
  }
  if (results !== null && results !== 'utf8mb4' && results !== 'binary') {
    throw new UnsupportedDatabaseError(
      `mysql: the connection's character_set_results is ${results}; extension-storage needs utf8mb4: ` +
        `leave mysql2's charset option at its default (or set it to UTF8MB4_BIN)`,
    );
  }
}

/** The mysql2 promise pool or connection behind what the host passed. */
function rawClient(client: MysqlClient): Pool | Connection {
  let candidate = ((client as { $client?: unknown } | null)?.$client ?? client) as (Pool | Connection) & {
    promise?: () => Pool | Connection;
  };
  // A callback-style mysql2 client (`mysql2.createPool`) has a promise wrapper; Drizzle accepts both.
  if (typeof candidate?.promise === 'function') candidate = candidate.promise();
  if (typeof candidate?.query !== 'function' || typeof (candidate as { escape?: unknown }).escape !== 'function') {
    throw new ValidationError('"db" expected a mysql2 Pool or Connection, or a Drizzle MySql2Database');
  }
  return candidate;
}
