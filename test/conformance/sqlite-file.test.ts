import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { sqlite } from '../../src/dialects/sqlite/index.js';
import { sqliteHost } from './harness.js';
import { conformance } from './suite.js';

// A WAL file, handed over as the host's Drizzle database (the other accepted form of sqlite()).
conformance({
  name: 'sqlite (WAL file, via Drizzle)',
  async open() {
    const folder = mkdtempSync(join(tmpdir(), 'extension-storage-'));
    const db = new Database(join(folder, 'app.db'));
    db.pragma('journal_mode = WAL');
    const hostDb = drizzle({ client: db });
    return {
      dialect: sqlite(hostDb),
      hosts: { 'Drizzle transaction': sqliteHost(hostDb) },
      // A second connection to the file, as another part of the host would open: busy waits are the dialect's.
      peer: async () => {
        const other = new Database(join(folder, 'app.db'), { timeout: 0 });
        return { dialect: sqlite(other), close: async () => void other.close() };
      },
      clear: async () => void db.exec('DELETE FROM extension_storage'),
      tables: async () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
      query: async (statement) => {
        const prepared = db.prepare(statement);
        return prepared.reader ? (prepared.all() as Record<string, unknown>[]) : (prepared.run(), []);
      },
      close: async () => {
        db.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  },
});
