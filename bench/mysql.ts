/**
 * Section `mysql`: the four operations over 10,000 keys on a MariaDB/MySQL server, sequentially and with
 * 16 concurrent callers on 16 connections: the library (mysql dialect over a mysql2 pool) against the
 * same statements through `pool.execute` (server-side prepared) on the same pool, and Keyv over
 * @keyv/mysql (its own mysql2 pool of 16). Runs in a temporary database that is dropped afterwards.
 * @module
 */
import { randomUUID } from 'node:crypto';
import KeyvMysql from '@keyv/mysql';
import Keyv from 'keyv';
import mysql2, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { ExtensionStorage } from '../src/index.js';
import type { MeasureOptions } from './harness.js';
import { MINIMAL, MINIMAL_NOTE, MYSQL_MINIMAL } from './minimal-table.js';
import { libraryContender, keyvContender, type Store } from './operations.js';
import { runServerSection } from './server-section.js';
import { openServerDatabase } from './servers.js';
import { cursorAfter, expect, EXTENSION_ID, keyNames, PAGE_SIZE, values, VALUE_BYTES } from './workload.js';

/** Options of the section. */
export interface MysqlBenchOptions {
  readonly rows: number;
  readonly measure: Partial<MeasureOptions>;
}

const RAW = 'raw mysql2 pool.execute';
const LIB = 'extension-storage';
const KEYV = 'keyv + @keyv/mysql';
const CONNECTIONS = 16;
const SEED_BATCH = 1000;

/** The columns the library returns for an entry's metadata. */
const INFO = 'id, uuid, `key`, value_type, category, description, is_encrypted, size, version, created_at, updated_at, created_by, updated_by, expires_at';
/** The old row has expired at the write's time (bound once per CASE): the write makes a new entry. */
const EXPIRED = '(expires_at IS NOT NULL AND expires_at <= ?)';
const LIVE = '(expires_at IS NULL OR expires_at > ?)';
const IN_SCOPE = 'extension_id = ? AND user_id = ? AND resource_type = ? AND resource_id = ?';
const GLOBAL_SCOPE = [EXTENSION_ID, '', '', ''] as const;

/**
 * The library's statements written by hand. MariaDB's upsert is one INSERT … ON DUPLICATE KEY UPDATE …
 * RETURNING; MySQL 8 has no RETURNING, so there it is the INSERT and a SELECT of the row in one
 * transaction, as the library does. Listings name the scoped-key index, as the library does.
 */
const SQL = Object.freeze({
  get: `SELECT ${INFO}, value FROM extension_storage WHERE ${IN_SCOPE} AND \`key\` = ?`,
  upsert: `INSERT INTO extension_storage (uuid, extension_id, user_id, resource_type, resource_id, \`key\`, value, value_type,
      category, description, is_encrypted, size, version, created_at, updated_at, created_by, updated_by, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
    ON DUPLICATE KEY UPDATE uuid = CASE WHEN ${EXPIRED} THEN VALUES(uuid) ELSE uuid END,
      value = VALUES(value), value_type = VALUES(value_type), category = VALUES(category),
      description = VALUES(description), is_encrypted = VALUES(is_encrypted), size = VALUES(size),
      version = CASE WHEN ${EXPIRED} THEN 1 ELSE version + 1 END,
      created_at = CASE WHEN ${EXPIRED} THEN VALUES(created_at) ELSE created_at END, updated_at = VALUES(updated_at),
      created_by = CASE WHEN ${EXPIRED} THEN VALUES(created_by) ELSE created_by END, updated_by = VALUES(updated_by),
      expires_at = VALUES(expires_at)`,
  written: `SELECT ${INFO} FROM extension_storage WHERE ${IN_SCOPE} AND \`key\` = ?`,
  returning: ` RETURNING ${INFO}`,
  listFrom: `SELECT ${INFO} FROM extension_storage FORCE INDEX (extension_storage_scoped_key)
    WHERE ${IN_SCOPE} AND \`key\` >= ? AND ${LIVE} ORDER BY \`key\` LIMIT ${PAGE_SIZE + 1}`,
  listAfter: `SELECT ${INFO} FROM extension_storage FORCE INDEX (extension_storage_scoped_key)
    WHERE ${IN_SCOPE} AND \`key\` > ? AND ${LIVE} ORDER BY \`key\` LIMIT ${PAGE_SIZE + 1}`,
});

