/**
 * Every command of the CLI, run as a child process against SQLite, PostgreSQL and MariaDB: output on
 * the right stream, exit codes, and what it did to the database.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byKey, expectPrimaryKeyOrder, inScopedKeyOrder } from '../conformance/export-order.js';
import { ExtensionStorage } from '../../src/index.js';
import { cli, freshDatabaseEachTest, jsonLines, readJsonLines, removeTempFolders, servers, tableRows, type TestDatabase } from './helpers.js';

const OLD = 'old cli secret';
const NEW = 'new cli secret';
const folder = mkdtempSync(join(tmpdir(), 'extension-storage-cli-files-'));
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  removeTempFolders();
});

/** Two extensions, every kind of scope, one encrypted entry under OLD. */
async function seed(db: TestDatabase): Promise<void> {
  const storage = db.storage(OLD);
  await storage.migrate();
  const alpha = storage.extension('acme.alpha', { user: { id: 42 } });
  await alpha.global.set('config', '{"theme":"dark"}', { valueType: 'application/json', category: 'settings' });
  await alpha.user.set('token', 'hunter2', { encrypt: true });
  await alpha.resource('dashboard', 7).set('state', Uint8Array.from([0, 1, 2, 255]));
  const limited = new ExtensionStorage({ dialect: db.dialect, limits: { quotaBytesPerExtension: 20, quotaKeysPerExtension: 4 } });
  await limited.extension('acme.beta').global.set('note', 'hello');
}

