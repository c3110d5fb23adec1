/**
 * Section `writes`: what composable writes cost.
 * - SQLite (in memory): `set` with `ifVersion` (and with `ifMatch`) against a plain `set` of the same
 *   1 KiB values over the same keys. Target: within 1.1× (conditional ≥ 0.91× plain).
 * - PostgreSQL and MariaDB, 16 concurrent callers over 16 counters (caller operation `i` takes counter
 *   `i % 16`): `increment` and `update` (read, compute, conditional write, retried on conflict) against
 *   the raw driver running `UPDATE … SET n = n + 1` on a one-table counter in the same database.
 * @module
 */
import Database from 'better-sqlite3';
import mysql2 from 'mysql2/promise';
import postgresJs from 'postgres';
import { ExtensionStorage, type ScopeHandle } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import { compare, type Contender, type MeasureOptions } from './harness.js';
import { checkTarget, describeMeasure, printComparison, printTargets, ratioOf, type Target } from './report.js';
import { openServerDatabase } from './servers.js';
import { EXTENSION_ID, keyNames, values } from './workload.js';

/** Options of the section. */
export interface WritesBenchOptions {
  readonly measure: Partial<MeasureOptions>;
}

const KEYS = 1000;
const COUNTERS = 16;
const CALLERS = 16;

/** Runs the three parts; a server that is missing skips its part. */
export async function runWritesBench({ measure }: WritesBenchOptions): Promise<void> {
  const targets: Target[] = [];
  targets.push(...(await conditionalSetOnSqlite(measure)));
  await countersOnPostgres(measure);
  await countersOnMysql(measure);
  printTargets('writes targets', targets);
}

/** `set` plain, with `ifVersion`, and with `ifMatch`, on in-memory SQLite. */
async function conditionalSetOnSqlite(measure: Partial<MeasureOptions>): Promise<Target[]> {
  const db = new Database(':memory:');
  try {
    const storage = new ExtensionStorage({ dialect: sqlite(db) });
    await storage.migrate();
    const scope = storage.extension(EXTENSION_ID).global;
    // Each contender writes keys of its own, so none meets a version another one moved.
    const all = keyNames(3 * KEYS);
    const [plainKeys, versionKeys, matchKeys] = [0, 1, 2].map((part) => all.slice(part * KEYS, (part + 1) * KEYS)) as [string[], string[], string[]];
    const { plain } = values();
    const etags: string[] = [];
    const versions: number[] = [];
    for (let k = 0; k < KEYS; k++) {
      await scope.set(plainKeys[k]!, plain[0]!);
      versions[k] = (await scope.set(versionKeys[k]!, plain[0]!)).version;
      etags[k] = (await scope.set(matchKeys[k]!, plain[0]!)).etag;
    }
    const contenders: Contender[] = [
      { name: 'set', run: (i) => scope.set(plainKeys[i % KEYS]!, plain[i & 3]!) },
      {
        name: 'set { ifVersion }',
        run: async (i) => {
          const k = i % KEYS;
          versions[k] = (await scope.set(versionKeys[k]!, plain[i & 3]!, { ifVersion: versions[k]! })).version;
        },
      },
      {
        name: 'set { ifMatch }',
        run: async (i) => {
          const k = i % KEYS;
          etags[k] = (await scope.set(matchKeys[k]!, plain[i & 3]!, { ifMatch: etags[k]! })).etag;
        },
      },
    ];
    const measurements = await compare(contenders, measure);
    const results = [{ operation: 'set 1 KiB', measurements }];
    printComparison(`sqlite (in-memory) · ${KEYS} keys · ${describeMeasure(measure)}`, results, [
      'each contender writes 1,000 keys of its own; a conditional set passes the version (or etag) its previous write returned.',
    ]);
    return [
      checkTarget('sqlite', 'set { ifVersion } within 1.1× of set', ratioOf(results, 'set 1 KiB', 'set { ifVersion }', 'set'), 1 / 1.1),
      checkTarget('sqlite', 'set { ifMatch } within 1.1× of set', ratioOf(results, 'set 1 KiB', 'set { ifMatch }', 'set'), 1 / 1.1),
    ];
  } finally {
    db.close();
  }
}

