/**
 * What a new user's attempt to break the library found, each kept as a test: input that was silently
 * accepted, host functions whose failures escaped untyped, an import that went past the quota, and
 * concurrent migrations on one SQLite connection.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExtensionStorage, type ExportedEntry, type ExtensionStorageOptions, type StandardSchemaV1 } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';
import { Fernet } from '../../src/crypto/index.js';

async function open(options: Omit<ExtensionStorageOptions, 'dialect'> = {}): Promise<ExtensionStorage> {
  const storage = new ExtensionStorage({ ...options, dialect: sqlite(new Database(':memory:')) });
  await storage.migrate();
  return storage;
}

describe('nothing is silently accepted', () => {
  it('encryptionKeyBinding and cryptoBackend are checked even without keys, and named', () => {
    const dialect = sqlite(new Database(':memory:'));
    expect(() => new ExtensionStorage({ dialect, encryptionKeyBinding: 'bogus' as never })).toThrow(/"encryptionKeyBinding"/);
    expect(() => new ExtensionStorage({ dialect, cryptoBackend: 'bogus' as never })).toThrow(/"cryptoBackend"/);
    expect(() => new ExtensionStorage({ dialect, encryptionKeys: 'k', cryptoBackend: 'bogus' as never })).toThrow(/"cryptoBackend"/);
  });

  it('a quota() result with an unknown name, a throwing quota() and a clock that is not a Date are VALIDATION', async () => {
    const misspelt = await open({ quota: () => ({ byts: 1 }) as never });
    await expect(misspelt.extension('acme.q').global.set('k', 'x')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('byts') });
    const throwing = await open({
      quota: () => {
        throw new Error('billing service down');
      },
    });
    await expect(throwing.extension('acme.q').global.set('k', 'x')).rejects.toMatchObject({ code: 'VALIDATION', cause: { message: 'billing service down' } });
    const clock = await open({ now: () => 'yesterday' as never });
    await expect(clock.purgeExpired()).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('"now"') });
  });

  it('holes in batch arrays are refused like undefined keys', async () => {
    const global = (await open()).extension('acme.b').global;
    // eslint-disable-next-line no-sparse-arrays
    await expect(global.getMany([, 'a'] as string[])).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('keys[0]') });
    // eslint-disable-next-line no-sparse-arrays
    await expect(global.deleteMany([, 'a'] as string[])).rejects.toMatchObject({ code: 'VALIDATION' });
    // eslint-disable-next-line no-sparse-arrays
    await expect(global.setMany([, { key: 'a', value: 'v' }] as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await global.count()).toBe(0);
  });

  it('importEntries refuses what is not a collection of entries', async () => {
    const storage = await open();
    for (const entries of [null, 42, 'text', {}]) {
      await expect(storage.importEntries(entries as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('"entries"') });
    }
  });
});

describe("host functions' failures are typed", () => {
  it('a schema that throws is VALIDATION, a user function that throws is UNAUTHENTICATED, each with the cause', async () => {
    const failure = new Error('schema bug');
    const throwing = { '~standard': { version: 1, vendor: 'test', validate: () => Promise.reject(failure) } } as unknown as StandardSchemaV1<unknown, unknown>;
    const storage = await open({
      user: () => {
        throw new Error('session store down');
      },
    });
    const ext = storage.extension('acme.h');
    await expect(ext.global.setJSON('k', { a: 1 }, { schema: throwing })).rejects.toMatchObject({ code: 'VALIDATION', cause: failure });
    await expect(ext.user.get('k')).rejects.toMatchObject({ code: 'UNAUTHENTICATED', cause: { message: 'session store down' } });
  });
});

describe('round trips and limits', () => {
  it('setJSON stores the value given, so getJSON with the same transforming schema reads it back', async () => {
    const global = (await open()).extension('acme.j').global;
    const Length = z.string().transform((text) => text.length);
    await global.setJSON('k', 'hello', { schema: Length });
    expect(await global.getJSON('k')).toBe('hello');
    expect(await global.getJSON('k', { schema: Length })).toBe(5);
  });

  it('an import keeps to the quotas like any write', async () => {
    const source = await open();
    for (let i = 0; i < 10; i++) await source.extension('acme.imp').global.set(`k${i}`, 'v');
    const target = await open({ limits: { quotaKeysPerExtension: 5 } });
    await expect(target.importEntries(source.exportEntries(), { batchSize: 3 })).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', kind: 'keys', limit: 5 });
    expect((await target.usage('acme.imp')).keys).toBeLessThanOrEqual(5);
  });

  it('concurrent migrate() calls on one SQLite connection take turns', async () => {
    const db = new Database(':memory:');
    const a = new ExtensionStorage({ dialect: sqlite(db) });
    const b = new ExtensionStorage({ dialect: sqlite(db) });
    await Promise.all([a.migrate(), a.migrate(), b.migrate(), b.migrate(), a.migrate()]);
    await a.extension('acme.m').global.set('k', 'v');
    expect(await b.extension('acme.m').global.getText('k')).toBe('v');
  });

  it('two sqlite() over one Database see each other\'s transactions: a write of one never joins the other\'s', async () => {
    const db = new Database(':memory:');
    const a = new ExtensionStorage({ dialect: sqlite(db) });
    const b = new ExtensionStorage({ dialect: sqlite(db) });
    await a.migrate();
    const rolledBack = a
      .transaction(async (tx) => {
        await tx.extension('acme.two').global.set('in-a', '1');
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await b.extension('acme.two').global.set('from-b', 'kept');
    expect(await rolledBack).toBe('rolled back');
    expect(await b.extension('acme.two').global.getText('from-b')).toBe('kept');
    expect(await b.extension('acme.two').global.getText('in-a')).toBeNull();
  });

  it('Fernet refuses a message string that is not well-formed Unicode (it would come back changed)', () => {
    const fernet = new Fernet(Fernet.generateKey());
    expect(() => fernet.encrypt('\ud800')).toThrow(/well-formed/);
  });
});

describe('second tryout: expiry, quotas and host functions', () => {
  it('an async quota() is refused by name, not read as "no quota"', async () => {
    const storage = await open({ quota: (async () => ({ bytes: 1 })) as never });
    await expect(storage.extension('acme.q').global.set('k', 'xx')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('synchronously') });
    expect(await storage.usage('acme.q')).toEqual({ bytes: 0, keys: 0 });
  });

  it('a clock that throws is VALIDATION naming "now", with the error as cause', async () => {
    const storage = await open({
      now: () => {
        throw new Error('clock broke');
      },
    });
    await expect(storage.extension('acme.c').global.set('k', 'v')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('"now"'), cause: { message: 'clock broke' } });
    await expect(storage.purgeExpired()).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('usage() of a bad id rejects (every method that returns a promise does), it does not throw', async () => {
    const storage = await open();
    let returned: Promise<unknown> | undefined;
    expect(() => (returned = storage.usage('NOT VALID'))).not.toThrow();
    await expect(returned).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('an aborted export is ABORTED with the reason as cause, before and during iteration', async () => {
    const storage = await open();
    for (let i = 0; i < 5; i++) await storage.extension('acme.x').global.set(`k${i}`, 'v');
    const before = new AbortController();
    before.abort(new Error('stop'));
    const iterate = async (signal: AbortSignal, stopAfter = Infinity) => {
      let n = 0;
      for await (const _ of storage.exportEntries({ signal, batchSize: 2 })) if (++n === stopAfter) during.abort();
    };
    await expect(iterate(before.signal)).rejects.toMatchObject({ code: 'ABORTED', cause: { message: 'stop' } });
    const during = new AbortController();
    await expect(iterate(during.signal, 1)).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringContaining('after 1 entry') });
  });

  it('a value whose buffer was transferred is VALIDATION before any I/O, not stored empty', async () => {
    const storage = await open();
    const value = new Uint8Array([1, 2, 3]);
    structuredClone(value.buffer, { transfer: [value.buffer] });
    const ext = storage.extension('acme.d').global;
    await expect(ext.set('k', value)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('detached') });
    await expect(ext.setMany([{ key: 'k', value }])).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await ext.count()).toBe(0);
    expect(await ext.set('empty', new Uint8Array(0))).toMatchObject({ size: 0 });
  });

  it('an import past a quota says how many entries the earlier batches imported', async () => {
    const storage = await open({ limits: { quotaKeysPerExtension: 3 } });
    const source = await open();
    for (let i = 0; i < 5; i++) await source.extension('acme.i').global.set(`k${i}`, 'v');
    const entries = [];
    for await (const entry of source.exportEntries()) entries.push(entry);
    await expect(storage.importEntries(entries, { batchSize: 1 })).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
      kind: 'keys',
      used: 3,
      message: expect.stringContaining('the 3 entries before that batch were imported'),
    });
    expect(await storage.usage('acme.i')).toEqual({ bytes: 3, keys: 3 });
  });
});

describe('third tryout: what an import may claim of an encrypted entry', () => {
  it('an encrypted entry must hold a Fernet token, and its size must be one its token can hold', async () => {
    const source = await open({ encryptionKeys: 'k' });
    await source.extension('acme.t').global.set('secret', 'twelve bytes', { encrypt: true });
    const exported: ExportedEntry[] = [];
    for await (const one of source.exportEntries()) exported.push(one);
    const [entry] = exported;
    expect(entry).toMatchObject({ encrypted: true, size: 12 });
    const target = await open({ encryptionKeys: 'k' });
    for (const size of [16, 17, 1000, 16 * 1024 * 1024 - 1]) {
      await expect(target.importEntries([{ ...entry!, size }])).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('"size" expected the plaintext length its token can hold (0..15)') });
    }
    await expect(target.importEntries([{ ...entry!, value: new TextEncoder().encode('not a token') }])).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('"value" expected a Fernet token'),
    });
    expect(await target.usage('acme.t')).toEqual({ bytes: 0, keys: 0 });
    expect(await target.importEntries([entry!])).toEqual({ inserted: 1, replaced: 0, skipped: 0 });
    expect(await target.extension('acme.t').global.getText('secret')).toBe('twelve bytes');
    expect(await target.usage('acme.t')).toEqual({ bytes: 12, keys: 1 });
  });
});
