/**
 * The documented minimum `max_allowed_packet` holds for every path that carries a value: the largest
 * encrypted value (16 MiB − 1 of plaintext, a 22,369,700-byte Fernet token) is written, read, and
 * rotated at 22M on the throwaway MariaDB server. Measured: 21,846 KiB is the least that works (the
 * token and the statement around it), 21,845 KiB refuses the write.
 */
import mysql2, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExtensionStorage } from '../../src/index.js';
import { mysql } from '../../src/dialects/mysql/index.js';
import { createTempDatabase, type TempDatabase } from '../setup/databases.js';

const mysqlUrl = inject('mysqlUrl');
/** The figure README.md and `mysql()` document. */
const DOCUMENTED = 22 * 1024 * 1024;

/** Byte equality; vitest's deep equality walks 16 M elements one by one. */
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.compare(a, b) === 0;

describe.skipIf(!mysqlUrl)('max_allowed_packet on MariaDB', () => {
  let database: TempDatabase;
  let admin: Connection;
  let before: number;
  beforeAll(async () => {
    database = await createTempDatabase(mysqlUrl!);
    admin = await mysql2.createConnection({ uri: database.url });
    const [rows] = await admin.query<RowDataPacket[]>('SELECT @@global.max_allowed_packet AS bytes');
    before = Number(rows[0]!.bytes);
  });
  afterAll(async () => {
    await admin?.query(`SET GLOBAL max_allowed_packet = ${before}`);
    await admin?.end();
    await database?.drop();
  });

  it('at the documented minimum the largest encrypted value is written, read and rotated', async () => {
    const value = new Uint8Array(16 * 1024 * 1024 - 1).map((_, i) => i % 251);
    // A global setting: only connections opened after it see it, hence the pool made afterwards.
    await admin.query(`SET GLOBAL max_allowed_packet = ${DOCUMENTED}`);
    const pool = mysql2.createPool({ uri: database.url, connectionLimit: 2 });
    try {
      const [rows] = await pool.query<RowDataPacket[]>('SELECT @@session.max_allowed_packet AS bytes');
      expect(Number(rows[0]!.bytes)).toBe(DOCUMENTED);
      const old = new ExtensionStorage({ dialect: mysql(pool), encryptionKeys: 'old secret' });
      await old.migrate();
      await old.extension('acme.big').global.set('largest', value, { encrypt: true });
      await old.extension('acme.big').global.set('small', 'small', { encrypt: true });
      expect(same(await old.extension('acme.big').global.getValue('largest'), value)).toBe(true);
      const rotated = await new ExtensionStorage({ dialect: mysql(pool), encryptionKeys: ['new secret', 'old secret'] }).rotateKeys();
      expect(rotated).toMatchObject({ scanned: 2, rotated: 2, failed: 0 });
      const reread = await new ExtensionStorage({ dialect: mysql(pool), encryptionKeys: 'new secret' }).extension('acme.big').global.getValue('largest');
      expect(same(reread, value)).toBe(true);
    } finally {
      await pool.end();
      await admin.query(`SET GLOBAL max_allowed_packet = ${before}`);
    }
  }, 120_000);
});
