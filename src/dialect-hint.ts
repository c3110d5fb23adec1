/**
 * What a host passed where a dialect belongs, said in words with the wrapper it needs: the commonest
 * mistake is the raw driver client (`new Database('app.db')`) without its `sqlite()` wrapper. Duck
 * typing only: the core imports no driver.
 * @module
 */

const HINTS: readonly { readonly looksLike: (candidate: Record<string, unknown>) => boolean; readonly hint: string }[] = [
  {
    looksLike: (c) => typeof c.prepare === 'function' && 'inTransaction' in c,
    hint: "a better-sqlite3 Database: wrap it, dialect: sqlite(db), with sqlite from 'extension-storage/sqlite'",
  },
  {
    looksLike: (c) => typeof c.unsafe === 'function' && typeof c.begin === 'function',
    hint: "a postgres.js Sql: wrap it, dialect: postgres(sql), with postgres from 'extension-storage/postgres'",
  },
  {
    looksLike: (c) => typeof c.exec === 'function' && typeof c.transaction === 'function' && typeof c.query === 'function',
    hint: "a PGlite database: wrap it, dialect: pglite(db), with pglite from 'extension-storage/pglite'",
  },
  {
    looksLike: (c) => typeof c.query === 'function' && typeof c.escape === 'function',
    hint: "a mysql2 pool or connection: wrap it, dialect: mysql(pool), with mysql from 'extension-storage/mysql'",
  },
];

/** `got …` for the `dialect` option's error message. */
export function describeDialectCandidate(input: unknown): string {
  if (input === undefined) return 'got none';
  if (input === null) return 'got null';
  if (typeof input !== 'object' && typeof input !== 'function') return `got ${typeof input}`;
  const candidate = input as Record<string, unknown>;
  // A Drizzle database carries its driver client as `$client`: the same wrappers accept it.
  const client = (candidate.$client ?? candidate) as Record<string, unknown>;
  const drizzle = candidate.$client !== undefined ? 'a Drizzle database over ' : '';
  for (const { looksLike, hint } of HINTS) if (looksLike(client)) return `got ${drizzle}${hint}`;
  return `got ${Array.isArray(input) ? 'an array' : `an object without a dialect's methods`}`;
}
