/**
 * The PGlite dialect: PostgreSQL in-process (WebAssembly). Same table, migrations and statements as
 * the postgres dialect (`../postgres/`); only the client differs.
 * @module
 */
import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
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
  return pgDatabaseDialect('pglite', drizzle({ client: rawClient(client) }) as unknown as AnyPgDatabase, { textDropsBom: true });
}

function rawClient(client: PgliteClient): PGlite {
  const candidate = ((client as { $client?: unknown } | null)?.$client ?? client) as Partial<PGlite> | null;
  if (typeof candidate?.query !== 'function' || typeof candidate.exec !== 'function' || typeof candidate.transaction !== 'function') {
    throw new ValidationError(`"db" expected a PGlite instance or a Drizzle PgliteDatabase, got ${candidate === null ? 'null' : typeof candidate}`);
  }
  return candidate as PGlite;
}
