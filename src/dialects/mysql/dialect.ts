/**
 * The MySQL dialect (MySQL 8, MariaDB 10.11+) on mysql2. Every statement is a Drizzle query built once
 * per dialect instance: single statements as Drizzle prepared queries on the host's pool, the
 * statements of a transaction compiled to SQL once and run on the transaction's own connection.
 * Without RETURNING, an upsert is `INSERT … ON DUPLICATE KEY UPDATE` and a SELECT in one transaction.
 * @module
 */
import { asc, count, fillPlaceholders, sql, type Column, type Query } from 'drizzle-orm';
import type { MySqlColumn } from 'drizzle-orm/mysql-core';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import type { Connection as CallbackConnection, Pool as CallbackPool } from 'mysql2';
import type { Connection, FieldPacket, Pool, QueryOptions, ResultSetHeader, RowDataPacket, TypeCast } from 'mysql2/promise';
import type { Dialect, EncryptedRow, Row, RowInfo, RowQuery, RowWrite, Scope } from '../../dialect.js';
import { DatabaseError, ExtensionStorageError, ValidationError } from '../../errors.js';
import { atKey, matchesQuery, QUERY_SHAPES, queryParams, scopeParams, shapeAt, shapeIndex } from '../shared/conditions.js';
import { applyMigrations, LEDGER_TABLE, revertMigrations, type MigrationSession } from '../shared/migrator.js';
import { atVersion, encryptedAfter, encryptedRowColumns, infoColumns, insertedRow, replacedOnConflict, rowColumns } from '../shared/statements.js';
import { connections } from './client.js';
import { migrations } from './migrations.js';
import { extensionStorage as t } from './schema.js';

/**
 * What `mysql()` accepts: the host's mysql2 pool or connection (promise or callback API), or its Drizzle
 * database over one. A pool lets operations run side by side; a lone connection takes them in turns.
 */
export type MysqlClient = Pool | Connection | CallbackPool | CallbackConnection | MySql2Database<Record<string, unknown>>;

/** Attempts of an operation that the server aborted to break a deadlock or a lock wait. */
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

const SCOPED_KEY_INDEX = 'extension_storage_scoped_key';
const SCOPED_CATEGORY_INDEX = 'extension_storage_scoped_category';

const info = infoColumns(t);

/** The value of the inserted row, in `ON DUPLICATE KEY UPDATE` (MariaDB has no `AS new` row alias). */
const inserted = (column: Column) => sql`values(${sql.identifier(column.name)})`;

function prepareStatements(db: MySql2Database) {
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
      .prepare();
  const countShape = (index: number) =>
    db
      .select({ n: count() })
      .from(t, { forceIndex: indexOf(index) })
      .where(matchesQuery(t, shapeAt(index)))
      .prepare();
  return {
    get: db.select(rowColumns(t)).from(t).where(atKey(t)).prepare(),
    delete: db.delete(t).where(atKey(t)).prepare(),
    list: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => listShape(index))),
    count: Array.from({ length: QUERY_SHAPES }, (_, index) => lazy(() => countShape(index))),
    encryptedRows: db
      .select(encryptedRowColumns(t))
      .from(t)
      .where(encryptedAfter(t))
      .orderBy(asc(t.id))
      .limit(placeholder('limit'))
      .prepare(),
  };
}

/** The statements that run inside a transaction, on a connection Drizzle does not manage. */
function compileStatements(db: MySql2Database) {
  const placeholder = sql.placeholder;
  return {
    upsert: db
      .insert(t)
      .values(insertedRow())
      .onDuplicateKeyUpdate({ set: replacedOnConflict(t, inserted) })
      .toSQL(),
    written: db.select(info).from(t).where(atKey(t)).toSQL(),
    replaceValue: db
      .update(t)
      .set({ value: placeholder('value') as unknown as Uint8Array })
      .where(atVersion(t))
      .toSQL(),
  };
}

function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

/** Drizzle's own rule for mysql2: dates come back as the server's text, which the columns parse. */
const typeCast: TypeCast = (field, next) =>
  field.type === 'TIMESTAMP' || field.type === 'DATETIME' || field.type === 'DATE' ? field.string() : next();

/** Runs a compiled statement on one connection. */
async function execute<T>(connection: Connection, query: Query, values: Record<string, unknown>): Promise<T> {
  const options: QueryOptions = { sql: query.sql, rowsAsArray: false, typeCast };
  const [result] = (await connection.query(options, fillPlaceholders(query.params, values))) as [unknown, FieldPacket[]];
  return result as T;
}

/** A row as mysql2 returns it, decoded by the columns of `fields`, like a Drizzle select. */
function decode<T>(fields: Record<string, MySqlColumn>, row: RowDataPacket): T {
  const decoded: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(fields)) {
    const raw = row[column.name] as unknown;
    decoded[field] = raw === null || raw === undefined ? null : column.mapFromDriverValue(raw);
  }
  return decoded as T;
}

/**
 * Placeholders compared with binary columns, bound as their UTF-8 bytes: the comparison is then bytewise
 * whatever the connection's character set.
 */
function asBytes(params: Record<string, unknown>): Record<string, unknown> {
  const bytes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) bytes[name] = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return bytes;
}

