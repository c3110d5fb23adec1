/**
 * Section `pglite`: the four operations over 10,000 keys on an in-memory PGlite (PostgreSQL in
 * WebAssembly, in this process): the library (pglite dialect) against the same statements through
 * `PGlite.query`. Sequential only: PGlite is one connection and runs one query at a time. Keyv has no
 * PGlite adapter.
 * @module
 */
import { ExtensionStorage } from '../src/index.js';
import type { MeasureOptions } from './harness.js';
import { libraryContender, type Store } from './operations.js';
import { PG_RAW, pgUpsertParams } from './postgres.js';
import { printSkipped, reasonOf } from './report.js';
import { runServerSection } from './server-section.js';
import { cursorAfter, expect, EXTENSION_ID, keyNames, PAGE_SIZE, values, VALUE_BYTES } from './workload.js';

/** Options of the section. */
export interface PgliteBenchOptions {
  readonly rows: number;
  readonly measure: Partial<MeasureOptions>;
}

const RAW = 'raw PGlite.query';
const LIB = 'extension-storage';
const GLOBAL_SCOPE = [EXTENSION_ID, '', '', ''] as const;

/** Runs the section, or prints why it cannot. */
export async function runPgliteBench(options: PgliteBenchOptions): Promise<void> {
  let dialect: typeof import('../src/dialects/pglite/index.js');
  let PGlite: typeof import('@electric-sql/pglite').PGlite;
  try {
    dialect = await import('../src/dialects/pglite/index.js');
    ({ PGlite } = await import('@electric-sql/pglite'));
  } catch (error) {
    return printSkipped('pglite', `the pglite dialect does not load (${reasonOf(error)})`);
  }
  const { rows, measure } = options;
  const db = await PGlite.create();
  try {
    const version = (await db.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '';
    const storage = new ExtensionStorage({ dialect: dialect.pglite(db) });
    await storage.migrate();
    const scope = storage.extension(EXTENSION_ID).global;
    const keys = keyNames(rows);
    const { buffers, plain } = values();
    await db.query(PG_RAW.seed, [EXTENSION_ID, buffers[0]!, VALUE_BYTES, rows]);
    await db.exec('ANALYZE extension_storage');

    const lastAfter = rows - PAGE_SIZE - 1;
    const endCursor = await cursorAfter(scope, lastAfter);
    const last = await scope.list({ limit: PAGE_SIZE, cursor: endCursor });
    const rawLast = await db.query<{ key: string }>(PG_RAW.listAfter, [...GLOBAL_SCOPE, keys[lastAfter]!, PAGE_SIZE + 1, new Date()]);
    expect(last.items.length === PAGE_SIZE && last.items[0]!.key === keys[lastAfter + 1] && last.nextCursor === null, 'library last page');
    expect(rawLast.rows.length === PAGE_SIZE && rawLast.rows[0]!.key === keys[lastAfter + 1], 'raw last page');
    expect((await scope.get(keys[7]!))?.value.byteLength === VALUE_BYTES, 'library get');

    const stores: Store[] = [
      {
        name: RAW,
        get: (key) => db.query(PG_RAW.get, [...GLOBAL_SCOPE, key]),
        upsert: (key, variant) => db.query(PG_RAW.upsert, pgUpsertParams(key, buffers[variant]!)),
        firstPage: () => db.query(PG_RAW.listFrom, [...GLOBAL_SCOPE, '', PAGE_SIZE + 1, new Date()]),
        lastPage: () => db.query(PG_RAW.listAfter, [...GLOBAL_SCOPE, keys[lastAfter]!, PAGE_SIZE + 1, new Date()]),
      },
      libraryContender(LIB, scope, plain, endCursor),
    ];
    await runServerSection(
      {
        title: `pglite ${version} (in-memory)`,
        stores,
        raw: RAW,
        library: LIB,
        keys,
        concurrencies: [1],
        notes: [
          'library and raw share one in-memory PGlite; raw runs the statements of the postgres section through PGlite.query.',
          'keyv: no PGlite adapter exists, so there is no Keyv contender here.',
        ],
      },
      measure,
    );
  } finally {
    await db.close();
  }
}
