/**
 * Integrity and secrecy: what is stored comes back unchanged through every helper, or is refused
 * before anything is written; nothing stored leaves through an error; returned bytes share no memory.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ExtensionStorageError, type ScopeHandle } from '../../src/index.js';
import type { StandardSchemaV1 } from '../../src/standard-schema.js';
import type { SuiteContext } from './suite.js';

async function failure(promise: Promise<unknown>): Promise<ExtensionStorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtensionStorageError);
  return error as ExtensionStorageError;
}

/** Every way a stored text could show in an error: as text, UTF-8 bytes in decimal, or hex. */
function traces(text: string): string[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [text, bytes.join(','), bytes.join(', '), Buffer.from(text, 'utf8').toString('hex'), JSON.stringify(text)];
}

/** A Standard Schema (as valibot's) whose messages quote the value received. */
const echoing: StandardSchemaV1<unknown, { pin: number }> = {
  '~standard': {
    version: 1,
    vendor: 'echo',
    validate: (input) => {
      const pin = (input as { pin?: unknown } | null)?.pin;
      return typeof pin === 'number'
        ? { value: { pin } }
        : { issues: [{ message: `Invalid type: Expected number but received ${JSON.stringify(pin)}`, path: ['pin'] }, { message: `Whole input ${JSON.stringify(input)} is wrong` }] };
    },
  },
};

/** Code points of every kind: ASCII, BMP, astral, U+FEFF, U+FFFD, controls and lone surrogates. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\uFEFF', '\uFFFD', '\ud800', '\udfff', '\u0000', '\u001f', '%', '_', '\\', "'", '"', '😀'),
    fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
  ),
  maxLength: 12,
});
/** Text every field accepts, often starting with U+FEFF: most runs then reach the database. */
const acceptedText = fc
  .tuple(
    fc.boolean(),
    fc.string({
      unit: fc
        .integer({ min: 0x20, max: 0x10ffff })
        .filter((code) => !(code >= 0x7f && code <= 0x9f) && !(code >= 0xd800 && code <= 0xdfff))
        .map((code) => String.fromCodePoint(code)),
      minLength: 1,
      maxLength: 12,
    }),
  )
  .map(([bom, text]) => (bom ? `\uFEFF${text}` : text));
const fieldText = fc.oneof({ weight: 4, arbitrary: acceptedText }, { weight: 1, arbitrary: anyText });

