/**
 * Section `sqlite`: get, 1 KiB upsert and 25-entry list pages (first and last) over 100,000 keys, on an
 * in-memory database and on a WAL file, comparing the library with hand-written better-sqlite3 prepared
 * statements on the same table and with Keyv over @keyv/sqlite.
 * @module
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Database from 'better-sqlite3';
import Keyv from 'keyv';
import { ExtensionStorage } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import type { MeasureOptions } from './harness.js';
import { MINIMAL, MINIMAL_NOTE, SQLITE_MINIMAL } from './minimal-table.js';
import { libraryContender, keyvContender, measureOperations, OP, type Store } from './operations.js';
import { checkTarget, count, describeMeasure, printComparison, printTargets, rateOf, ratioOf, type Target } from './report.js';
import { cursorAfter, expect, EXTENSION_ID, keyNames, PAGE_SIZE, values, VALUE_BYTES } from './workload.js';

/** Options of the section. */
export interface SqliteBenchOptions {
  readonly rows: number;
  readonly measure: Partial<MeasureOptions>;
}

const RAW = 'raw better-sqlite3';
const LIB = 'extension-storage';
const KEYV = 'keyv + @keyv/sqlite';

/** The columns the library returns for an entry's metadata. */
const INFO = 'id, uuid, key, value_type, category, description, is_encrypted, size, version, created_at, updated_at, created_by, updated_by, expires_at';
const IN_SCOPE = 'extension_id = ? AND user_id = ? AND resource_type = ? AND resource_id = ?';
const GLOBAL_SCOPE = [EXTENSION_ID, '', '', ''] as const;
/** Entries live at the time bound last but one (before the LIMIT). */
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

/**
 * What the library does, written by hand: the same statements on the table `storage.migrate()` created,
 * prepared once, positional parameters, rows as the driver returns them.
 */
function rawStatements(db: Database.Database) {
  return {
    get: db.prepare(`SELECT ${INFO}, value FROM extension_storage WHERE ${IN_SCOPE} AND key = ?`),
    // An expired row becomes a new entry: each kept column is a CASE on the old row's expiry at `now`.
    upsert: db.prepare(
      `INSERT INTO extension_storage (uuid, extension_id, user_id, resource_type, resource_id, key, value, value_type,
         category, description, is_encrypted, size, version, created_at, updated_at, created_by, updated_by, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
       ON CONFLICT (extension_id, user_id, resource_type, resource_id, key) DO UPDATE SET
         uuid = CASE WHEN (expires_at IS NOT NULL AND expires_at <= ?) THEN excluded.uuid ELSE uuid END,
         value = excluded.value, value_type = excluded.value_type, category = excluded.category,
         description = excluded.description, is_encrypted = excluded.is_encrypted, size = excluded.size,
         version = CASE WHEN (expires_at IS NOT NULL AND expires_at <= ?) THEN 1 ELSE version + 1 END,
         created_at = CASE WHEN (expires_at IS NOT NULL AND expires_at <= ?) THEN excluded.created_at ELSE created_at END,
         updated_at = excluded.updated_at,
         created_by = CASE WHEN (expires_at IS NOT NULL AND expires_at <= ?) THEN excluded.created_by ELSE created_by END,
         updated_by = excluded.updated_by, expires_at = excluded.expires_at
       RETURNING ${INFO}`,
    ),
    listFrom: db.prepare(`SELECT ${INFO} FROM extension_storage WHERE ${IN_SCOPE} AND key >= ? AND ${LIVE} ORDER BY key LIMIT ?`),
    listAfter: db.prepare(`SELECT ${INFO} FROM extension_storage WHERE ${IN_SCOPE} AND key > ? AND ${LIVE} ORDER BY key LIMIT ?`),
  };
}

/** Fills the library's table with `keys`, each holding `value`, as the library writes them (global scope, no user). */
function seedTable(db: Database.Database, keys: readonly string[], value: Buffer): void {
  const insert = db.prepare(
    `INSERT INTO extension_storage (uuid, extension_id, key, value, value_type, size, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'application/octet-stream', ?, ?, ?)`,
  );
  const now = Date.now();
  db.transaction(() => {
    for (const key of keys) insert.run(randomUUID(), EXTENSION_ID, key, value, value.byteLength, now, now);
  })();
}