describe.each(['sqlite', 'postgres', 'mysql'] as const)('CLI on %s', (name) => {
  const { db, test } = freshDatabaseEachTest(name);

  test('migrate creates the table, is idempotent; migrate --down needs --yes without a terminal', async () => {
    const first = await cli(['migrate', '--db', db.url]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^migrate: .* is up to date\n$/);
    expect((await cli(['migrate', '--db', db.url])).code).toBe(0);
    await db.storage().extension('acme.alpha').global.set('k', 'v');

    const refused = await cli(['migrate', '--down', '--db', db.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('extension-storage migrate: migrate --down deletes every entry and there is no terminal to confirm on: pass --yes\n');
    expect(await db.storage().extension('acme.alpha').global.getText('k')).toBe('v');

    const down = await cli(['migrate', '--down', '--yes', '--db', db.url]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^migrate --down: removed the extension_storage table/);
    await expect(db.storage().extension('acme.alpha').global.get('k')).rejects.toMatchObject({ code: 'NOT_MIGRATED' });
    // Every other command then says what to run, not what a host would call.
    const unmigrated = await cli(['stats', '--db', db.url]);
    expect(unmigrated).toMatchObject({ code: 1, stdout: '' });
    expect(unmigrated.stderr).toBe('extension-storage stats: the table extension_storage does not exist: run extension-storage migrate first\n');
  });

  test('stats prints a table with a total, or JSON; --extension filters', async () => {
    await seed(db);
    const table = await cli(['stats', '--db', db.url]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(tableRows(table.stdout)).toEqual([
      ['extension', 'scope', 'rows', 'bytes', 'encrypted rows'],
      ['acme.alpha', 'global', '1', '16', '0'],
      ['acme.alpha', 'user', '1', '7', '1'],
      ['acme.alpha', 'resource', '1', '4', '0'],
      ['acme.beta', 'global', '1', '5', '0'],
      ['total', '', '4', '32', '1'],
      // Quota use: acme.beta was written under a quota, acme.alpha without one.
      ['extension', 'bytes used / quota', 'keys used / quota'],
      ['acme.alpha', '27 / none', '3 / none'],
      ['acme.beta', '5 / 20 (25%)', '1 / 4 (25%)'],
    ]);
    const json = await cli(['stats', '--db', db.url, '--json', '--extension', 'acme.beta']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      scopes: [{ extensionId: 'acme.beta', scope: 'global', rows: 1, bytes: 5, encryptedRows: 0 }],
      quotas: [{ extensionId: 'acme.beta', usage: { bytes: 5, keys: 1 }, quota: { bytes: 20, keys: 4 } }],
    });
    const bad = await cli(['stats', '--db', db.url, '--extension', 'Not Valid']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^extension-storage stats: --extension: "extensionId" expected/);
  });

  test('export writes JSON Lines to stdout or a file, tokens as they are; import reads them back', async () => {
    await seed(db);
    const out = await cli(['export', '--db', db.url]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/export: 4 entries written to stdout\n$/);
    const lines = jsonLines(out.stdout);
    await expectPrimaryKeyOrder(db.dialect, lines);
    const { config, token, state, note } = byKey(lines);
    expect(Object.keys(byKey(lines)).sort()).toEqual(['config', 'note', 'state', 'token']);
    expect(token).toMatchObject({ extensionId: 'acme.alpha', userId: '42', resourceType: null, encrypted: true, size: 7, version: 1 });
    expect(Buffer.from(token!.value as string, 'base64').toString()).toMatch(/^gAAAAA/);
    expect(state).toMatchObject({ resourceType: 'dashboard', resourceId: '7', value: Buffer.from([0, 1, 2, 255]).toString('base64') });
    expect(note).toMatchObject({ extensionId: 'acme.beta', userId: null, resourceType: null, value: Buffer.from('hello').toString('base64') });
    expect(config!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const file = join(folder, `${name}-beta.jsonl`);
    const beta = await cli(['export', '--db', db.url, '--extension', 'acme.beta', '--out', file]);
    expect(beta).toMatchObject({ code: 0, stdout: '' });
    expect(readJsonLines(file).map((line) => line.key)).toEqual(['note']);

    const decrypted = await cli(['export', '--db', db.url, '--decrypt', '--extension', 'acme.alpha'], { env: { EXTENSION_STORAGE_KEYS: OLD } });
    expect(decrypted.code).toBe(0);
    expect(byKey(jsonLines(decrypted.stdout)).token).toMatchObject({ decrypted: true, value: Buffer.from('hunter2').toString('base64') });
    // A failed export leaves the file it was to replace as it was, and no partial file beside it.
    const wrongKey = await cli(['export', '--db', db.url, '--decrypt', '--out', file], { env: { EXTENSION_STORAGE_KEYS: NEW } });
    expect(wrongKey.code).toBe(1);
    expect(readJsonLines(file).map((line) => line.key)).toEqual(['note']);
    expect(readdirSync(folder).filter((name) => name.includes('.partial-'))).toEqual([]);
    const noKeys = await cli(['export', '--db', db.url, '--decrypt']);
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toBe('extension-storage export: export --decrypt needs the encryption keys: set EXTENSION_STORAGE_KEYS to the key, or to a JSON list of keys (current first)\n');

    // Back in: everything exists, so fail stops at line 1, skip skips, overwrite replaces.
    const conflict = await cli(['import', '--db', db.url], { input: out.stdout });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/\nextension-storage import: entry 1: an entry with its scoped key or uuid exists already .* the 0 entries before it were imported\n$/);
    const skipped = await cli(['import', '--db', db.url, '--on-conflict', 'skip'], { input: out.stdout });
    expect(skipped).toMatchObject({ code: 0, stdout: 'inserted 0, replaced 0, skipped 4\n' });
    const replaced = await cli(['import', '--db', db.url, '--on-conflict', 'overwrite', '--in', file]);
    expect(replaced).toMatchObject({ code: 0, stdout: 'inserted 0, replaced 1, skipped 0\n' });

    await db.dialect.migrateDown();
    await db.dialect.migrate();
    const imported = await cli(['import', '--db', db.url, '--batch-size', '3'], { input: out.stdout });
    expect(imported).toMatchObject({ code: 0, stdout: 'inserted 4, replaced 0, skipped 0\n' });
    // The same entries, every field identical, in this table's primary-key order (on PostgreSQL not the file's).
    const again = jsonLines((await cli(['export', '--db', db.url])).stdout);
    expect(inScopedKeyOrder(again)).toEqual(inScopedKeyOrder(lines));
    await expectPrimaryKeyOrder(db.dialect, again);
    expect(await db.storage(OLD).extension('acme.alpha', { user: { id: 42 } }).user.getText('token')).toBe('hunter2');
  });

  test('import stops at a bad line, naming it; the lines before it are imported', async () => {
    await seed(db);
    const exported = (await cli(['export', '--db', db.url])).stdout;
    // The lines by key: on PostgreSQL the file's order is not the insertion order.
    const line = byKey(exported.split('\n').filter(Boolean).map((text) => ({ key: (JSON.parse(text) as { key: string }).key, text })));
    await db.dialect.migrateDown();
    await db.dialect.migrate();
    const broken = await cli(['import', '--db', db.url], { input: [line.config!.text, line.token!.text, '{"not": "an entry"', line.state!.text].join('\n') });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^import: \d+ bytes, \d+ bytes\/s\n(.*\n)*extension-storage import: line 3: not JSON\n$/);
    expect(inScopedKeyOrder(jsonLines((await cli(['export', '--db', db.url])).stdout)).map((entry) => entry.key)).toEqual(['token', 'config']);
    const invalid = await cli(['import', '--db', db.url, '--on-conflict', 'skip'], {
      input: [line.config!.text, line.state!.text.replace('"key":"state"', '"key":""')].join('\n'),
    });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/\nextension-storage import: entry 2: "key" expected .*the 1 entries before it were imported\n$/);
  });

  test('rotate-keys re-encrypts under the first key, and lists the rows no key opens', async () => {
    await seed(db);
    await db.storage('a key nobody configured').extension('acme.beta').global.set('lost', 'x', { encrypt: true });
    const lostId = (await db.dialect.encryptedRows(0, 10)).find((row) => row.key === 'lost')!.id;
    const keys = { EXTENSION_STORAGE_KEYS: JSON.stringify([NEW, OLD]) };
    const run = await cli(['rotate-keys', '--db', db.url, '--batch-size', '1'], { env: keys });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`scanned 2, rotated 1, already current 0, failed 1\nfailed ids: ${lostId}\n`);
    expect(run.stderr).toMatch(/^rotate-keys: 1\/2 rows \(50%\)/);
    expect(run.stderr).toMatch(/rotate-keys: 2\/2 rows \(100%\)/);
    expect(run.stderr).toMatch(/1 rows could not be re-encrypted/);
    expect(await db.storage(NEW).extension('acme.alpha', { user: { id: 42 } }).user.getText('token')).toBe('hunter2');
    await db.dialect.delete({ extensionId: 'acme.beta', userId: '', resourceType: '', resourceId: '' }, 'lost', new Date());
    const again = await cli(['rotate-keys', '--db', db.url], { env: keys });
    expect(again).toMatchObject({ code: 0, stdout: 'scanned 1, rotated 0, already current 1, failed 0\n' });
    const missing = await cli(['rotate-keys', '--db', db.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^extension-storage rotate-keys: rotate-keys needs the encryption keys: set EXTENSION_STORAGE_KEYS/);
    const other = await cli(['rotate-keys', '--db', db.url, '--keys-env', 'MY_KEYS'], { env: { MY_KEYS: NEW } });
    expect(other).toMatchObject({ code: 0, stdout: 'scanned 1, rotated 0, already current 1, failed 0\n' });
  });
});