/** Server errors after which the library runs the whole upsert again; the raw upsert does the same. */
const RETRYABLE = new Set([1213, 1205, 1020]);

/** `2026-01-02 03:04:05.678`: UTC wall-clock time for a DATETIME(3), as the library writes it. */
function utcDatetime(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/** The library's upsert by hand: one statement on MariaDB; on MySQL 8 the INSERT, then SELECT, in one transaction. */
async function rawUpsert(pool: Pool, key: string, value: Buffer, mariadb: boolean): Promise<RowDataPacket | undefined> {
  const now = utcDatetime(new Date());
  const params = [randomUUID(), ...GLOBAL_SCOPE, key, value, 'application/octet-stream', null, null, false, value.byteLength, now, now, null, null, null, now, now, now, now];
  if (mariadb) return (await pool.execute<RowDataPacket[]>(SQL.upsert + SQL.returning, params))[0][0];
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      await connection.execute(SQL.upsert, params);
      const [rows] = await connection.execute<RowDataPacket[]>(SQL.written, [...GLOBAL_SCOPE, key]);
      await connection.commit();
      return rows[0];
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      if (!RETRYABLE.has((error as { errno?: number }).errno ?? 0) || attempt >= 12) throw error;
    } finally {
      connection.release();
    }
  }
}

/** Fills the library's table and Keyv's with `keys`, each holding `value` (Keyv's as Keyv serialises it). */
async function seed(pool: Pool, keyv: Keyv, keys: readonly string[], value: Buffer): Promise<void> {
  const now = utcDatetime(new Date());
  await keyv.set(keys[0]!, value);
  const [[keyvRow]] = await pool.query<RowDataPacket[]>('SELECT value FROM keyv WHERE id = ?', [`keyv:${keys[0]}`]);
  for (let from = 0; from < keys.length; from += SEED_BATCH) {
    const batch = keys.slice(from, from + SEED_BATCH);
    await pool.query(
      'INSERT INTO extension_storage (uuid, extension_id, `key`, value, value_type, size, created_at, updated_at) VALUES ?',
      [batch.map((key) => [randomUUID(), EXTENSION_ID, key, value, 'application/octet-stream', value.byteLength, now, now])],
    );
    const keyvBatch = from === 0 ? batch.slice(1) : batch;
    await pool.query('INSERT INTO keyv (id, value) VALUES ?', [keyvBatch.map((key) => [`keyv:${key}`, keyvRow!.value])]);
    await pool.query('INSERT INTO bench_minimal (extension_id, user_id, resource_type, resource_id, `key`, value, version) VALUES ?', [
      batch.map((key) => [EXTENSION_ID, '', '', '', key, value, 1]),
    ]);
  }
  await pool.query('ANALYZE TABLE extension_storage, keyv, bench_minimal');
}

