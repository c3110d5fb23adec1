/**
 * Section `lifecycle`: what quotas cost a write, and how fast expired entries are purged. `set` on a
 * storage with quotas against the same `set` on one without, on SQLite and PostgreSQL, sequentially
 * and with 16 concurrent writers of one extension; every write changes the value's size, so that each
 * one updates the extension's usage row (where the quota is checked). Then `purgeExpired` over 100,000
 * expired entries, in rows/s.
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import postgresJs from 'postgres';
import { ExtensionStorage, type Dialect } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import { compare, type MeasureOptions } from './harness.js';
import { checkLimit, checkTarget, count, describeMeasure, pairedRatio, printComparison, printTable, printTargets, rate } from './report.js';
import { openServerDatabase } from './servers.js';
import { EXTENSION_ID, keyNames, spread } from './workload.js';

/** Options of the section. */
export interface LifecycleBenchOptions {
  readonly keys: number;
  readonly expired: number;
  readonly measure: Partial<MeasureOptions>;
}

const WITHOUT = 'set, no quota';
const WITH = 'set, quotas on';

/** 24 values of 1,000..1,023 bytes: consecutive writes of a key change its size. */
const VALUES = Array.from({ length: 24 }, (_, i) => new Uint8Array(randomBytes(1000 + i)));

/** Measures `set` on two storages over one dialect, one with generous quotas (never refused) and one without. */
async function quotaCost(title: string, dialect: Dialect, keys: readonly string[], measure: Partial<MeasureOptions>) {
  const plain = new ExtensionStorage({ dialect }).extension(EXTENSION_ID).global;
  const limited = new ExtensionStorage({
    dialect,
    limits: { quotaBytesPerExtension: 2 ** 50, quotaKeysPerExtension: 2 ** 40 },
  }).extension(EXTENSION_ID).global;
  const key = (i: number) => keys[spread(i, keys.length)]!;
  const results = await compare(
    [
      { name: WITHOUT, run: (i) => plain.set(key(i), VALUES[i % VALUES.length]!) },
      { name: WITH, run: (i) => limited.set(key(i), VALUES[(i + 7) % VALUES.length]!) },
    ],
    measure,
  );
  printComparison(`${title} · ${count(keys.length)} keys · ${describeMeasure(measure)}`, [{ operation: 'set ~1 KiB', measurements: results }], [
    'both storages write the same extension of one database; every write changes the value size, so each updates the usage row.',
  ]);
  return pairedRatio(results[1]!, results[0]!).ratio;
}

/** Times `purgeExpired` over `rows` entries whose expiry has passed, after `seed` wrote them. */
async function purgeRate(storage: ExtensionStorage): Promise<{ removed: number; seconds: number }> {
  const started = performance.now();
  const removed = await storage.purgeExpired({ batchSize: 1000 });
  return { removed, seconds: (performance.now() - started) / 1000 };
}

async function sqliteSection(options: LifecycleBenchOptions) {
  const db = new Database(':memory:');
  const dialect = sqlite(db);
  await new ExtensionStorage({ dialect }).migrate();
  const keys = keyNames(options.keys);
  const seed = new ExtensionStorage({ dialect }).extension(EXTENSION_ID).global;
  for (const key of keys) await seed.set(key, VALUES[0]!);
  const sequential = await quotaCost('lifecycle · sqlite in-memory', dialect, keys, options.measure);

  const insert = db.prepare(
    `INSERT INTO extension_storage (uuid, extension_id, key, value, value_type, size, created_at, updated_at, expires_at)
     VALUES (?, 'bench.expiring', ?, ?, 'application/octet-stream', ?, 0, 0, ?)`,
  );
  const past = Date.now() - 60_000;
  db.transaction(() => {
    for (let i = 0; i < options.expired; i++) insert.run(randomUUID(), `e/${i}`, VALUES[0], VALUES[0]!.byteLength, past - i);
  })();
  const purge = await purgeRate(new ExtensionStorage({ dialect }));
  db.close();
  return { sequential, purge };
}

async function postgresSection(options: LifecycleBenchOptions) {
  const opened = await openServerDatabase('postgres', () => import('../src/dialects/postgres/index.js'));
  if (!opened) return undefined;
  const sql = postgresJs(opened.database.url, { max: 16, onnotice: () => undefined });
  try {
    const dialect = opened.dialect.postgres(sql);
    await new ExtensionStorage({ dialect }).migrate();
    const keys = keyNames(options.keys);
    await sql`INSERT INTO extension_storage (uuid, extension_id, key, value, value_type, size, created_at, updated_at)
      SELECT gen_random_uuid(), ${EXTENSION_ID}, 'k/' || lpad(i::text, 6, '0'), ${VALUES[0]!}, 'application/octet-stream', ${VALUES[0]!.byteLength}, now(), now()
      FROM generate_series(0, ${keys.length - 1}::int) AS i`;
    const sequential = await quotaCost('lifecycle · postgres', dialect, keys, options.measure);
    const concurrent = await quotaCost('lifecycle · postgres', dialect, keys, { ...options.measure, concurrency: 16 });
    await sql`INSERT INTO extension_storage (uuid, extension_id, key, value, value_type, size, created_at, updated_at, expires_at)
      SELECT gen_random_uuid(), 'bench.expiring', 'e/' || i, ${VALUES[0]!}, 'application/octet-stream', ${VALUES[0]!.byteLength}, now(), now(), now() - interval '1 minute'
      FROM generate_series(1, ${options.expired}::int) AS i`;
    await sql`ANALYZE extension_storage`;
    const purge = await purgeRate(new ExtensionStorage({ dialect }));
    return { sequential, concurrent, purge };
  } finally {
    await sql.end({ timeout: 5 });
    await opened.database.drop();
  }
}

/** Runs the section. */
export async function runLifecycleBench(options: LifecycleBenchOptions): Promise<void> {
  const lite = await sqliteSection(options);
  const pg = await postgresSection(options);
  const purges = [['sqlite in-memory', lite.purge], ...(pg ? [['postgres', pg.purge] as const] : [])] as const;
  printTable(
    `purgeExpired · ${count(options.expired)} expired entries of 1 KiB · batches of 1,000`,
    [{ header: 'database' }, { header: 'removed', align: 'right' }, { header: 'seconds', align: 'right' }, { header: 'rows/s', align: 'right' }],
    purges.map(([name, p]) => [name, count(p.removed), p.seconds.toFixed(2), rate(p.removed / p.seconds)]),
  );
  const targets = [
    checkTarget('lifecycle sqlite', 'set with quotas ≥ set without / 1.3 (sequential)', lite.sequential, 1 / 1.3),
    ...(pg
      ? [
          checkTarget('lifecycle postgres', 'set with quotas ≥ set without / 1.3 (sequential)', pg.sequential, 1 / 1.3),
          checkLimit('lifecycle postgres', 'set with quotas / without, 16 writers of one extension (reported)', `${pg.concurrent.toFixed(2)}×`, true),
        ]
      : []),
    ...purges.map(([name, p]) => checkLimit(`lifecycle ${name}`, 'purgeExpired removes every expired entry', count(p.removed), p.removed === options.expired)),
  ];
  printTargets('lifecycle targets', targets);
}