describe.each(['postgres', 'mysql'] as const)('CLI connection failures on %s', (name) => {
  it.skipIf(servers[name] === undefined)('name the host and port, never the password', async () => {
    const url = new URL(servers[name]!);
    // A port nothing listens on: the test server's, plus one thousand-odd, checked closed by the failure itself.
    const closed = `${url.protocol}//someone:Sup3r-s3cret%21@127.0.0.1:1/whatever`;
    const product = name === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
    for (const command of [['stats'], ['purge-extension', 'acme.x'], ['delete-user', '7', '--dry-run'], ['delete-resource', 'chart', '1'], ['purge-expired']]) {
      const result = await cli([...command, '--db', closed]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^extension-storage ${command[0]}: cannot connect to ${product} at 127\\.0\\.0\\.1:1: .*ECONNREFUSED.*\\n$`));
      expect(result.stderr).not.toMatch(/Sup3r|s3cret/);
      expect(result.stdout).toBe('');
    }
  });
});

describe('CLI command line', () => {
  const db = `sqlite:${join(folder, 'line.db')}`;

  it('every command has --help (exit 0, on stdout), and so has the CLI', async () => {
    for (const command of ['migrate', 'rotate-keys', 'stats', 'export', 'import', 'purge-extension', 'delete-user', 'delete-resource', 'purge-expired']) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: extension-storage ${command}( <[a-z]+>)* --db <url>`));
      expect(help.stdout).toContain('--keys-env <name>');
    }
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^Usage: extension-storage <command>/);
    expect(main.stdout).toMatch(/rotate-keys +re-encrypt/);
    expect(main.stdout).toMatch(/purge-extension +uninstall cleanup/);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: extension-storage <command>/);
  });

  it.each([
    [['frobnicate'], 'extension-storage: unknown command "frobnicate" (commands: migrate, rotate-keys, stats, purge-extension, delete-user, delete-resource, purge-expired, export, import; see extension-storage --help)'],
    [['--db', 'x'], 'extension-storage: expected a command before "--db" (commands: migrate, rotate-keys, stats, purge-extension, delete-user, delete-resource, purge-expired, export, import; see extension-storage --help)'],
    [['stats', '--db', db, '--frob'], 'extension-storage stats: unknown option --frob (see extension-storage stats --help)'],
    [['stats', '--db'], 'extension-storage stats: option --db needs a value (see extension-storage stats --help)'],
    [['stats', '--db', db, 'extra'], 'extension-storage stats: unexpected argument "extra" (see extension-storage stats --help)'],
    [['stats'], 'extension-storage stats: --db <url> is required (postgres://…, mysql://…, sqlite:./app.db or a file path)'],
    [['stats', '--db', 'redis://h/0'], 'extension-storage stats: --db: unsupported scheme "redis://" (expected postgres://, postgresql://, mysql://, mariadb://, sqlite: or a file path)'],
    [['stats', '--db', 'postgres://u:pw@host:99999/db'], 'extension-storage stats: --db: not a valid postgres:// URL'],
    [['migrate', '--db', 'postgres://app:50%off@127.0.0.1:1/app'], 'extension-storage migrate: --db: the user name or password is not valid percent-encoding (write a "%" in it as %25)'],
    [['stats', '--db', 'mysql:///db'], 'extension-storage stats: --db: the mysql:// URL has no host'],
    [['rotate-keys', '--db', db, '--batch-size', '0'], 'extension-storage rotate-keys: --batch-size expected an integer in 1..10000, got "0"'],
    [['purge-extension', '--db', db], 'extension-storage purge-extension: expected <id> (see extension-storage purge-extension --help)'],
    [['delete-resource', 'dashboard', '--db', db], 'extension-storage delete-resource: expected <type> <id> (see extension-storage delete-resource --help)'],
    [['delete-user', '7', '8', '--db', db], 'extension-storage delete-user: unexpected argument "8" (see extension-storage delete-user --help)'],
    [['purge-expired', '--db', db, '--dry'], 'extension-storage purge-expired: unknown option --dry (see extension-storage purge-expired --help)'],
    [['purge-expired', '--db', db, '--batch-size', '10001'], 'extension-storage purge-expired: --batch-size expected an integer in 1..10000, got "10001"'],
    [['purge-extension', 'Acme.Ext', '--db', db], 'extension-storage purge-extension: "extensionId" expected "publisher.name": dot-separated lowercase letters, digits and "-", at most 255 characters, got "Acme.Ext"'],
    [['delete-resource', 'Dashboard', '7', '--db', db], 'extension-storage delete-resource: "resourceType" expected [a-z][a-z0-9_-]* of at most 64 characters, got "Dashboard"'],
    [['import', '--db', db, '--on-conflict', 'merge'], 'extension-storage import: --on-conflict expected one of fail, skip, overwrite, got "merge"'],
    [['stats', '--db', db, '--key-binding', 'row'], 'extension-storage stats: --key-binding expected one of scope, none, got "row"'],
    [['stats', '--db', db, '--keys-env', 'NOT-A-NAME'], 'extension-storage stats: --keys-env expected an environment variable name, got "NOT-A-NAME"'],
    [['stats', '--db', db, '--db', 'postgres://h/other'], 'extension-storage stats: option --db given twice (see extension-storage stats --help)'],
    [['stats', '--db', db, '--extension', 'Acme'], 'extension-storage stats: --extension: "extensionId" expected "publisher.name": dot-separated lowercase letters, digits and "-", at most 255 characters, got "Acme"'],
    [['export', '--db', 'postgres://h:1/unreachable', '--extension', 'acme'], 'extension-storage export: --extension: "extensionId" expected "publisher.name": dot-separated lowercase letters, digits and "-", at most 255 characters, got "acme"'],
  ])('%j: one line, exit code 2', async (args, message) => {
    const result = await cli(args);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it('keys that are neither a key nor a JSON list: exit 1, the value never shown', async () => {
    const result = await cli(['stats', '--db', db], { env: { EXTENSION_STORAGE_KEYS: '["secret-one", 3]' } });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('extension-storage stats: EXTENSION_STORAGE_KEYS expected one key, or a non-empty JSON list of non-empty strings (the current key first)\n');
  });

  it('commands other than migrate do not create a missing SQLite file', async () => {
    const file = join(folder, 'missing.db');
    const result = await cli(['stats', '--db', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot open the SQLite file .*missing\.db.*\(run migrate first to create it\)\n$/);
    expect(existsSync(file)).toBe(false);
    writeFileSync(join(folder, 'ignored'), '');
  });
});