/** Runs the section, or prints why it cannot. */
export async function runMysqlBench(options: MysqlBenchOptions): Promise<void> {
  const opened = await openServerDatabase('mysql', () => import('../src/dialects/mysql/index.js'));
  if (!opened) return;
  const { dialect, database } = opened;

  const { rows, measure } = options;
  const pool = mysql2.createPool({ uri: database.url, connectionLimit: CONNECTIONS });
  const keyvStore = new KeyvMysql({ uri: database.url, connectionLimit: CONNECTIONS });
  keyvStore.opts.iterationLimit = PAGE_SIZE;
  const keyv = new Keyv({ store: keyvStore });
  try {
    const [[{ version }]] = (await pool.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
    const mariadb = version.includes('MariaDB');
    const storage = new ExtensionStorage({ dialect: dialect.mysql(pool) });
    await storage.migrate();
    const scope = storage.extension(EXTENSION_ID).global;
    const keys = keyNames(rows);
    const { buffers, plain } = values();
    for (const statement of MYSQL_MINIMAL.create) await pool.query(statement);
    await seed(pool, keyv, keys, buffers[0]!);

    const lastAfter = rows - PAGE_SIZE - 1;
    const endCursor = await cursorAfter(scope, lastAfter);
    const keyvLastPageSql = () =>
      mysql2.format('SELECT * FROM `keyv` WHERE id LIKE ? AND id > ? ORDER BY id LIMIT ?', ['keyv:%', `keyv:${keys[lastAfter]}`, PAGE_SIZE]);
    const last = await scope.list({ limit: PAGE_SIZE, cursor: endCursor });
    const [rawLast] = await pool.execute<RowDataPacket[]>(SQL.listAfter, [...GLOBAL_SCOPE, keys[lastAfter]!, utcDatetime(new Date())]);
    const keyvLast = (await keyvStore.query(keyvLastPageSql())) as unknown as unknown[];
    const written = await rawUpsert(pool, keys[3]!, buffers[1]!, mariadb);
    expect(last.items.length === PAGE_SIZE && last.items[0]!.key === keys[lastAfter + 1] && last.nextCursor === null, 'library last page');
    expect(rawLast.length === PAGE_SIZE && String(rawLast[0]!.key) === keys[lastAfter + 1], 'raw last page');
    expect(written && Number(written.version) === 2, 'raw upsert');
    expect(keyvLast.length === PAGE_SIZE, 'keyv last page');
    expect((await scope.get(keys[7]!))?.value.byteLength === VALUE_BYTES, 'library get');
    expect(((await keyv.get(keys[7]!)) as Buffer | undefined)?.byteLength === VALUE_BYTES, 'keyv get');
    expect(keyv.iterator !== undefined, 'keyv has an iterator');
    const [[minimalRow]] = await pool.execute<RowDataPacket[]>(MYSQL_MINIMAL.get, [...GLOBAL_SCOPE, keys[7]!]);
    expect((minimalRow?.value as Buffer | undefined)?.byteLength === VALUE_BYTES, 'minimal get');

    const stores: Store[] = [
      {
        name: RAW,
        get: (key) => pool.execute(SQL.get, [...GLOBAL_SCOPE, key]),
        upsert: (key, variant) => rawUpsert(pool, key, buffers[variant]!, mariadb),
        firstPage: () => pool.execute(SQL.listFrom, [...GLOBAL_SCOPE, '', utcDatetime(new Date())]),
        lastPage: () => pool.execute(SQL.listAfter, [...GLOBAL_SCOPE, keys[lastAfter]!, utcDatetime(new Date())]),
      },
      libraryContender(LIB, scope, plain, endCursor),
      keyvContender(KEYV, keyv, buffers, () => keyvStore.query(keyvLastPageSql())),
      {
        name: MINIMAL,
        get: (key) => pool.execute(MYSQL_MINIMAL.get, [...GLOBAL_SCOPE, key]),
        upsert: (key, variant) => pool.execute(MYSQL_MINIMAL.upsert, [...GLOBAL_SCOPE, key, buffers[variant]!]),
        missing: 'get and upsert only',
      },
    ];
    await runServerSection(
      {
        title: `mysql ${version}`,
        stores,
        raw: RAW,
        library: LIB,
        keyv: KEYV,
        minimal: MINIMAL,
        keys,
        concurrencies: [1, CONNECTIONS],
        notes: [
          `library and raw share one mysql2 pool (${CONNECTIONS} connections); both run their hot statements with pool.execute`,
          '  (server-side prepared), as a hand-written client would.',
          mariadb
            ? '  Both upserts are one INSERT … ON DUPLICATE KEY UPDATE … RETURNING (MariaDB).'
            : '  Both upserts are INSERT … ON DUPLICATE KEY UPDATE + SELECT in one transaction on a pooled connection.',
          `keyv runs on its own mysql2 pool (${CONNECTIONS}), table keyv in the same database; its upsert is one autocommit statement`,
          "  and returns nothing. keyv's last page is the keyset statement its iterator issues there, run through the adapter.",
          MINIMAL_NOTE,
        ],
      },
      measure,
    );
  } finally {
    await pool.end();
    await keyv.disconnect();
    await database.drop();
  }
}
