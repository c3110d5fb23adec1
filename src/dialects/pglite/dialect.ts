/**
 * The PGlite dialect: PostgreSQL in-process (WebAssembly). Same table, migrations and statements as
 * the postgres dialect (`../postgres/`); only the client differs.
 * @module
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Transaction } from '@electric-sql/pglite';
import { PgDialect } from 'drizzle-orm/pg-core';
import { drizzle, PgliteSession, PgliteTransaction } from 'drizzle-orm/pglite';
import type { Dialect } from '../../dialect.js';
import { ValidationError } from '../../errors.js';
import { pgDatabaseDialect, type AnyPgDatabase } from '../postgres/pg-database.js';

/** What `pglite()` accepts: the host's `PGlite` instance, or its Drizzle database over one. */
export type PgliteClient = PGlite | { readonly $client: PGlite };

/**
 * A PostgreSQL dialect over the host's PGlite database (or its Drizzle `PgliteDatabase`).
 * @example
 * import { PGlite } from '@electric-sql/pglite';
 * const storage = new ExtensionStorage({ dialect: pglite(new PGlite('./data')) });
 */
export function pglite(client: PgliteClient): Dialect {
  // PGlite's protocol parser decodes text with a default TextDecoder, which drops a leading U+FEFF.
  const raw = rawClient(client);
  return pgDatabaseDialect('pglite', drizzle({ client: raw }) as unknown as AnyPgDatabase, overTransaction, {
    textDropsBom: true,
    transactionEnded,
  });
}

/** Whether the PGlite `Transaction` under a Drizzle transaction has ended (it says so, without a query). */
function transactionEnded(tx: AnyPgDatabase): boolean {
  return (tx as unknown as { session?: { client?: Partial<Transaction> } }).session?.client?.closed === true;
}

/**
 * The handle of `pg.transaction(async (tx) => …)` (a PGlite `Transaction`: it can `rollback`, not open
 * a transaction) as a Drizzle transaction; `null` for anything else. Nested ones are savepoints.
 */
function overTransaction(host: unknown): AnyPgDatabase | null {
  const candidate = host as Partial<Transaction> & { transaction?: unknown };
  if (typeof candidate?.query !== 'function' || typeof candidate.rollback !== 'function' || candidate.transaction !== undefined) return null;
  const dialect = new PgDialect();
  return new PgliteTransaction(dialect, new PgliteSession(host as never, dialect, undefined), undefined) as unknown as AnyPgDatabase;
}

function rawClient(client: PgliteClient): PGlite {
  const candidate = ((client as { $client?: unknown } | null)?.$client ?? client) as Partial<PGlite> | null;
  if (typeof candidate?.query !== 'function' || typeof candidate.exec !== 'function' || typeof candidate.transaction !== 'function') {
    throw new ValidationError(`"db" expected a PGlite instance or a Drizzle PgliteDatabase, got ${candidate === null ? 'null' : typeof candidate}`);
  }
  return candidate as PGlite;
}