/** The library's counter contenders over `scope`: `increment`, and `update` as a read-modify-write. */
function counterContenders(scope: ScopeHandle): Contender[] {
  const key = (i: number) => `counter/${i % COUNTERS}`;
  return [
    { name: 'increment', run: (i) => scope.increment(key(i)) },
    {
      name: 'update (read, add, conditional write)',
      run: (i) => scope.update(key(i), (entry) => String(Number(entry ? Buffer.from(entry.value).toString() : '0') + 1), { retries: 100 }),
    },
  ];
}

function printCounters(title: string, measurements: Awaited<ReturnType<typeof compare>>, notes: string[]): void {
  printComparison(`${title} · ${COUNTERS} counters · ${describeMeasure({ concurrency: CALLERS })}`, [{ operation: 'add 1', measurements }], notes);
}

async function countersOnPostgres(measure: Partial<MeasureOptions>): Promise<void> {
  const opened = await openServerDatabase('postgres', () => import('../src/dialects/postgres/index.js'));
  if (!opened) return;
  const sql = postgresJs(opened.database.url, { max: CALLERS, onnotice: () => undefined });
  try {
    const storage = new ExtensionStorage({ dialect: opened.dialect.postgres(sql) });
    await storage.migrate();
    await sql`CREATE TABLE bench_counter (id integer PRIMARY KEY, n bigint NOT NULL)`;
    await sql`INSERT INTO bench_counter SELECT i, 0 FROM generate_series(0, ${COUNTERS - 1}) AS i`;
    const raw: Contender = {
      name: 'raw UPDATE … SET n = n + 1',
      run: (i) => sql.unsafe('UPDATE bench_counter SET n = n + 1 WHERE id = $1', [i % COUNTERS], { prepare: true }),
    };
    const measurements = await compare([raw, ...counterContenders(storage.extension(EXTENSION_ID).global)], { ...measure, concurrency: CALLERS });
    printCounters('postgres', measurements, [`one postgres.js client, max ${CALLERS} connections; raw runs a named prepared statement on a two-column table.`]);
  } finally {
    await sql.end({ timeout: 5 });
    await opened.database.drop();
  }
}

async function countersOnMysql(measure: Partial<MeasureOptions>): Promise<void> {
  const opened = await openServerDatabase('mysql', () => import('../src/dialects/mysql/index.js'));
  if (!opened) return;
  const pool = mysql2.createPool({ uri: opened.database.url, connectionLimit: CALLERS });
  try {
    const storage = new ExtensionStorage({ dialect: opened.dialect.mysql(pool) });
    await storage.migrate();
    await pool.query('CREATE TABLE bench_counter (id integer PRIMARY KEY, n bigint NOT NULL)');
    await pool.query(`INSERT INTO bench_counter (id, n) VALUES ${Array.from({ length: COUNTERS }, (_, i) => `(${i}, 0)`).join(', ')}`);
    const raw: Contender = {
      name: 'raw UPDATE … SET n = n + 1',
      run: (i) => pool.execute('UPDATE bench_counter SET n = n + 1 WHERE id = ?', [i % COUNTERS]),
    };
    const measurements = await compare([raw, ...counterContenders(storage.extension(EXTENSION_ID).global)], { ...measure, concurrency: CALLERS });
    printCounters('mysql', measurements, [
      `one mysql2 pool of ${CALLERS} connections; raw runs a prepared statement (pool.execute) on a two-column table.`,
      'increment on MySQL is an UPDATE, an INSERT only for a new counter, and a SELECT of the row, in one transaction.',
    ]);
  } finally {
    await pool.end();
    await opened.database.drop();
  }
}