/** Fills Keyv's table with `keys` (prefixed `keyv:` as Keyv does), each holding `value` as Keyv serialises it. */
async function seedKeyv(keyv: Keyv, store: KeyvSqlite, keys: readonly string[], value: Buffer): Promise<void> {
  await keyv.set(keys[0]!, value);
  const [row] = (await store.query('SELECT value FROM keyv WHERE key = ?', `keyv:${keys[0]}`)) as { value: string }[];
  await store.query(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO keyv (key, value) SELECT 'keyv:k/' || printf('%06d', i), ? FROM n`,
    keys.length - 1,
    row!.value,
  );
}

/** The minimal key-value table beside the library's, seeded with the same keys; its two statements. */
function minimalTable(db: Database.Database, keys: readonly string[], value: Buffer) {
  for (const statement of SQLITE_MINIMAL.create) db.exec(statement);
  const insert = db.prepare(SQLITE_MINIMAL.upsert);
  db.transaction(() => {
    for (const key of keys) insert.run(...GLOBAL_SCOPE, key, value);
  })();
  return { get: db.prepare(SQLITE_MINIMAL.get), upsert: insert };
}

type Mode = 'in-memory' | 'WAL file';

/** One storage mode: fresh databases, seeded, checked, measured, closed. */
async function runMode(mode: Mode, options: SqliteBenchOptions, dir: string): Promise<Target[]> {
  const { rows, measure } = options;
  const db = new Database(mode === 'in-memory' ? ':memory:' : path.join(dir, 'library.db'));
  const keyvStore = new KeyvSqlite({ uri: `sqlite://${mode === 'in-memory' ? ':memory:' : path.join(dir, 'keyv.db')}` });
  keyvStore.opts.iterationLimit = PAGE_SIZE;
  const keyv = new Keyv({ store: keyvStore });
  try {
    if (mode === 'WAL file') {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      await keyvStore.query('PRAGMA journal_mode = WAL');
      await keyvStore.query('PRAGMA synchronous = NORMAL');
    }
    const storage = new ExtensionStorage({ dialect: sqlite(db) });
    await storage.migrate();
    const scope = storage.extension(EXTENSION_ID).global;
    const keys = keyNames(rows);
    const { buffers, plain } = values();
    seedTable(db, keys, buffers[0]!);
    await seedKeyv(keyv, keyvStore, keys, buffers[0]!);
    const raw = rawStatements(db);
    const minimal = minimalTable(db, keys, buffers[0]!);

    // The last page starts after key #lastAfter; everyone must give the same answers before anything is timed.
    const lastAfter = rows - PAGE_SIZE - 1;
    const endCursor = await cursorAfter(scope, lastAfter);
    const keyvLastPageSql = 'SELECT * FROM keyv WHERE key LIKE ? LIMIT ? OFFSET ?';
    const keyvLastPageParams = ['keyv:%', PAGE_SIZE, rows - PAGE_SIZE];
    const first = await scope.list({ limit: PAGE_SIZE });
    const last = await scope.list({ limit: PAGE_SIZE, cursor: endCursor });
    const rawLast = raw.listAfter.all(...GLOBAL_SCOPE, keys[lastAfter], Date.now(), PAGE_SIZE + 1) as { key: string }[];
    const keyvLast = (await keyvStore.query(keyvLastPageSql, keyvLastPageParams)) as unknown[];
    expect(first.items.length === PAGE_SIZE && first.items[0]!.key === keys[0] && first.nextCursor !== null, 'library first page');
    expect(last.items.length === PAGE_SIZE && last.items[0]!.key === keys[lastAfter + 1] && last.nextCursor === null, 'library last page');
    expect(rawLast.length === PAGE_SIZE && rawLast[0]!.key === keys[lastAfter + 1], 'raw last page');
    expect(keyvLast.length === PAGE_SIZE, 'keyv last page');
    expect((await scope.get(keys[7]!))?.value.byteLength === VALUE_BYTES, 'library get');
    expect(((await keyv.get(keys[7]!)) as Buffer | undefined)?.byteLength === VALUE_BYTES, 'keyv get');
    expect(keyv.iterator !== undefined, 'keyv has an iterator');
    expect((minimal.get.get(...GLOBAL_SCOPE, keys[7]) as { value: Buffer }).value.byteLength === VALUE_BYTES, 'minimal get');

    const stores: Store[] = [
      {
        name: RAW,
        get: (key) => raw.get.get(...GLOBAL_SCOPE, key),
        upsert: (key, variant) => {
          const value = buffers[variant]!;
          const now = Date.now();
          const row = [randomUUID(), ...GLOBAL_SCOPE, key, value, 'application/octet-stream', null, null, 0, value.byteLength, now, now, null, null, null];
          return raw.upsert.get(...row, now, now, now, now);
        },
        firstPage: () => raw.listFrom.all(...GLOBAL_SCOPE, '', Date.now(), PAGE_SIZE + 1),
        lastPage: () => raw.listAfter.all(...GLOBAL_SCOPE, keys[lastAfter], Date.now(), PAGE_SIZE + 1),
      },
      libraryContender(LIB, scope, plain, endCursor),
      keyvContender(KEYV, keyv, buffers, () => keyvStore.query(keyvLastPageSql, keyvLastPageParams)),
      {
        name: MINIMAL,
        get: (key) => minimal.get.get(...GLOBAL_SCOPE, key),
        upsert: (key, variant) => minimal.upsert.run(...GLOBAL_SCOPE, key, buffers[variant]!),
        missing: 'get and upsert only',
      },
    ];
    const results = await measureOperations(stores, keys, measure);

    const journal = mode === 'in-memory' ? 'in-memory' : 'WAL file, synchronous=NORMAL';
    printComparison(`sqlite · ${journal} · ${count(rows)} keys · ${describeMeasure(measure)}`, results, [
      'get and upsert visit the keys in a fixed scattered order; upsert rewrites existing keys (the update path).',
      "list page 1: the library lists with no cursor; raw runs the same key >= '' ORDER BY key LIMIT 26.",
      `list last page: the library continues from the cursor after key #${count(lastAfter)} (reached by walking the public API);`,
      `  raw runs key > '${keys[lastAfter]}' ORDER BY key LIMIT 26. Both seek the scoped-key index.`,
      'keyv has no keyset listing: page 1 is its public iterator (iterationLimit 25), first 25 entries; its last page is the',
      `  statement that iterator issues there (key LIKE 'keyv:%' LIMIT 25 OFFSET ${count(rows - PAGE_SIZE)}, no ORDER BY), run through the adapter.`,
      'keyv has its own database and connection (node-sqlite3, its only driver); library and raw share one better-sqlite3 connection and table.',
      MINIMAL_NOTE,
    ]);

    const section = `sqlite ${mode}`;
    const firstRate = rateOf(results, OP.firstPage, LIB);
    const lastRate = rateOf(results, OP.lastPage, LIB);
    return [
      checkTarget(section, 'get ≥ 0.75× raw', ratioOf(results, OP.get, LIB, RAW), 0.75),
      checkTarget(section, 'upsert ≥ 0.7× raw', ratioOf(results, OP.upsert, LIB, RAW), 0.7),
      checkTarget(section, `get ≥ 0.8× ${MINIMAL}`, ratioOf(results, OP.get, LIB, MINIMAL), 0.8),
      checkTarget(section, `upsert ≥ 0.5× ${MINIMAL}`, ratioOf(results, OP.upsert, LIB, MINIMAL), 0.5),
      checkTarget(section, 'last page ≥ page 1 / 1.5 (library, last/first)', firstRate && lastRate ? lastRate / firstRate : undefined, 1 / 1.5),
    ];
  } finally {
    db.close();
    await keyv.disconnect();
  }
}

/** Runs the section: in-memory, then a WAL file in a temporary folder that is removed afterwards. */
export async function runSqliteBench(options: SqliteBenchOptions): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extstore-bench-sqlite-'));
  try {
    const targets: Target[] = [];
    for (const mode of ['in-memory', 'WAL file'] as const) targets.push(...(await runMode(mode, options, dir)));
    printTargets('sqlite targets', targets);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
