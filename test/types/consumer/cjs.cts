// A CommonJS host, compiled against dist/*.d.cts.
import Database = require('better-sqlite3');
import es = require('extension-storage');
import sqliteEntry = require('extension-storage/sqlite');

const storage = new es.ExtensionStorage({ dialect: sqliteEntry.sqlite(new Database(':memory:')) });
export async function host(): Promise<string | null> {
  await storage.migrate();
  const code: es.ErrorCode = 'NOT_MIGRATED';
  void code;
  return storage.extension('acme.cjs').global.getText('k');
}
