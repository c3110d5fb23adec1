/**
 * Query-plan checks shared by the postgres and pglite dialect tests: fill the table with a few thousand
 * rows, run the hot operations through the public API while recording the statements the dialect sends,
 * then EXPLAIN each of them, both as the custom plan (with its parameters) and as the generic plan a
 * prepared statement settles on.
 */
import { expect } from 'vitest';
import type { ExtensionStorage } from '../../src/index.js';

/** Runs one statement on a single session (a reserved postgres.js connection, or PGlite). */
export type RunSql = (query: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** One statement the dialect sent, with the parameters it was sent with. */
export interface Recorded {
  readonly query: string;
  readonly params: readonly unknown[];
}

/** Collects the distinct statements on `extension_storage` a dialect sends (last parameters win). */
export class StatementRecorder {
  readonly #statements = new Map<string, readonly unknown[]>();
  recording = false;

  record(query: string, params: readonly unknown[]): void {
    if (this.recording && /"extension_storage"/.test(query) && !/^\s*insert/i.test(query)) this.#statements.set(query, params);
  }

  get statements(): Recorded[] {
    return [...this.#statements].map(([query, params]) => ({ query, params }));
  }
}

/**
 * Six thousand rows over ten extensions, each with global, user and resource scopes, then VACUUM
 * ANALYZE: one scope holds 100 or 200 rows, a few percent of the table, as in a real host.
 */
export async function fillTable(run: RunSql): Promise<void> {
  const columns =
    'uuid, extension_id, user_id, resource_type, resource_id, key, value, value_type, category, size, created_at, updated_at';
  const rest = `'\\x00'::bytea, 'application/octet-stream', CASE WHEN n % 3 = 0 THEN 'three' ELSE 'other' END, 1, now(), now()`;
  const key = `'key/' || lpad(n::text, 6, '0')`;
  await run(
    `INSERT INTO extension_storage (${columns}) SELECT gen_random_uuid(), 'acme.ext' || (n % 10), '', '', '', ${key}, ${rest} FROM generate_series(1, 2000) n`,
  );
  await run(
    `INSERT INTO extension_storage (${columns}) SELECT gen_random_uuid(), 'acme.ext' || (n % 10), 'user' || (n % 20), '', '', ${key}, ${rest} FROM generate_series(1, 2000) n`,
  );
  await run(
    `INSERT INTO extension_storage (${columns}) SELECT gen_random_uuid(), 'acme.ext' || (n % 10), '', 'chart', 'c' || (n % 20), ${key}, ${rest} FROM generate_series(1, 2000) n`,
  );
  await run('VACUUM ANALYZE extension_storage');
}

/**
 * Every hot read (and delete) the API makes, each over a range of dozens of rows or more: the ranges
 * where an ordered index scan matters (for a handful of rows, a bitmap scan and a sort is as good).
 */
export async function hotOperations(storage: ExtensionStorage): Promise<void> {
  const ext = storage.extension('acme.ext1', { user: { id: 'user1' } });
  await ext.global.get('key/000011');
  const first = await ext.global.list({ limit: 10 });
  await ext.global.list({ limit: 10, cursor: first.nextCursor });
  const prefixed = await ext.global.list({ prefix: 'key/001', limit: 5 });
  await ext.global.list({ prefix: 'key/001', limit: 5, cursor: prefixed.nextCursor });
  const category = await ext.user.list({ category: 'three', limit: 5 });
  await ext.user.list({ category: 'three', limit: 5, cursor: category.nextCursor });
  await ext.resource('chart', 'c1').list({ category: 'three', prefix: 'key/00', limit: 5 });
  await ext.global.count();
  await ext.global.count({ prefix: 'key/00' });
  await ext.user.count({ category: 'three' });
  await ext.global.delete('key/000001');
}

/** The custom and the generic plan of one statement, as EXPLAIN text. */
export async function plans(run: RunSql, { query, params }: Recorded): Promise<{ custom: string; generic: string }> {
  const text = (rows: Record<string, unknown>[]) => rows.map((row) => String(row['QUERY PLAN'])).join('\n');
  const custom = text(await run(`EXPLAIN ${query}`, params));
  await run(`PREPARE extension_storage_plan AS ${query}`);
  try {
    await run('SET plan_cache_mode = force_generic_plan');
    const [types] = await run("SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = 'extension_storage_plan'");
    // EXECUTE takes no bound parameters: its arguments are literals
    const args = (types!.types as string[]).map((type, i) => `${literal(params[i])}::${type}`).join(', ');
    const generic = text(await run(`EXPLAIN EXECUTE extension_storage_plan(${args})`));
    return { custom, generic };
  } finally {
    await run('RESET plan_cache_mode');
    await run('DEALLOCATE extension_storage_plan');
  }
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return `'${(value instanceof Date ? value.toISOString() : String(value)).replaceAll("'", "''")}'`;
}

/**
 * Asserts that a plan reads `extension_storage` through the index made for the statement (the category
 * index for a `category = $n` filter, the scoped-key index otherwise), never a sequential scan, and that
 * an ORDER BY needs no Sort: the index delivers the keys in order.
 */
export function expectIndexed(statement: Recorded, plan: string): void {
  const context = `${statement.query}\n${plan}`;
  const expected = /"category" = \$/.test(statement.query) ? 'extension_storage_scoped_category' : 'extension_storage_scoped_key';
  expect(plan, context).not.toMatch(/Seq Scan on extension_storage/);
  const used = [...plan.matchAll(/(?:Index (?:Only )?Scan (?:Backward )?using|Bitmap Index Scan on) (\w+)/g)].map((match) => match[1]);
  expect(used, context).toEqual([expected]);
  if (/order by/i.test(statement.query)) expect(plan, context).not.toMatch(/(^|\s)(Incremental )?Sort\s+\(/m);
}

/**
 * `purgeExpired` finds its batch through the partial index on `expires_at` (a few hundred expired rows
 * among thousands that never expire), oldest first without a sort, in the custom and the generic plan.
 */
export async function expectPurgeIndexed(run: RunSql, recorder: StatementRecorder, storage: ExtensionStorage): Promise<void> {
  await run(`UPDATE extension_storage SET expires_at = now() - interval '1 day' WHERE key LIKE 'key/0000%'`);
  await run('ANALYZE extension_storage');
  recorder.recording = true;
  const removed = await storage.purgeExpired({ batchSize: 50 });
  recorder.recording = false;
  expect(removed).toBeGreaterThan(50);
  const purge = recorder.statements.filter((statement) => /^\s*delete/i.test(statement.query) && /"expires_at" <=/.test(statement.query));
  expect(purge).toHaveLength(1);
  for (const plan of Object.values(await plans(run, purge[0]!))) {
    expect(plan, plan).toMatch(/Index (Only )?Scan using extension_storage_expires_at/);
    expect(plan, plan).not.toMatch(/(^|\s)(Incremental )?Sort\s+\(/m);
  }
}
