/**
 * The PostgreSQL dialect over any Drizzle pg database (`PgDatabase`): postgres.js and PGlite differ
 * only in how the host's client becomes one, so the statements, the migration lock and the error
 * wrapping live here once.
 * @module
 */
import { asc, count, eq, sql } from 'drizzle-orm';
import { pgTable, text, timestamp, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Dialect, EncryptedRow, Row, RowInfo, RowQuery, RowWrite, Scope } from '../../dialect.js';
import { DatabaseError, ExtensionStorageError } from '../../errors.js';
import { atKey, keyParams, matchesQuery, QUERY_SHAPES, queryParams, shapeAt, shapeIndex } from '../shared/conditions.js';
import { applyMigrations, LEDGER_TABLE, revertMigrations, type MigrationSession } from '../shared/migrator.js';
import {
  atVersion,
  encryptedAfter,
  encryptedRowColumns,
  excluded,
  infoColumns,
  insertedRow,
  replacedOnConflict,
  rowColumns,
  scopedKey,
} from '../shared/statements.js';
import { migrations } from './migrations.js';
import { extensionStorage as t } from './schema.js';
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

const info = infoColumns(t);

/**
 * Every hot statement, prepared once per dialect instance. Each has its own stable name: with
 * postgres.js only a named Drizzle statement is prepared server-side (and reused per connection).
 */
function prepareStatements(db: AnyPgDatabase) {
  const placeholder = sql.placeholder;
  const name = (statement: string) => `extension_storage_${statement}`;
  return {
    get: db.select(rowColumns(t)).from(t).where(atKey(t)).prepare(name('get')),
    upsert: db
      .insert(t)
      .values(insertedRow())
      .onConflictDoUpdate({ target: scopedKey(t), set: replacedOnConflict(t, excluded) })
      .returning(info)
      .prepare(name('upsert')),
    delete: db.delete(t).where(atKey(t)).returning({ id: t.id }).prepare(name('delete')),
    list: Array.from({ length: QUERY_SHAPES }, (_, index) =>
      db
        .select(info)
        .from(t)
        .where(matchesQuery(t, shapeAt(index)))
        .orderBy(asc(t.key))
        .limit(placeholder('limit'))
        .prepare(name(`list_${index}`)),
    ),
    count: Array.from({ length: QUERY_SHAPES }, (_, index) =>
      db
        .select({ n: count() })
        .from(t)
        .where(matchesQuery(t, shapeAt(index)))
        .prepare(name(`count_${index}`)),
    ),
    encryptedRows: db
      .select(encryptedRowColumns(t))
      .from(t)
      .where(encryptedAfter(t))
      .orderBy(asc(t.id))
      .limit(placeholder('limit'))
      .prepare(name('encrypted_rows')),
  };
}

/** The statement that replaces one value inside `replaceValues`' transaction (on that transaction's connection). */
function prepareReplaceValue(tx: AnyPgDatabase) {
  return tx
    .update(t)
    .set({ value: sql.placeholder('value') as unknown as Uint8Array })
    .where(atVersion(t))
    .returning({ id: t.id })
    .prepare('extension_storage_replace_value');
}

/** The migrator's view of one migration transaction. */
function migrationSession(tx: AnyPgDatabase): MigrationSession {
  return {
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

/**
 * A dialect over a Drizzle pg database. `name` prefixes error messages (`postgres`, `pglite`).
 * @example
 * const dialect = pgDatabaseDialect('pglite', drizzle({ client: new PGlite() }));
 */
export function pgDatabaseDialect(name: string, db: AnyPgDatabase): Dialect {
  const statements = prepareStatements(db);

  /** Runs one operation and wraps driver errors. */
  async function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw new DatabaseError(`${name}: ${operation} failed`, error);
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
        await body(migrationSession(tx));
      });
    } catch (error) {
      if (error instanceof ExtensionStorageError) throw error;
      throw new DatabaseError(`${name}: migration failed`, error);
    }
  }

  return Object.freeze({
    name,
    migrate: () => locked((session) => applyMigrations(name, session, migrations)),
    migrateDown: () => locked((session) => revertMigrations(name, session, migrations)),

    get: (scope: Scope, key: string) =>
      run('get', async () => (await statements.get.execute(keyParams(scope, key)))[0] as Row | undefined),

    upsert: (write: RowWrite) => run('upsert', async () => (await statements.upsert.execute({ ...write }))[0] as RowInfo),

    delete: (scope: Scope, key: string) =>
      run('delete', async () => (await statements.delete.execute(keyParams(scope, key))).length > 0),

    list: (scope: Scope, query: RowQuery, limit: number) =>
      run('list', () => statements.list[shapeIndex(query)]!.execute(queryParams(scope, query, limit)) as Promise<RowInfo[]>),

    count: (scope: Scope, query: RowQuery) =>
      run('count', async () => (await statements.count[shapeIndex(query)]!.execute(queryParams(scope, query)))[0]!.n),

    encryptedRows: (afterId: number, limit: number) =>
      run('read encrypted rows', () => statements.encryptedRows.execute({ afterId, limit }) as Promise<EncryptedRow[]>),

    replaceValues: (updates: readonly { id: number; version: number; value: Uint8Array }[]) =>
      run('replace values', async () => {
        if (updates.length === 0) return [];
        return db.transaction(async (tx) => {
          const replaceValue = prepareReplaceValue(tx);
          const skipped: number[] = [];
          for (const update of updates) {
            if ((await replaceValue.execute(update)).length === 0) skipped.push(update.id);
          }
          return skipped;
        });
      }),

    ...transferOperations(db, run),
  });
}
