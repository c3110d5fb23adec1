import Database from 'better-sqlite3';
import { sqlite } from '../../src/dialects/sqlite/index.js';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { sqliteHost } from './harness.js';
import { conformance } from './suite.js';

conformance({
  name: 'sqlite (in-memory)',
  async open() {
    const db = new Database(':memory:');
    return {
      dialect: sqlite(db),
      hosts: { 'Drizzle transaction': sqliteHost(drizzle({ client: db })) },
      peer: async () => null,
      clear: async () => void db.exec('DELETE FROM extension_storage'),
      tables: async () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
      query: async (statement) => {
        const prepared = db.prepare(statement);
        return prepared.reader ? (prepared.all() as Record<string, unknown>[]) : (prepared.run(), []);
      },
      close: async () => void db.close(),
    };
  },
});