function errno(error: unknown): number | undefined {
  const value = (error as { errno?: unknown } | null)?.errno;
  return typeof value === 'number' ? value : undefined;
}

/**
 * A MySQL dialect over the host's mysql2 pool (or connection, or its Drizzle database over either).
 * Works on MySQL 8 and MariaDB 10.11+; the server's `max_allowed_packet` must hold the largest value
 * twice over (values travel hex-encoded): 64 MiB for the default 16 MiB − 1 limit.
 * @example
 * import mysql2 from 'mysql2/promise';
 * const storage = new ExtensionStorage({ dialect: mysql(mysql2.createPool(process.env.DATABASE_URL!)) });
 */
export function mysql(client: MysqlClient): Dialect {
  const pool = connections(rawClient(client));
  const db = drizzle({ client: pool.client });
  const statements = prepareStatements(db);
  const compiled = compileStatements(db);

  /**
   * Runs one operation in its turn, again when the server broke a deadlock or a lock wait by aborting
   * it (the aborted attempt left nothing behind), and wraps driver errors.
   */
  function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    return pool.turn(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await body();
        } catch (error) {
          if (error instanceof ExtensionStorageError) throw error;
          if (RETRYABLE_ERRNOS.has(errno(error) ?? 0) && attempt < MAX_ATTEMPTS) {
            const delay = Math.min(2 ** attempt, 100);
            await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
            continue;
          }
          throw new DatabaseError(`mysql: ${operation} failed`, error);
        }
      }
    });
  }

  function migrationSession(connection: Connection): MigrationSession {
    const query = (statement: string, values?: unknown[]) => connection.query({ sql: statement, rowsAsArray: false }, values);
    return {
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
      record: async (tag) => {
        await query(`INSERT INTO \`${LEDGER_TABLE}\` (\`tag\`, \`applied_at\`) VALUES (?, ?)`, [tag, Date.now()]);
      },
      forget: async (tag) => {
        await query(`DELETE FROM \`${LEDGER_TABLE}\` WHERE \`tag\` = ?`, [tag]);
      },
      dropLedger: async () => {
        await query(`DROP TABLE IF EXISTS \`${LEDGER_TABLE}\``);
      },
    };
  }

  /**
   * Holds a named lock for the whole migration, so concurrent starts apply it once. DDL commits on its
   * own in MySQL, so a transaction could not serialise them: `GET_LOCK` on one dedicated connection
   * does, named after the database so that databases on one server migrate independently.
   */
  function locked(operation: string, body: (session: MigrationSession) => Promise<void>): Promise<void> {
    return pool.turn(() =>
      pool.alone(async (connection, broken) => {
        let rows: RowDataPacket[];
        try {
          [rows] = await connection.query<RowDataPacket[]>(
            { sql: `SELECT GET_LOCK(${LOCK_NAME}, ?) AS \`locked\``, rowsAsArray: false },
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

  return Object.freeze({
    name: 'mysql',
    migrate: () => locked('migrate', (session) => applyMigrations('mysql', session, migrations)),
    migrateDown: () => locked('migrateDown', (session) => revertMigrations('mysql', session, migrations)),

    get: (scope: Scope, key: string) =>
      run('get', async () => {
        const [row] = (await statements.get.execute(asBytes({ ...scopeParams(scope), key }))) as Row[];
        return row;
      }),

    upsert: (write: RowWrite) =>
      run('upsert', () =>
        pool.transaction(async (connection) => {
          await execute(connection, compiled.upsert, { ...write });
          const rows = await execute<RowDataPacket[]>(connection, compiled.written, asBytes({ ...scopeParams(write), key: write.key }));
          if (rows.length !== 1) throw new Error(`the upserted row was not found (${rows.length} rows)`);
          return decode<RowInfo>(info, rows[0]!);
        }),
      ),

    delete: (scope: Scope, key: string) =>
      run('delete', async () => {
        const [result] = await statements.delete.execute(asBytes({ ...scopeParams(scope), key }));
        return result.affectedRows > 0;
      }),

    list: (scope: Scope, query: RowQuery, limit: number) =>
      run('list', async () => {
        const rows = await statements.list[shapeIndex(query)]!().execute(asBytes({ ...queryParams(scope, query), limit }));
        return rows as RowInfo[];
      }),

    count: (scope: Scope, query: RowQuery) =>
      run('count', async () => {
        const [row] = await statements.count[shapeIndex(query)]!().execute(asBytes(queryParams(scope, query)));
        return row?.n ?? 0;
      }),

    encryptedRows: (afterId: number, limit: number) =>
      run('read encrypted rows', () => statements.encryptedRows.execute({ afterId, limit }) as Promise<EncryptedRow[]>),

    replaceValues: (updates: readonly { id: number; version: number; value: Uint8Array }[]) =>
      run('replace values', () =>
        pool.transaction(async (connection) => {
          const stale: number[] = [];
          for (const update of updates) {
            // mysql2 reports the rows matched (CLIENT_FOUND_ROWS), so an unchanged value still counts.
            const result = await execute<ResultSetHeader>(connection, compiled.replaceValue, { ...update });
            if (result.affectedRows === 0) stale.push(update.id);
          }
          return stale;
        }),
      ),
  });
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
