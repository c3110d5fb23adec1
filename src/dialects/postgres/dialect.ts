/**
 * The PostgreSQL dialect on postgres.js. The host's `Sql` (or its Drizzle database over one) is wrapped
 * in a Drizzle database of our own, without touching the client's settings; the statements themselves
 * live in `pg-database.ts`, shared with PGlite.
 * @module
 */
import type { Sql } from 'postgres';
import { PostgresJsDatabase, PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Dialect } from '../../dialect.js';
import { ValidationError } from '../../errors.js';
import { pgDatabaseDialect, type AnyPgDatabase } from './pg-database.js';

/** What `postgres()` accepts: the host's postgres.js `Sql`, or its Drizzle database over one. */
export type PostgresClient = Sql<any> | { readonly $client: Sql<any> };

/**
 * A PostgreSQL dialect over the host's postgres.js client (or its Drizzle `PostgresJsDatabase`).
 * @example
 * import postgresJs from 'postgres';
 * const storage = new ExtensionStorage({ dialect: postgres(postgresJs(process.env.DATABASE_URL!)) });
 */
export function postgres(client: PostgresClient): Dialect {
  const sql = rawClient(client);
  return pgDatabaseDialect('postgres', overClient(sql), overTransaction, {
    textDropsBom: false,
    direct: (text, params) => sql.unsafe(text, params as never[], { prepare: true }).values(),
  });
}

/**
 * The handle of `sql.begin(async (tx) => …)` (which alone has `savepoint`) as a Drizzle transaction on
 * its connection; `null` for anything else. Nested transactions on it are postgres.js savepoints.
 */
function overTransaction(host: unknown): AnyPgDatabase | null {
  const { unsafe, savepoint } = (host ?? {}) as { unsafe?: unknown; savepoint?: unknown };
  if (typeof host !== 'function' || typeof unsafe !== 'function' || typeof savepoint !== 'function') return null;
  const dialect = new PgDialect();
  return new PostgresJsTransaction(dialect, new PostgresJsSession(host as never, dialect, undefined) as never, undefined) as unknown as AnyPgDatabase;
}

/**
 * A Drizzle database over `sql`, built without `drizzle()`: that function rewrites the client's date
 * parsers and serializers, which would change what the host's own queries return.
 */
function overClient(sql: Sql): AnyPgDatabase {
  const dialect = new PgDialect();
  return new PostgresJsDatabase(dialect, new PostgresJsSession(sql, dialect, undefined), undefined) as unknown as AnyPgDatabase;
}

function rawClient(client: PostgresClient): Sql {
  const candidate: unknown = (client as { $client?: unknown } | null)?.$client ?? client;
  const { unsafe, begin } = (candidate ?? {}) as { unsafe?: unknown; begin?: unknown };
  if (typeof candidate !== 'function' || typeof unsafe !== 'function' || typeof begin !== 'function') {
    throw new ValidationError(`"sql" expected a postgres.js Sql or a Drizzle PostgresJsDatabase, got ${candidate === null ? 'null' : typeof candidate}`);
  }
  return candidate as Sql;
}
