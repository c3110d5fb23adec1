/**
 * Export, import and stats: whole-table maintenance through the dialect's `exportRows`, `importRows`
 * and `stats`, as the operator CLI uses them.
 */
import { describe, expect } from 'vitest';
import { ExtensionStorageError, ImportConflictError, type ExportedEntry, type ExtensionStorage } from '../../src/index.js';
import { byKey, expectPrimaryKeyOrder, inScopedKeyOrder } from './export-order.js';
import type { SuiteContext } from './suite.js';

const KEY = 'transfer secret';

async function collect(entries: AsyncIterable<ExportedEntry>): Promise<ExportedEntry[]> {
  const all: ExportedEntry[] = [];
  for await (const entry of entries) all.push(entry);
  return all;
}

async function errorOf(promise: Promise<unknown>): Promise<ExtensionStorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtensionStorageError);
  return error as ExtensionStorageError;
}

/** Entries in every kind of scope of two extensions, one of them encrypted, one rewritten (version 2). */
async function seed(store: ExtensionStorage): Promise<void> {
  const a = store.extension('acme.alpha', { user: { id: 42 } });
  await a.global.set('config', '{"theme":"dark"}', { valueType: 'application/json', category: 'settings', description: 'the config' });
  await a.global.set('config', '{"theme":"light"}', { valueType: 'application/json', category: 'settings', description: 'the config' });
  await a.user.set('token', 'hunter2', { encrypt: true });
  await a.resource('dashboard', 7).set('state', Uint8Array.from([0, 1, 2, 255]));
  await store.extension('acme.beta').global.set('ünïcode ✓', 'value ✓');
}

