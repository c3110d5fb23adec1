import { drizzle } from 'drizzle-orm/mysql2';
import mysql2 from 'mysql2/promise';
import { inject } from 'vitest';
import { mysql } from '../../src/dialects/mysql/index.js';
import { createTempDatabase } from '../setup/databases.js';
import { asyncHost } from './harness.js';
import { conformance } from './suite.js';

const mysqlUrl = inject('mysqlUrl');

// A fresh database on the throwaway MariaDB server, reached through a mysql2 pool of 8 connections so
// that the concurrent-writers case really runs concurrently; the raw pool form of mysql().
conformance({
  name: 'mysql (MariaDB, mysql2 pool)',
  skips: {
    "an operation on a host's view after the host's transaction ended is a typed error that writes nothing":
      "the library cannot see the host's transaction end without a round trip per operation: a late operation runs outside it (README, Transactions)",
  },
  unavailable: () => (mysqlUrl ? null : 'no MariaDB/MySQL server (see test/setup/servers.ts)'),
  async open() {
    const database = await createTempDatabase(mysqlUrl!);
    const pool = mysql2.createPool({ uri: database.url, connectionLimit: 8 });
    const hostDb = drizzle({ client: pool });
    return {
      dialect: mysql(pool),
      hosts: {
        'Drizzle transaction': asyncHost((fn) => hostDb.transaction(fn)),
        'mysql2 connection': asyncHost(async (fn) => {
          const connection = await pool.getConnection();
          try {
            await connection.beginTransaction();
            await fn(connection);
            await connection.commit();
          } catch (error) {
            await connection.rollback();
            throw error;
          } finally {
            connection.release();
          }
        }),
      },
      peer: async () => {
        const other = mysql2.createPool({ uri: database.url, connectionLimit: 1 });
        return { dialect: mysql(other), close: () => other.end() };
      },
      clear: async () => void (await pool.query('DELETE FROM extension_storage')),
      tables: async () => {
        const [rows] = await pool.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()');
        return (rows as { name: string }[]).map((row) => row.name);
      },
      query: async (statement) => {
        const [rows] = await pool.query(statement);
        return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
      },
      close: async () => {
        await pool.end();
        await database.drop();
      },
    };
  },
});
