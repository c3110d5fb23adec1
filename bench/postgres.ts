/**
 * Section `postgres`: the four operations over 10,000 keys on a PostgreSQL server, sequentially and with
 * 16 concurrent callers on 16 connections: the library (postgres dialect over postgres.js) against the
 * same statements as postgres.js named prepared statements on the same client, and Keyv over
 * @keyv/postgres (node-postgres pool of 16). Runs in a temporary database that is dropped afterwards.
 * @module
 */
import { randomUUID } from 'node:crypto';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import postgresJs from 'postgres';
import { ExtensionStorage } from '../src/index.js';
import type { MeasureOptions } from './harness.js';
import { MINIMAL, MINIMAL_NOTE, PG_MINIMAL } from './minimal-table.js';
import { libraryContender, keyvContender, type Store } from './operations.js';
import { runServerSection } from './server-section.js';
import { openServerDatabase } from './servers.js';
import { cursorAfter, expect, EXTENSION_ID, keyNames, PAGE_SIZE, values, VALUE_BYTES } from './workload.js';

/** Options of the section. */
export interface PostgresBenchOptions {
  readonly rows: number;
  readonly measure: Partial<MeasureOptions>;
}

const RAW = 'raw postgres.js (prepared)';
const LIB = 'extension-storage';
const KEYV = 'keyv + @keyv/postgres';
const CONNECTIONS = 16;

/** The columns the library returns for an entry's metadata. */
const INFO = 'id, uuid, key, value_type, category, description, is_encrypted, size, version, created_at, updated_at, created_by, updated_by, expires_at';
/** The old row has expired at $13 (the write's time): the write makes a new entry in its place. */
const EXPIRED = '(extension_storage.expires_at IS NOT NULL AND extension_storage.expires_at <= $13)';
const IN_SCOPE = 'extension_id = $1 AND user_id = $2 AND resource_type = $3 AND resource_id = $4';
const GLOBAL_SCOPE = [EXTENSION_ID, '', '', ''] as const;

/** The library's statements written by hand, as the text of named prepared statements (shared by postgres.js and PGlite). */
export const PG_RAW = Object.freeze({
  get: `SELECT ${INFO}, value FROM extension_storage WHERE ${IN_SCOPE} AND key = $5`,
  upsert: `INSERT INTO extension_storage (uuid, extension_id, user_id, resource_type, resource_id, key, value, value_type,
      category, description, is_encrypted, size, version, created_at, updated_at, created_by, updated_by, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13, $14, $14, $15)
    ON CONFLICT (extension_id, user_id, resource_type, resource_id, key) DO UPDATE SET
      uuid = CASE WHEN ${EXPIRED} THEN excluded.uuid ELSE extension_storage.uuid END,
      value = excluded.value, value_type = excluded.value_type, category = excluded.category,
      description = excluded.description, is_encrypted = excluded.is_encrypted, size = excluded.size,
      version = CASE WHEN ${EXPIRED} THEN 1 ELSE extension_storage.version + 1 END,
      created_at = CASE WHEN ${EXPIRED} THEN excluded.created_at ELSE extension_storage.created_at END,
      updated_at = excluded.updated_at,
      created_by = CASE WHEN ${EXPIRED} THEN excluded.created_by ELSE extension_storage.created_by END,
      updated_by = excluded.updated_by, expires_at = excluded.expires_at
    RETURNING ${INFO}`,
  listFrom: `SELECT ${INFO} FROM extension_storage WHERE ${IN_SCOPE} AND key >= $5 AND (expires_at IS NULL OR expires_at > $7) ORDER BY key LIMIT $6`,
  listAfter: `SELECT ${INFO} FROM extension_storage WHERE ${IN_SCOPE} AND key > $5 AND (expires_at IS NULL OR expires_at > $7) ORDER BY key LIMIT $6`,
  /** Fills the table with `$4` keys `k/000000…`, each holding `$2` (of `$3` bytes), as the library writes them (global scope, no user). */
  seed: `INSERT INTO extension_storage (uuid, extension_id, key, value, value_type, size, created_at, updated_at)
    SELECT gen_random_uuid(), $1, 'k/' || lpad(i::text, 6, '0'), $2, 'application/octet-stream', $3, now(), now()
    FROM generate_series(0, $4::int - 1) AS i`,
});

/** The parameters of `PG_RAW.upsert` for one write of `value` under `key`. */
export function pgUpsertParams(key: string, value: Uint8Array): unknown[] {
  const now = new Date();
  return [randomUUID(), ...GLOBAL_SCOPE, key, value, 'application/octet-stream', null, null, false, value.byteLength, now, null, null];
}

