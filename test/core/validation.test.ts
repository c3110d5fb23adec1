/**
 * Every validation rule: bad input is a typed error naming the field, and nothing is written.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { ExtensionStorage, ExtensionStorageError, ValidationError, type ScopeHandle } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';

let db: Database.Database;
let storage: ExtensionStorage;
let scope: ScopeHandle;

beforeEach(async () => {
  db = new Database(':memory:');
  storage = new ExtensionStorage({ dialect: sqlite(db) });
  await storage.migrate();
  scope = storage.extension('acme.valid').global;
});

const rows = () => (db.prepare('SELECT count(*) FROM extension_storage').pluck().get() as number);

/** Asserts a VALIDATION (or other code) error whose message names `field`, thrown sync or async. */
async function refuses(action: () => unknown, field: string, code = 'VALIDATION'): Promise<void> {
  let error: unknown;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code} for ${field}`).toBeInstanceOf(ExtensionStorageError);
  expect((error as ExtensionStorageError).code).toBe(code);
  expect((error as Error).message).toContain(`"${field}"`);
  expect(rows()).toBe(0);
}

describe('extension id', () => {
  it.each(['acme', 'Acme.ext', 'acme..ext', '.acme.ext', 'acme.ext.', 'acme.ext_1', 'acme.é', `a.${'b'.repeat(254)}`, '', 'acme ext.x'])(
    'refuses %j',
    async (id) => refuses(() => storage.extension(id), 'extensionId'),
  );
  it.each(['acme.ext', 'acme-corp.my-ext', 'a.b.c', '1.2', `a.${'b'.repeat(253)}`])('accepts %j', (id) => {
    expect(storage.extension(id).id).toBe(id);
  });
  it('refuses non-strings', async () => refuses(() => storage.extension(42 as never), 'extensionId'));
});

describe('key', () => {
  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['256 four-byte characters', '😀'.repeat(256)],
    ['a control character', 'a\nb'],
    ['NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('refuses %s', async (_, key) => {
    await refuses(() => scope.set(key, 'v'), 'key');
    await refuses(() => scope.get(key), 'key');
    await refuses(() => scope.delete(key), 'key');
  });
  it('refuses non-strings', async () => refuses(() => scope.set(7 as never, 'v'), 'key'));
  it('accepts 255 characters and spaces, refuses tabs', async () => {
    await scope.set('k'.repeat(255), 'v');
    await scope.set('with space', 'v');
    expect(rows()).toBe(2);
    await expect(scope.set('tab\there', 'v')).rejects.toThrow(ValidationError);
  });
  it('property: any well-formed key of 1..255 characters without controls round-trips', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((k) => !/[\u0000-\u001f\u007f-\u009f]/.test(k) && [...k].length <= 255),
        async (key) => {
          await scope.set(key, key);
          expect(await scope.getText(key)).toBe(key);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('resource', () => {
  const ext = () => storage.extension('acme.valid');
  it.each(['', 'Dashboard', '1chart', 'chart.x', 'a'.repeat(65), 'chart type'])('refuses the type %j', async (type) =>
    refuses(() => ext().resource(type, 1), 'resourceType'),
  );
  it.each(['', 'x'.repeat(256), 'a\tb', 1.5, -0.5, Number.MAX_SAFE_INTEGER + 1])('refuses the id %j', async (id) =>
    refuses(() => ext().resource('chart', id as string), 'resourceId'),
  );
  it('accepts the longest type and id', async () => {
    await ext().resource('a'.repeat(64), '𝄞'.repeat(255)).set('k', 'v');
    await ext().resource('chart_x-1', 0).set('k', 'v');
    expect(rows()).toBe(2);
  });
});

describe('user', () => {
  it.each([['empty', ''], ['a control character', 'a\nb'], ['256 bytes of UTF-8', 'é'.repeat(128)], ['a fraction', 1.5], ['an unsafe integer', 2 ** 53]])(
    'refuses an id that is %s',
    async (_, id) => refuses(() => storage.extension('acme.valid', { user: { id: id as string } }), 'user.id'),
  );
  it('checks a user function at every operation', async () =>
    refuses(() => new ExtensionStorage({ dialect: sqlite(db), user: () => ({ id: '' }) }).extension('acme.valid').user.get('k'), 'user.id'));
  it('refuses a user option that is not a function', () => {
    expect(() => new ExtensionStorage({ dialect: sqlite(db), user: { id: 1 } as never })).toThrow(/"user"/);
  });
});

describe('set options', () => {
  it.each([
    ['category', { category: '' }],
    ['category', { category: 'c'.repeat(65) }],
    ['category', { category: 'a\nb' }],
    ['description', { description: 'd'.repeat(1025) }],
    ['description', { description: 'nul\u0000' }],
    ['valueType', { valueType: 'json' }],
    ['valueType', { valueType: 'text/plain; charset' }],
    ['valueType', { valueType: 'text /plain' }],
    ['valueType', { valueType: `a/${'b'.repeat(254)}` }],
    ['encrypt', { encrypt: 'yes' }],
  ])('refuses a bad %s', async (field, options) => refuses(() => scope.set('k', 'v', options as never), field));
  it('accepts the longest category and description, and parameterised MIME types', async () => {
    await refuses(() => scope.set('e', 'v', { valueType: `text/plain; x="${'😀'.repeat(240)}"` }), 'valueType');
    await scope.set('a', 'v', { category: '𝄞'.repeat(64), description: 'line\nbreak'.repeat(100).slice(0, 1024) });
    await scope.set('b', 'v', { valueType: 'text/plain; charset="utf-8"; format=flowed' });
    await scope.set('c', 'v', { valueType: 'application/vnd.acme+json' });
    // 255 characters counted as code points, as keys and categories are: 239 four-byte ones in a quoted parameter.
    const astral = `text/plain; x="${'😀'.repeat(239)}"`;
    expect([...astral].length).toBe(255);
    await scope.set('d', 'v', { valueType: astral });
    expect(rows()).toBe(4);
  });
});

describe('value', () => {
  it.each([[42], [null], [undefined], [{}], [[1, 2]], ['lone \ud800 surrogate']])('refuses %j', async (value) =>
    refuses(() => scope.set('k', value as never), 'value'),
  );
  it('refuses values over the limit with VALUE_TOO_LARGE', async () => {
    const small = new ExtensionStorage({ dialect: sqlite(db), limits: { maxValueBytes: 10 } }).extension('acme.valid').global;
    await refuses(() => small.set('k', new Uint8Array(11)), 'value', 'VALUE_TOO_LARGE');
    await refuses(() => small.set('k', '€€€€'), 'value', 'VALUE_TOO_LARGE');
  });
  it('refuses a bad limit option', () => {
    expect(() => new ExtensionStorage({ dialect: sqlite(db), limits: { maxValueBytes: 0 } })).toThrow(/"limits.maxValueBytes"/);
  });
  it('refuses values JSON cannot represent', async () => refuses(() => scope.setJSON('k', undefined), 'value'));
});

describe('options objects', () => {
  it.each([null, 'x', 5, []])('refuses %j as options', async (bad) => {
    await refuses(() => scope.set('k', 'v', bad as never), 'options');
    await refuses(() => scope.setJSON('k', 1, bad as never), 'options');
    await refuses(() => scope.getJSON('k', bad as never), 'options');
    await refuses(() => scope.list(bad as never), 'options');
    await refuses(() => scope.count(bad as never), 'filter');
    await refuses(() => storage.extension('acme.valid', bad as never), 'options');
  });
});

describe('list options', () => {
  it.each([0, 1001, 2.5, '10'])('refuses the limit %j', async (limit) => refuses(() => scope.list({ limit: limit as number }), 'limit'));
  it('refuses a bad prefix, category or cursor', async () => {
    await refuses(() => scope.list({ prefix: 'p'.repeat(256) }), 'prefix');
    await refuses(() => scope.count({ prefix: 'a\nb' }), 'prefix');
    await refuses(() => scope.list({ category: '' }), 'category');
    await refuses(() => scope.list({ cursor: 42 as never }), 'cursor');
  });
});

describe('before the database', () => {
  it('validation and authentication errors come before any I/O, even on an unmigrated database', async () => {
    const bare = new ExtensionStorage({ dialect: sqlite(new Database(':memory:')) }).extension('acme.valid');
    await expect(bare.user.get('k')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(bare.global.set('', 'v')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(bare.global.get('k')).rejects.toMatchObject({ code: 'NOT_MIGRATED' });
  });
  it('refuses a missing dialect', () => {
    expect(() => new ExtensionStorage({} as never)).toThrow(ValidationError);
  });
});

describe('options that may hold a secret', () => {
  it('a secret put in the wrong option is never echoed', async () => {
    const secret = 'a-secret-in-the-wrong-option';
    const attempts: [string, () => unknown][] = [
      ['encryptionKeyBinding', () => new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: 'k', encryptionKeyBinding: secret as never })],
      ['cryptoBackend', () => new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: 'k', cryptoBackend: secret as never })],
    ];
    for (const [field, attempt] of attempts) {
      await refuses(attempt, field);
      expect(() => attempt()).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
    }
  });
});
