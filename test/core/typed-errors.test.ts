/**
 * Every failure is typed and explained: unknown option names are refused, every argument is checked
 * before any I/O (an unmigrated database would otherwise answer NOT_MIGRATED), aborts and forgotten
 * migrations have their own codes, and SQLite databases the library cannot serve are refused.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExtensionStorage, ExtensionStorageError, type ExtensionStorageOptions } from '../../src/index.js';
import { Fernet, MultiFernet } from '../../src/crypto/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';

const SECRET = 'SECRET-VALUE-7f3a';
const KEY = 'k'.repeat(32);

/** The error `action` throws or rejects with. */
async function failure(action: () => unknown): Promise<ExtensionStorageError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(ExtensionStorageError);
    return error as ExtensionStorageError;
  }
  throw new Error('expected a failure');
}

async function refuses(action: () => unknown, code: string, ...mentions: string[]): Promise<ExtensionStorageError> {
  const error = await failure(action);
  expect(error.code).toBe(code);
  for (const text of mentions) expect(error.message).toContain(text);
  expect(error.message).not.toContain(SECRET);
  return error;
}

let db: Database.Database;
/** A storage over a database that was never migrated: any I/O would fail with NOT_MIGRATED. */
let bare: (options?: Omit<ExtensionStorageOptions, 'dialect'>) => ExtensionStorage;
beforeEach(() => {
  db = new Database(':memory:');
  bare = (options = {}) => new ExtensionStorage({ ...options, dialect: sqlite(db) });
});

describe('unknown option names', () => {
  const scope = () => bare().extension('acme.opts').global;
  it.each([
    ['set', () => scope().set('k', 'v', { ecnrypt: true } as never), 'ecnrypt'],
    ['setJSON', () => scope().setJSON('k', 1, { encrpyt: true } as never), 'encrpyt'],
    ['getJSON', () => scope().getJSON('k', { shema: z.number() } as never), 'shema'],
    ['list', () => scope().list({ prefx: 'c' } as never), 'prefx'],
    ['count', () => scope().count({ categroy: 'c' } as never), 'categroy'],
    ['extension', () => bare().extension('acme.opts', { usr: { id: 1 } } as never), 'usr'],
    ['storage', () => bare({ encryptionKey: SECRET } as never), 'encryptionKey'],
    ['limits', () => bare({ limits: { maxValueByte: 1 } as never }), 'maxValueByte'],
    ['rotateKeys', () => bare({ encryptionKeys: KEY }).rotateKeys({ batchsize: 1 } as never), 'batchsize'],
    ['new Fernet', () => new Fernet(Fernet.generateKey(), { backnd: 'portable' } as never), 'backnd'],
    ['Fernet encrypt', () => new Fernet(Fernet.generateKey()).encrypt('x', { nwo: 1 } as never), 'nwo'],
    ['Fernet decrypt', () => new Fernet(Fernet.generateKey()).decrypt('x', { tll: 60 } as never), 'tll'],
    ['MultiFernet decrypt', () => new MultiFernet([new Fernet(Fernet.generateKey())]).decrypt('x', { tll: 60 } as never), 'tll'],
  ])('%s refuses a misspelt option before any I/O, naming it and not its value', async (_, action, name) => {
    await refuses(action, 'VALIDATION', `"${name}"`);
  });
  it('names every unknown option, and the known ones', async () => {
    const error = await refuses(() => scope().set('k', 'v', { a: SECRET, b: SECRET } as never), 'VALIDATION', '"a"', '"b"', 'encrypt');
    expect(error.message).toContain('valueType');
  });
  it('set with a misspelt encrypt stores nothing in clear', async () => {
    await bare().migrate();
    await refuses(() => scope().set('k', SECRET, { ecnrypt: true } as never), 'VALIDATION');
    expect(db.prepare('SELECT count(*) FROM extension_storage').pluck().get()).toBe(0);
  });
});

describe('arguments checked before any I/O', () => {
  const scope = () => bare().extension('acme.args').global;
  it('setJSON of a BigInt: VALIDATION with the TypeError as cause', async () => {
    await bare().migrate();
    const error = await refuses(() => scope().setJSON('k', { n: 1n }), 'VALIDATION', '"value"');
    expect(error.cause).toBeInstanceOf(TypeError);
  });
  it('getJSON with something that is not a Standard Schema', async () => {
    await refuses(() => scope().getJSON('k', { schema: { parse: () => 1 } as never }), 'VALIDATION', '"schema"');
    await refuses(() => scope().setJSON('k', 1 as never, { schema: 'number' as never }), 'VALIDATION', '"schema"');
  });
  it.each([
    ['null options', null, '"options"'],
    ['a signal that is not an AbortSignal', { signal: { aborted: false } }, '"signal"'],
    ['onProgress that is not a function', { onProgress: 1 }, '"onProgress"'],
    ['a batchSize of 0', { batchSize: 0 }, '"batchSize"'],
  ])('rotateKeys with %s', async (_, options, field) => {
    await refuses(() => bare({ encryptionKeys: KEY }).rotateKeys(options as never), 'VALIDATION', field);
    await refuses(() => bare().rotateKeys(options as never), 'VALIDATION', field);
  });
  it('an aborted signal is ABORTED with the reason as cause, before any I/O', async () => {
    const reason = new Error('shutting down');
    const error = await refuses(() => bare({ encryptionKeys: KEY }).rotateKeys({ signal: AbortSignal.abort(reason) }), 'ABORTED');
    expect(error.cause).toBe(reason);
  });
  it('a Standard Schema mismatch says which field, never the value', async () => {
    await bare().migrate();
    const Prefs = z.object({ theme: z.enum(['dark', 'light']), sizes: z.array(z.number()) });
    await refuses(() => scope().setJSON('prefs', { theme: SECRET, sizes: [1, SECRET] } as never, { schema: Prefs }), 'VALIDATION', 'theme', 'sizes[1]');
    await scope().setJSON('prefs', { theme: SECRET, sizes: [] });
    await refuses(() => scope().getJSON('prefs', { schema: Prefs }), 'VALIDATION', 'theme:');
  });
});

