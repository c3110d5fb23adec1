// Loads the built package the way hosts do, by name, as ESM and as CommonJS, and runs one round trip
// through each: catches a broken exports map, a CJS build that does not load, or error classes that
// differ between subpaths (instanceof must hold across them).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const subpaths = ['', '/sqlite', '/postgres', '/pglite', '/mysql', '/fernet', '/http'];

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
  const handle = modules['/http'].createStorageHandler(storage, { authenticate: () => ({ id: 1 }) });
  const read = await handle(new Request('http://host/acme/smoke/storage/persistent/user/k'));
  assert.equal(read.status, 200);
  assert.equal(await read.text(), 'v');
  assert.equal('createStorageHandler' in modules[''], false, 'the root entry must not carry the HTTP handler');
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

// The CLI's libraries load only for the bin: no entry point of the library pulls them in (ESM or CJS).
const cliLibraries = /node_modules\/(cli-progress|cli-table3)\//;
const imports = subpaths.map((s) => `extension-storage${s}`);
for (const [format, script] of [
  ['cjs', `${JSON.stringify(imports)}.forEach((name) => require(name));`],
  ['esm', `for (const name of ${JSON.stringify(imports)}) await import(name);`],
]) {
  const flag = format === 'esm' ? ['--input-type=module', '-e'] : ['-e'];
  const program = `${format === 'esm' ? "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" : ''}${script}
console.log(Object.keys(require.cache).filter((f) => ${cliLibraries}.test(f)).join(','));`;
  const cliLoaded = execFileSync(process.execPath, [...flag, program]).toString().trim();
  assert.equal(cliLoaded, '', `a library entry (${format}) loaded ${cliLoaded}`);
}
console.log('library entries load neither cli-progress nor cli-table3');

// The bin: executable, with a shebang, and it works on a SQLite file.
const { accessSync, constants, mkdtempSync, readFileSync, rmSync } = await import('node:fs');
const { join } = await import('node:path');
const { tmpdir } = await import('node:os');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const { fileURLToPath } = await import('node:url');
const bin = fileURLToPath(new URL(`../${pkg.bin['extension-storage']}`, import.meta.url));
accessSync(bin, constants.X_OK);
assert.match(readFileSync(bin, 'utf8'), /^#!\/usr\/bin\/env node\n/);
const folder = mkdtempSync(join(tmpdir(), 'extension-storage-smoke-'));
try {
  const db = join(folder, 'app.db');
  const run = (...args) => execFileSync(bin, args, { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  assert.match(run('--help'), /^Usage: extension-storage <command>/);
  assert.match(run('migrate', '--db', `sqlite:${db}`), /is up to date/);
  assert.match(run('stats', '--db', db), /total/);
  assert.equal(run('export', '--db', db), '');
} finally {
  rmSync(folder, { recursive: true, force: true });
}
console.log('bin extension-storage runs');