export function integrityCases({ storage, dialect, test }: SuiteContext): void {
  describe('integrity', () => {
    test('text comes back exactly: a leading U+FEFF is kept', async () => {
      const ext = storage({ encryptionKeys: 'k' }).extension('acme.text');
      for (const encrypt of [false, true]) {
        await ext.global.set('bom', '\uFEFFabc', { encrypt });
        expect(await ext.global.getText('bom')).toBe('\uFEFFabc');
        await ext.global.setJSON('json', '\uFEFF', { encrypt });
        expect(await ext.global.getJSON('json')).toBe('\uFEFF');
      }
      // Rotation derives each row's key from the identity it reads back: a U+FEFF lost there would
      // leave the row unopenable by the new key, counted as failed.
      const user = storage({ encryptionKeys: 'k' }).extension('acme.text', { user: { id: '\uFEFFu' } });
      await user.resource('doc', '\uFEFFr').set('\uFEFFkey', 'bound to a U+FEFF identity', { encrypt: true });
      expect(await storage({ encryptionKeys: ['k2', 'k'] }).rotateKeys()).toMatchObject({ failed: 0 });
      const rotated = storage({ encryptionKeys: 'k2' }).extension('acme.text', { user: { id: '\uFEFFu' } });
      expect(await rotated.resource('doc', '\uFEFFr').getText('\uFEFFkey')).toBe('bound to a U+FEFF identity');
      expect(await rotated.global.getText('bom')).toBe('\uFEFFabc');
    });

    test('a lone surrogate in any stored text is refused, naming the field, before anything is written', async () => {
      const ext = storage().extension('acme.text', { user: { id: 'u' } });
      const cases: [string, () => Promise<unknown>][] = [
        ['valueType', () => ext.global.set('k', 'v', { valueType: 'text/plain; x="\ud800"' })],
        ['category', () => ext.global.set('k', 'v', { category: 'c\udc00' })],
        ['description', () => ext.global.set('k', 'v', { description: '\ud800' })],
        ['value', () => ext.global.set('k', 'a\udfffb')],
        ['key', () => ext.global.set('k\ud800', 'v')],
        ['user.id', async () => storage().extension('acme.text', { user: { id: '\ud800' } }).user.set('k', 'v')],
        ['resourceId', async () => ext.resource('doc', 'r\ud800').set('k', 'v')],
      ];
      for (const [field, attempt] of cases) {
        const error = await failure(attempt());
        expect(error.code, field).toBe('VALIDATION');
        expect(error.message, field).toContain(`"${field}"`);
      }
      expect(await ext.global.count()).toBe(0);
    });

    test('a cursor made by hand must hold a valid key', async () => {
      const ext = storage().extension('acme.cursor');
      for (let i = 0; i < 3; i++) await ext.global.set(`k${i}`, 'v');
      // The cursor of a genuine page, with its key replaced (the fingerprint still matches).
      const page = await ext.global.list({ limit: 1 });
      const genuine = JSON.parse(Buffer.from(page.nextCursor!, 'base64url').toString()) as [number, string, string];
      const cursor = (key: string) => Buffer.from(JSON.stringify([genuine[0], genuine[1], key])).toString('base64url');
      for (const key of ['a\u0000b', '\ud800', 'x'.repeat(300), '']) {
        const error = await failure(ext.global.list({ cursor: cursor(key) }));
        expect(error.code, JSON.stringify(key)).toBe('VALIDATION');
        expect(error.message).toContain('"cursor"');
      }
      expect((await ext.global.list({ cursor: cursor('k0') })).items.map((item) => item.key)).toEqual(['k1', 'k2']);
    });

    test('returned bytes own their memory', async () => {
      const ext = storage({ encryptionKeys: 'k' }).extension('acme.bytes');
      for (const encrypt of [false, true]) {
        await ext.global.set(`v${encrypt}`, new Uint8Array([1, 2, 3]), { encrypt });
        await ext.global.set(`t${encrypt}`, 'abc', { encrypt });
        for (const key of [`v${encrypt}`, `t${encrypt}`]) {
          const entry = await ext.global.get(key);
          const value = (await ext.global.getValue(key))!;
          for (const bytes of [entry!.value, value]) {
            expect(bytes.constructor).toBe(Uint8Array);
            expect(bytes.byteOffset).toBe(0);
            expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
            expect(bytes.buffer).toBeInstanceOf(ArrayBuffer);
          }
          // Usable as a Response body as is.
          expect(new Uint8Array(await new Response(value).arrayBuffer())).toEqual(value);
        }
      }
    });

    test('a schema mismatch names the failing path, never the value', async () => {
      const ext = storage({ encryptionKeys: 'k' }).extension('acme.schema');
      await ext.global.setJSON('pin', { pin: 'secret-pin-4711' }, { encrypt: true });
      const error = await failure(ext.global.getJSON('pin', { schema: echoing }));
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toContain('pin');
      expect(inspect(error, { depth: null })).not.toContain('secret-pin-4711');
      await expect(ext.global.setJSON('other', { pin: 'another-secret' } as never, { schema: echoing })).rejects.toThrow(/pin/);
      const set = await failure(ext.global.setJSON('other', { pin: 'another-secret' } as never, { schema: echoing }));
      expect(inspect(set, { depth: null })).not.toContain('another-secret');
    });

    test('nothing stored appears in the chain of a database error', async () => {
      const s = storage({ encryptionKeys: 'a long secret for the error test' });
      const stored = {
        value: 'value-text-hunter2',
        key: 'key-private-77',
        description: 'description-private-88',
        category: 'category-private',
        user: 'user-private-99',
      };
      const ext = s.extension('acme.errors', { user: { id: stored.user } });
      await s.migrateDown();
      try {
        const attempts: (() => Promise<unknown>)[] = [
          () => ext.user.set(stored.key, stored.value, { description: stored.description, category: stored.category }),
          () => ext.user.set(stored.key, stored.value, { description: stored.description, category: stored.category, encrypt: true }),
          () => ext.user.get(stored.key),
          () => ext.user.delete(stored.key),
          () => ext.user.list({ prefix: stored.key, category: stored.category }),
          () => ext.user.count({ prefix: stored.key }),
          () => s.rotateKeys(),
        ];
        for (const attempt of attempts) {
          const error = await failure(attempt());
          expect(error.code).toBe('NOT_MIGRATED'); // the table is gone: a driver error the library names
          const printed = inspect(error, { depth: null, showHidden: true });
          for (const text of Object.values(stored)) for (const trace of traces(text)) expect(printed).not.toContain(trace);
          expect(error.cause).toBeInstanceOf(Error);
        }
      } finally {
        await s.migrate();
      }
      await ext.user.set(stored.key, stored.value);
      expect(await ext.user.getText(stored.key)).toBe(stored.value);
    });

    test('every text field round-trips unchanged through every helper, or is refused (property)', async () => {
      const s = storage({ encryptionKeys: 'property secret' });
      const dialectName = dialect().name;
      let n = 0;
      let stored = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({ key: fieldText, value: fieldText, category: fieldText, description: fieldText, user: fieldText, resource: fieldText, param: fieldText, encrypt: fc.boolean() }),
          async (input) => {
            const valueType = `text/plain; x="${input.param.replace(/["\\]/g, '')}"`;
            let scope: ScopeHandle;
            try {
              // The user id is stored as created_by; the resource id as part of the scope.
              scope = s.extension(`acme.prop-${n++}`, { user: { id: input.user } }).resource('doc', input.resource);
            } catch (error) {
              expect((error as ExtensionStorageError).code).toBe('VALIDATION');
              return;
            }
            const options = { valueType, category: input.category, description: input.description, encrypt: input.encrypt };
            const written = await scope.set(input.key, input.value, options).catch((error: ExtensionStorageError) => error);
            if (written instanceof Error) {
              expect((written as ExtensionStorageError).code, `${dialectName}: ${written.message}`).toBe('VALIDATION');
              expect(await scope.count()).toBe(0);
              return;
            }
            const expected = { key: input.key, valueType, category: input.category, description: input.description, encrypted: input.encrypt };
            expect(written).toMatchObject(expected);
            expect(await scope.get(input.key)).toMatchObject({ ...expected, value: new Uint8Array(Buffer.from(input.value, 'utf8')) });
            expect(await scope.getText(input.key)).toBe(input.value);
            const page = await scope.list({ prefix: input.key, category: input.category });
            expect(page.items).toHaveLength(1);
            expect(page.items[0]).toMatchObject({ ...expected, createdBy: input.user, updatedBy: input.user });
            expect(await scope.count({ prefix: input.key, category: input.category })).toBe(1);
            await scope.setJSON(input.key, { text: input.value }, options);
            expect(await scope.getJSON(input.key)).toEqual({ text: input.value });
            expect(await scope.delete(input.key)).toBe(true);
            stored++;
          },
        ),
        { numRuns: 60 },
      );
      expect(stored).toBeGreaterThan(5);
    }, 120_000);
  });
}
