// Loads the built package the way hosts do, by name, as ESM and as CommonJS, and runs one round trip
// through each: catches a broken exports map, a CJS build that does not load, or error classes that
// differ between subpaths (instanceof must hold across them).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const subpaths = ['', '/sqlite', '/postgres', '/pglite', '/mysql', '/fernet'];

for (const [format, load] of [
  ['esm', (name) => import(name)],
  ['cjs', async (name) => require(name)],
]) {
  const modules = Object.fromEntries(await Promise.all(subpaths.map(async (s) => [s, await load(`extension-storage${s}`)])));
  const { ExtensionStorage, ExtensionStorageError } = modules[''];
  const Database = require('better-sqlite3');
  const storage = new ExtensionStorage({ dialect: modules['/sqlite'].sqlite(new Database(':memory:')), encryptionKeys: 'smoke' });
  await storage.migrate();
  const ext = storage.extension('acme.smoke', { user: { id: 1 } });
  await ext.user.set('k', 'v', { encrypt: true });
  assert.equal(await ext.user.getText('k'), 'v');
  await assert.rejects(ext.global.get(''), (e) => e instanceof ExtensionStorageError && e.code === 'VALIDATION');
  assert.throws(() => modules['/sqlite'].sqlite({}), (e) => e instanceof ExtensionStorageError);
  assert.throws(() => new modules['/fernet'].Fernet('short'), (e) => e instanceof ExtensionStorageError);
  console.log(`${format}: ${subpaths.map((s) => `extension-storage${s}`).join(', ')} load; round trip ok`);
}

// The root entry must load no driver (and not Drizzle): check in a fresh CommonJS context.
const { execFileSync } = await import('node:child_process');
const loaded = execFileSync(process.execPath, [
  '-e',
  "require('extension-storage'); console.log(Object.keys(require.cache).filter((f) => /node_modules\\/(better-sqlite3|postgres|mysql2|@electric-sql|drizzle-orm)\\//.test(f)).join(','))",
]).toString().trim();
assert.equal(loaded, '', `the root entry loaded ${loaded}`);
console.log('root entry loads no driver');