describe('the dialect option', () => {
  it.each([
    ['a better-sqlite3 Database', () => new Database(':memory:'), "got a better-sqlite3 Database: wrap it, dialect: sqlite(db), with sqlite from 'extension-storage/sqlite'"],
    ['a Drizzle database over one', () => ({ $client: new Database(':memory:') }), 'got a Drizzle database over a better-sqlite3 Database: wrap it'],
    ['a postgres.js-like Sql', () => Object.assign(() => undefined, { unsafe() {}, begin() {} }), 'got a postgres.js Sql: wrap it, dialect: postgres(sql)'],
    ['nothing', () => undefined, 'got none'],
  ])('names what was passed (%s) and how to wrap it', async (_, dialect, hint) => {
    await refuses(() => new ExtensionStorage({ dialect: dialect() as never }), 'VALIDATION', '"dialect"', hint);
  });
});

describe('a forgotten migrate()', () => {
  it.each([
    ['get', (s: ExtensionStorage) => s.extension('acme.nm').global.get('k')],
    ['set', (s: ExtensionStorage) => s.extension('acme.nm').global.set('k', 'v')],
    ['delete', (s: ExtensionStorage) => s.extension('acme.nm').global.delete('k')],
    ['list', (s: ExtensionStorage) => s.extension('acme.nm').global.list()],
    ['count', (s: ExtensionStorage) => s.extension('acme.nm').global.count()],
    ['rotateKeys', (s: ExtensionStorage) => s.rotateKeys()],
  ])('%s says NOT_MIGRATED: call storage.migrate()', async (_, action) => {
    await refuses(() => action(bare({ encryptionKeys: KEY })), 'NOT_MIGRATED', 'call storage.migrate()');
  });
});

describe('SQLite databases migrate() cannot serve', () => {
  const folder = mkdtempSync(join(tmpdir(), 'extension-storage-typed-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  let n = 0;
  const file = () => join(folder, `db${n++}.sqlite`);

  it('a UTF-16 database is UNSUPPORTED_DATABASE, saying what to change', async () => {
    const utf16 = new Database(':memory:');
    utf16.pragma("encoding = 'UTF-16le'");
    await refuses(() => new ExtensionStorage({ dialect: sqlite(utf16) }).migrate(), 'UNSUPPORTED_DATABASE', 'UTF-16le', 'UTF-8');
    expect(utf16.prepare("SELECT count(*) FROM sqlite_master WHERE name LIKE 'extension_storage%'").pluck().get()).toBe(0);
  });
  it('a foreign table named like the ledger is MIGRATION, saying to rename it', async () => {
    db.exec('CREATE TABLE extension_storage_migrations (id integer primary key, name text)');
    const error = await refuses(() => bare().migrate(), 'MIGRATION', 'extension_storage_migrations', 'rename');
    expect(error.cause).toBeDefined();
  });
  it('a read-only database is a typed error with the driver error as cause', async () => {
    const path = file();
    new Database(path).close();
    const readonly = new Database(path, { readonly: true });
    const error = await failure(() => new ExtensionStorage({ dialect: sqlite(readonly) }).migrate());
    expect(['MIGRATION', 'DATABASE']).toContain(error.code);
    expect(error.cause).toBeDefined();
    readonly.close();
  });
  it("a COMMIT meeting another connection's read lock is retried, then succeeds", async () => {
    const path = file();
    const writer = new Database(path, { timeout: 0 });
    const reader = new Database(path, { timeout: 0 });
    reader.exec('CREATE TABLE host (x integer); INSERT INTO host VALUES (1)');
    reader.exec('BEGIN');
    reader.prepare('SELECT * FROM host').all(); // holds a SHARED lock until COMMIT
    const release = setTimeout(() => reader.exec('COMMIT'), 300);
    await new ExtensionStorage({ dialect: sqlite(writer) }).migrate();
    clearTimeout(release);
    expect(reader.inTransaction).toBe(false);
    expect(writer.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'extension_storage'").pluck().get()).toBe(1);
    writer.close();
    reader.close();
  });
});

describe('rotation progress', () => {
  it('reports counts after each batch, and the failed ids once, in the result', async () => {
    await bare().migrate();
    const lost = bare({ encryptionKeys: 'a key that is gone' }).extension('acme.progress').global;
    const old = bare({ encryptionKeys: KEY }).extension('acme.progress').global;
    for (let i = 0; i < 4; i++) await lost.set(`lost${i}`, 'x', { encrypt: true });
    for (let i = 0; i < 5; i++) await old.set(`old${i}`, 'x', { encrypt: true });
    const reports: object[] = [];
    const result = await bare({ encryptionKeys: ['new key', KEY] }).rotateKeys({ batchSize: 3, onProgress: (p) => reports.push(p) });
    expect(result).toMatchObject({ scanned: 9, rotated: 5, failed: 4 });
    expect(result.failedIds).toHaveLength(4);
    expect(reports).toHaveLength(3);
    for (const report of reports) expect(Object.keys(report).sort()).toEqual(['alreadyCurrent', 'failed', 'lastId', 'rotated', 'scanned']);
    expect(reports.at(-1)).toMatchObject({ scanned: 9, failed: 4 });
  });
});