/** Runs the section, or prints why it cannot. */
export async function runPostgresBench(options: PostgresBenchOptions): Promise<void> {
  const opened = await openServerDatabase('postgres', () => import('../src/dialects/postgres/index.js'));
  if (!opened) return;
  const { dialect, database } = opened;

  const { rows, measure } = options;
  const sql = postgresJs(database.url, { max: CONNECTIONS, onnotice: () => undefined });
  const keyvStore = new KeyvPostgres({ uri: database.url, max: CONNECTIONS });
  keyvStore.opts.iterationLimit = PAGE_SIZE;
  const keyv = new Keyv({ store: keyvStore });
  try {
    const version = (await sql<{ server_version: string }[]>`SHOW server_version`)[0]?.server_version ?? '';
    const storage = new ExtensionStorage({ dialect: dialect.postgres(sql) });
    await storage.migrate();
    const scope = storage.extension(EXTENSION_ID).global;
    const keys = keyNames(rows);
    const { buffers, plain } = values();
    await sql.unsafe(PG_RAW.seed, [EXTENSION_ID, buffers[0]!, VALUE_BYTES, rows]);
    await keyv.set(keys[0]!, buffers[0]!);
    const [seeded] = (await keyvStore.query('SELECT value FROM keyv WHERE key = $1', [`keyv:${keys[0]}`])) as { value: string }[];
    await keyvStore.query(`INSERT INTO keyv (key, value) SELECT 'keyv:k/' || lpad(i::text, 6, '0'), $1 FROM generate_series(1, $2::int - 1) AS i`, [
      seeded!.value,
      rows,
    ]);
    for (const statement of PG_MINIMAL.create) await sql.unsafe(statement);
    await sql.unsafe(
      `INSERT INTO bench_minimal (extension_id, user_id, resource_type, resource_id, key, value, version)
       SELECT $1, '', '', '', 'k/' || lpad(i::text, 6, '0'), $2, 1 FROM generate_series(0, $3::int - 1) AS i`,
      [EXTENSION_ID, buffers[0]!, rows],
    );
    await sql`ANALYZE bench_minimal`;
    await sql`ANALYZE extension_storage`;
    await keyvStore.query('ANALYZE keyv');

    const prepared = { prepare: true } as const;
    const lastAfter = rows - PAGE_SIZE - 1;
    const endCursor = await cursorAfter(scope, lastAfter);
    const keyvLastPageSql = 'SELECT * FROM "public"."keyv" WHERE key LIKE $1 AND key > $2 ORDER BY key LIMIT $3';
    const keyvLastPageParams = ['keyv:%', `keyv:${keys[lastAfter]}`, PAGE_SIZE];
    const last = await scope.list({ limit: PAGE_SIZE, cursor: endCursor });
    const rawLast = await sql.unsafe(PG_RAW.listAfter, [...GLOBAL_SCOPE, keys[lastAfter]!, PAGE_SIZE + 1, new Date()], prepared);
    const keyvLast = (await keyvStore.query(keyvLastPageSql, keyvLastPageParams)) as unknown[];
    expect(last.items.length === PAGE_SIZE && last.items[0]!.key === keys[lastAfter + 1] && last.nextCursor === null, 'library last page');
    expect(rawLast.length === PAGE_SIZE && rawLast[0]!.key === keys[lastAfter + 1], 'raw last page');
    expect(keyvLast.length === PAGE_SIZE, 'keyv last page');
    expect((await scope.get(keys[7]!))?.value.byteLength === VALUE_BYTES, 'library get');
    expect(((await keyv.get(keys[7]!)) as Buffer | undefined)?.byteLength === VALUE_BYTES, 'keyv get');
    expect(keyv.iterator !== undefined, 'keyv has an iterator');
    const [minimalRow] = await sql.unsafe(PG_MINIMAL.get, [...GLOBAL_SCOPE, keys[7]!], prepared);
    expect((minimalRow?.value as Buffer | undefined)?.byteLength === VALUE_BYTES, 'minimal get');

    const stores: Store[] = [
      {
        name: RAW,
        get: (key) => sql.unsafe(PG_RAW.get, [...GLOBAL_SCOPE, key], prepared),
        upsert: (key, variant) => sql.unsafe(PG_RAW.upsert, pgUpsertParams(key, buffers[variant]!) as never[], prepared),
        firstPage: () => sql.unsafe(PG_RAW.listFrom, [...GLOBAL_SCOPE, '', PAGE_SIZE + 1, new Date()], prepared),
        lastPage: () => sql.unsafe(PG_RAW.listAfter, [...GLOBAL_SCOPE, keys[lastAfter]!, PAGE_SIZE + 1, new Date()], prepared),
      },
      libraryContender(LIB, scope, plain, endCursor),
      keyvContender(KEYV, keyv, buffers, () => keyvStore.query(keyvLastPageSql, keyvLastPageParams)),
      {
        name: MINIMAL,
        get: (key) => sql.unsafe(PG_MINIMAL.get, [...GLOBAL_SCOPE, key], prepared),
        upsert: (key, variant) => sql.unsafe(PG_MINIMAL.upsert, [...GLOBAL_SCOPE, key, buffers[variant]!], prepared),
        missing: 'get and upsert only',
      },
    ];
    await runServerSection(
      {
        title: `postgres ${version}`,
        stores,
        raw: RAW,
        library: LIB,
        keyv: KEYV,
        minimal: MINIMAL,
        keys,
        concurrencies: [1, CONNECTIONS],
        notes: [
          `library and raw share one postgres.js client (max ${CONNECTIONS} connections); raw runs the library's statements as named prepared statements.`,
          `keyv runs on its own node-postgres pool (max ${CONNECTIONS}), table keyv in the same database.`,
          "list pages as in the sqlite section; keyv's last page is the keyset statement its iterator issues there",
          `  (key LIKE 'keyv:%' AND key > $2 ORDER BY key LIMIT 25), run through the adapter.`,
          MINIMAL_NOTE,
        ],
      },
      measure,
    );
  } finally {
    await sql.end({ timeout: 5 });
    await keyv.disconnect();
    await database.drop();
  }
}
