/**
 * The quick start: every call of the core API against a SQLite file, printing what it does.
 * Run with `npm run demo`.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionStorage, ExtensionStorageError } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';

const folder = mkdtempSync(join(tmpdir(), 'extension-storage-demo-'));
const file = join(folder, 'app.db');
const db = new Database(file);
db.pragma('journal_mode = WAL');

const show = (label: string, value: unknown) => console.log(`${label.padEnd(44)} ${JSON.stringify(value)}`);

try {
  // A real host reads its secret from the environment; encryption is per entry, on request.
  const storage = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: 'demo secret: use a long random one' });
  await storage.migrate();
  console.log(`SQLite file ${file}: migrated\n`);

  const ext = storage.extension('acme.my-ext', { user: { id: 42 } });

  const config = new TextEncoder().encode(JSON.stringify({ theme: 'light' }));
  const info = await ext.global.set('config', config, { valueType: 'application/json', category: 'settings', description: 'Theme' });
  show('global.set("config") → version', info.version);
  show('global.getJSON("config")', await ext.global.getJSON('config'));
  show('global.setJSON("config") → version', (await ext.global.setJSON('config', { theme: 'dark' })).version);
  show('global.getJSON("config")', await ext.global.getJSON<{ theme: string }>('config'));

  await ext.user.set('prefs', 'compact');
  show('user(42).getText("prefs")', await ext.user.getText('prefs'));
  show('user(7).getText("prefs")', await storage.extension('acme.my-ext', { user: { id: 7 } }).user.getText('prefs'));

  await ext.user.set('api-token', 'hunter2', { encrypt: true, description: 'stored as a Fernet token' });
  const stored = db.prepare("SELECT value FROM extension_storage WHERE key = 'api-token'").pluck().get() as Buffer;
  show('user(42).set("api-token", { encrypt }) → row', `${stored.toString('ascii').slice(0, 24)}…`);
  show('user(42).getText("api-token")', await ext.user.getText('api-token'));

  const dashboard = ext.resource('dashboard', 'AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee');
  await dashboard.set('state', new Uint8Array([1, 2, 3]));
  show('resource(dashboard).getValue("state")', Array.from((await dashboard.getValue('state')) ?? []));
  show('other extension sees global "config"', await storage.extension('acme.other').global.get('config'));

  for (let i = 1; i <= 5; i++) await ext.global.set(`cfg/${i}`, `value ${i}`, { category: 'settings' });
  let cursor: string | null = null;
  let page = 1;
  do {
    const result = await ext.global.list({ category: 'settings', prefix: 'cfg/', limit: 2, cursor });
    show(`global.list(settings, "cfg/") page ${page++}`, result.items.map((item) => item.key));
    cursor = result.nextCursor;
  } while (cursor !== null);
  show('global.count({ category: "settings" })', await ext.global.count({ category: 'settings' }));

  // Writes that compose: a compare-and-set, a counter, a transaction.
  const read = await ext.global.get('config');
  await ext.global.setJSON('config', { theme: 'light' }, { ifMatch: read!.etag });
  try {
    await ext.global.setJSON('config', { theme: 'stale' }, { ifMatch: read!.etag });
  } catch (error) {
    if (error instanceof ExtensionStorageError) show('set with a stale etag →', `${error.code}: ${error.message}`);
  }
  show('global.increment("visits") twice →', [await ext.global.increment('visits'), await ext.global.increment('visits')]);
  await storage.transaction(async (tx) => {
    const inTx = tx.extension('acme.my-ext', { user: { id: 42 } });
    await inTx.user.set('draft', 'saved with the rest');
    await inTx.global.increment('drafts');
  });
  show('after a transaction: user.getText("draft")', await ext.user.getText('draft'));
  show('ext.usage() → { bytes, keys }', await ext.usage());

  show('global.delete("cfg/1")', await ext.global.delete('cfg/1'));
  show('global.delete("cfg/1") again', await ext.global.delete('cfg/1'));

  try {
    await storage.extension('acme.my-ext').user.get('prefs');
  } catch (error) {
    if (error instanceof ExtensionStorageError) show('user scope without a user →', `${error.code}: ${error.message}`);
  }
  try {
    await ext.global.set('bad\nkey', 'x');
  } catch (error) {
    if (error instanceof ExtensionStorageError) show('a key with a line break →', `${error.code}: ${error.message}`);
  }
} finally {
  db.close();
  rmSync(folder, { recursive: true, force: true });
}