export function transferCases({ storage, dialect, test }: SuiteContext): void {
  describe('export, import and stats', () => {
    test('export gives every entry with its scope, metadata and stored token, in batches, by extension', async () => {
      const store = storage({ encryptionKeys: KEY });
      await seed(store);
      const all = await collect(store.exportEntries({ batchSize: 2 }));
      expect(inScopedKeyOrder(all).map((e) => [e.extensionId, e.userId, e.resourceType, e.resourceId, e.key])).toEqual([
        ['acme.alpha', '42', null, null, 'token'],
        ['acme.alpha', null, 'dashboard', '7', 'state'],
        ['acme.alpha', null, null, null, 'config'],
        ['acme.beta', null, null, null, 'ünïcode ✓'],
      ]);
      // In primary-key order across batches (insertion order only where ids ascend: not on PostgreSQL).
      await expectPrimaryKeyOrder(dialect(), all);
      const { config, token, state } = byKey(all);
      expect(config).toMatchObject({ version: 2, valueType: 'application/json', category: 'settings', description: 'the config', encrypted: false, size: 17 });
      expect(new TextDecoder().decode(config!.value)).toBe('{"theme":"light"}');
      expect(config!.updatedAt.getTime()).toBeGreaterThanOrEqual(config!.createdAt.getTime());
      expect(token).toMatchObject({ encrypted: true, size: 7, createdBy: '42', updatedBy: '42' });
      expect(new TextDecoder().decode(token!.value)).toMatch(/^gAAAAA/);
      expect(token!.decrypted).toBeUndefined();
      expect([...state!.value]).toEqual([0, 1, 2, 255]);
      expect((await collect(store.exportEntries({ extensionId: 'acme.beta' }))).map((e) => e.key)).toEqual(['ünïcode ✓']);
      const decrypted = await collect(store.exportEntries({ extensionId: 'acme.alpha', decrypt: true }));
      await expectPrimaryKeyOrder(dialect(), decrypted, 'acme.alpha');
      expect(new TextDecoder().decode(byKey(decrypted).token!.value)).toBe('hunter2');
      expect(byKey(decrypted).token!.decrypted).toBe(true);
      expect((await errorOf(Promise.resolve().then(() => store.exportEntries({ batchSize: 0 })))).code).toBe('VALIDATION');
      expect((await errorOf(Promise.resolve().then(() => storage().exportEntries({ decrypt: true })))).code).toBe('ENCRYPTION_KEY_MISSING');
    });

    test('an import into an empty table gives back identical entries, tokens that still decrypt', async () => {
      const store = storage({ encryptionKeys: KEY });
      await seed(store);
      const before = await collect(store.exportEntries());
      await dialect().migrateDown();
      await dialect().migrate();
      // Every field as given, even ones no write of the application could produce.
      const crafted: ExportedEntry = {
        ...byKey(before)['ünïcode ✓']!,
        key: 'crafted',
        uuid: '00000000-0000-4000-8000-0000000000aa',
        version: 9,
        createdAt: new Date('2020-01-02T03:04:05.006Z'),
        updatedAt: new Date('2021-06-01T12:34:56.789Z'),
        createdBy: 'alice',
        updatedBy: 'bob',
        category: 'c',
        description: 'd',
      };
      expect(await store.importEntries([...before, crafted])).toEqual({ inserted: 5, replaced: 0, skipped: 0 });
      // The same entries, every field identical; in the target's primary-key order.
      const after = await collect(store.exportEntries());
      expect(inScopedKeyOrder(after)).toEqual(inScopedKeyOrder([...before, crafted]));
      await expectPrimaryKeyOrder(dialect(), after);
      expect(await store.extension('acme.alpha', { user: { id: 42 } }).user.getText('token')).toBe('hunter2');
      // A decrypted export is encrypted again on the way in.
      const decrypted = await collect(store.exportEntries({ decrypt: true }));
      await dialect().migrateDown();
      await dialect().migrate();
      await store.importEntries(decrypted);
      const reimported = await collect(store.exportEntries());
      expect(reimported).toHaveLength(5);
      expect(byKey(reimported).token).toMatchObject({ encrypted: true, size: 7, uuid: byKey(before).token!.uuid, version: byKey(before).token!.version });
      expect(await store.extension('acme.alpha', { user: { id: 42 } }).user.getText('token')).toBe('hunter2');
    });

    test('conflicts: skip keeps the existing entry, overwrite replaces it, fail stops before it', async () => {
      const store = storage({ encryptionKeys: KEY });
      await seed(store);
      const exported = await collect(store.exportEntries());
      const changed = exported.map((e) => ({ ...e, version: e.version + 10 }));
      expect(await store.importEntries(changed, { onConflict: 'skip' })).toEqual({ inserted: 0, replaced: 0, skipped: 4 });
      expect(await collect(store.exportEntries())).toEqual(exported);

      const fresh = { ...byKey(exported)['ünïcode ✓']!, key: 'new key', uuid: '00000000-0000-4000-8000-000000000001' };
      const error = await errorOf(store.importEntries([fresh, ...changed], { onConflict: 'fail' }));
      expect(error).toBeInstanceOf(ImportConflictError);
      expect(error.code).toBe('IMPORT_CONFLICT');
      expect(error.message).toMatch(/^entry 2: .*the 1 entries before it were imported/);
      expect((error as ImportConflictError).imported).toEqual({ inserted: 1, replaced: 0, skipped: 0 });
      expect(await store.extension('acme.beta').global.getText('new key')).toBe('value ✓');

      expect(await store.importEntries(changed, { onConflict: 'overwrite' })).toEqual({ inserted: 0, replaced: 4, skipped: 0 });
      // Replaced rows hold everything the import gave.
      const replaced = await collect(store.exportEntries());
      expect(inScopedKeyOrder(replaced)).toEqual(inScopedKeyOrder([fresh, ...changed]));
      // The same uuid under another key collides too.
      const sameUuid = { ...byKey(exported).config!, key: 'another key' };
      expect(await store.importEntries([sameUuid], { onConflict: 'skip' })).toEqual({ inserted: 0, replaced: 0, skipped: 1 });
      expect(await store.extension('acme.alpha').global.get('another key')).toBeNull();
    });

    test('an invalid entry stops the import there, naming its position; the entries before it are imported', async () => {
      const store = storage({ encryptionKeys: KEY });
      await seed(store);
      const exported = await collect(store.exportEntries());
      await dialect().migrateDown();
      await dialect().migrate();
      const { config, token, state, 'ünïcode ✓': beta } = byKey(exported);
      const bad = { ...state!, resourceId: null };
      const error = await errorOf(store.importEntries([config!, token!, bad, beta!], { batchSize: 10 }));
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toMatch(/^entry 3: "resourceType" and "resourceId" .*the 2 entries before it were imported$/);
      expect(inScopedKeyOrder(await collect(store.exportEntries()))).toEqual(inScopedKeyOrder([config!, token!]));
      const wrongSize = { ...beta!, size: 1 };
      expect((await errorOf(store.importEntries([wrongSize]))).message).toMatch(/"size" expected the value's length/);
      expect((await errorOf(store.importEntries([], { onConflict: 'merge' as never }))).code).toBe('VALIDATION');
    });

    test('without the table, export, import and stats throw NOT_MIGRATED', async () => {
      const store = storage({ encryptionKeys: KEY });
      await seed(store);
      const exported = await collect(store.exportEntries());
      await dialect().migrateDown();
      try {
        expect((await errorOf(collect(store.exportEntries()))).code).toBe('NOT_MIGRATED');
        expect((await errorOf(store.importEntries(exported))).code).toBe('NOT_MIGRATED');
        expect((await errorOf(store.stats())).code).toBe('NOT_MIGRATED');
      } finally {
        await dialect().migrate();
      }
    });

    test('stats: rows, bytes and encrypted rows per extension and kind of scope', async () => {
      const store = storage({ encryptionKeys: KEY });
      await seed(store);
      await store.extension('acme.alpha', { user: { id: 43 } }).user.set('other', 'xyz');
      expect(await store.stats()).toEqual([
        { extensionId: 'acme.alpha', scope: 'global', rows: 1, bytes: 17, encryptedRows: 0 },
        { extensionId: 'acme.alpha', scope: 'user', rows: 2, bytes: 10, encryptedRows: 1 },
        { extensionId: 'acme.alpha', scope: 'resource', rows: 1, bytes: 4, encryptedRows: 0 },
        { extensionId: 'acme.beta', scope: 'global', rows: 1, bytes: 9, encryptedRows: 0 },
      ]);
      expect(await store.stats({ extensionId: 'acme.beta' })).toEqual([{ extensionId: 'acme.beta', scope: 'global', rows: 1, bytes: 9, encryptedRows: 0 }]);
      expect(await store.stats({ extensionId: 'acme.none' })).toEqual([]);
      expect((await errorOf(store.stats({ extensionId: 'Not An Id' }))).code).toBe('VALIDATION');
    });
  });
}
