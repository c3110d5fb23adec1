/**
 * Property: any interleaving of writes, deletes and reads across extensions, users and resources
 * agrees with a plain in-memory model of the storage.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ExtensionStorageError, type EntryInfo, type ExtensionStorage, type ScopeHandle } from '../../src/index.js';
import { byUtf8 } from './ordering.cases.js';
import type { SuiteContext } from './suite.js';

const SCOPES = ['global', 'user:1', 'user:2', 'resource:chart:1', 'resource:chart:2', 'resource:dashboard:1'] as const;
const KEYS = ['a', 'A', 'a/b', 'a b', 'b', 'é', 'e\u0301', '😀', '%', '_x'];

const operation = fc.record({
  kind: fc.constantFrom('set', 'set', 'set', 'delete', 'get', 'list', 'count'),
  extension: fc.constantFrom('a', 'b'),
  scope: fc.constantFrom(...SCOPES),
  key: fc.constantFrom(...KEYS),
  value: fc.uint8Array({ maxLength: 8 }),
  category: fc.constantFrom(undefined, 'x', 'y'),
  limit: fc.integer({ min: 1, max: 4 }),
});

interface ModelEntry {
  value: Uint8Array;
  version: number;
  category: string | null;
}

let run = 0;

export function modelCases({ storage, test, name }: SuiteContext): void {
  const numRuns = name.startsWith('sqlite') ? 60 : 15;
  describe('model', () => {
    test('random interleavings agree with an in-memory model', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (operations) => {
          run++;
          const s = storage();
          const model = new Map<string, Map<string, ModelEntry>>();
          const handle = (extension: string, scope: string): ScopeHandle => {
            const [kind, a, b] = scope.split(':');
            const ext = s.extension(`model${run}.${extension}`, kind === 'user' ? { user: { id: Number(a) } } : {});
            return kind === 'global' ? ext.global : kind === 'user' ? ext.user : ext.resource(a!, b!);
          };
          for (const op of operations) {
            const space = `${op.extension}|${op.scope}`;
            const entries = model.get(space) ?? new Map<string, ModelEntry>();
            model.set(space, entries);
            const scope = handle(op.extension, op.scope);
            const matching = [...entries.entries()]
              .filter(([, entry]) => op.category === undefined || entry.category === op.category)
              .map(([key]) => key)
              .sort(byUtf8);
            switch (op.kind) {
              case 'set': {
                const info = await scope.set(op.key, op.value, { category: op.category ?? null });
                const version = (entries.get(op.key)?.version ?? 0) + 1;
                entries.set(op.key, { value: op.value, version, category: op.category ?? null });
                expect(info.version).toBe(version);
                break;
              }
              case 'delete':
                expect(await scope.delete(op.key)).toBe(entries.delete(op.key));
                break;
              case 'get': {
                const entry = await scope.get(op.key);
                const expected = entries.get(op.key);
                expect(entry === null ? null : { value: entry.value, version: entry.version, category: entry.category }).toEqual(
                  expected ?? null,
                );
                break;
              }
              case 'list': {
                const keys: string[] = [];
                let cursor: string | null = null;
                do {
                  const page = await scope.list({ limit: op.limit, cursor, ...(op.category ? { category: op.category } : {}) });
                  keys.push(...page.items.map((item) => item.key));
                  cursor = page.nextCursor;
                } while (cursor !== null);
                expect(keys).toEqual(matching);
                break;
              }
              case 'count':
                expect(await scope.count(op.category ? { category: op.category } : {})).toBe(matching.length);
                break;
            }
          }
        }),
        { numRuns },
      );
    }, 120_000);

    test('random interleavings of conditional writes, updates, increments, batches and transactions agree with a model', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(writeOperation, { minLength: 1, maxLength: 30 }), async (operations) => {
          run++;
          await checkWrites(storage(), `writes${run}.model`, operations);
        }),
        { numRuns: name.startsWith('sqlite') ? 150 : 25 },
      );
    }, 180_000);
  });
}

const WRITE_KEYS = ['a', 'b'];
const writeKey = fc.constantFrom(...WRITE_KEYS);
const writeValue = fc.constantFrom('1', '-3', '007', 'x', '', '12.5');
const versionDelta = fc.integer({ min: -1, max: 1 });
const writeOperation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: writeKey, value: writeValue, condition: fc.constantFrom('none', 'ifAbsent', 'ifVersion', 'ifMatch'), versionDelta, pick: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), key: writeKey, condition: fc.constantFrom('none', 'ifVersion', 'ifMatch'), versionDelta, pick: fc.nat() }),
  fc.record({ kind: fc.constant('update' as const), key: writeKey, suffix: fc.constantFrom('', '1', 'z') }),
  fc.record({ kind: fc.constant('increment' as const), key: writeKey, by: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant('getMany' as const), keys: fc.array(writeKey, { maxLength: 4 }) }),
  fc.record({
    kind: fc.constant('setMany' as const),
    entries: fc.uniqueArray(fc.record({ key: writeKey, value: writeValue, ifAbsent: fc.boolean() }), { selector: (entry) => entry.key, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('deleteMany' as const), keys: fc.array(writeKey, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('transaction' as const), writes: fc.array(fc.record({ key: writeKey, value: writeValue }), { maxLength: 3 }), fail: fc.boolean() }),
);
type WriteOperation = typeof writeOperation extends fc.Arbitrary<infer T> ? T : never;

/** An entry of the model: its value, version, and generation (a new one each time the key is created). */
interface Counted {
  value: string;
  version: number;
  generation: number;
}

const INTEGER = /^-?[0-9]{1,16}$/;

async function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string; currentVersion?: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (!(error instanceof ExtensionStorageError)) throw error;
    return { ok: false, code: error.code, currentVersion: (error as { currentVersion?: unknown }).currentVersion };
  }
}

async function checkWrites(storage: ExtensionStorage, extensionId: string, operations: WriteOperation[]): Promise<void> {
  const scope = storage.extension(extensionId).global;
  const model = new Map<string, Counted>();
  let generations = 0;
  /** Every etag seen, with the entry it named (generation -1: an entry that never existed). */
  const etags: { key: string; etag: string; generation: number; version: number }[] = [];
  const written = (key: string, value: string) => {
    const current = model.get(key);
    const next = { value, version: (current?.version ?? 0) + 1, generation: current?.generation ?? ++generations };
    model.set(key, next);
    return next;
  };
  const remember = (info: EntryInfo, generation = model.get(info.key)!.generation) =>
    etags.push({ key: info.key, etag: info.etag, generation, version: info.version });
  const conflictOf = (key: string) => ({ ok: false, code: 'CONFLICT', currentVersion: model.get(key)?.version ?? null });
  /** The condition of a set or delete, and whether the model's entry meets it. */
  const condition = (op: { key: string; condition: string; versionDelta: number; pick: number }) => {
    const current = model.get(op.key);
    if (op.condition === 'ifAbsent') return { options: { ifAbsent: true }, holds: current === undefined };
    if (op.condition === 'ifVersion') {
      const version = Math.max(1, (current?.version ?? 1) + op.versionDelta);
      return { options: { ifVersion: version }, holds: current?.version === version };
    }
    const known = etags.filter((tag) => tag.key === op.key);
    if (op.condition === 'ifMatch' && known.length > 0) {
      const tag = known[op.pick % known.length]!;
      return { options: { ifMatch: tag.etag }, holds: current?.generation === tag.generation && current.version === tag.version };
    }
    return { options: {}, holds: true };
  };

  for (const op of operations) {
    switch (op.kind) {
      case 'set': {
        const { options, holds } = condition(op);
        const result = await outcome(scope.set(op.key, op.value, options));
        if (!holds) expect(result).toEqual(conflictOf(op.key));
        else {
          const next = written(op.key, op.value);
          expect(result.ok && result.value.version).toBe(next.version);
          if (result.ok) remember(result.value);
        }
        break;
      }
      case 'delete': {
        const { options, holds } = condition(op);
        const result = await outcome(scope.delete(op.key, options));
        const conditional = 'ifVersion' in options || 'ifMatch' in options;
        if (!holds || (conditional && !model.has(op.key))) expect(result).toEqual(conflictOf(op.key));
        else expect(result).toEqual({ ok: true, value: model.delete(op.key) });
        break;
      }
      case 'update': {
        const info = await scope.update(op.key, (entry) => (entry ? Buffer.from(entry.value).toString() : '') + op.suffix);
        const next = written(op.key, (model.get(op.key)?.value ?? '') + op.suffix);
        expect(info.version).toBe(next.version);
        remember(info);
        break;
      }
      case 'increment': {
        const current = model.get(op.key);
        const result = await outcome(scope.increment(op.key, op.by));
        if (current !== undefined && !INTEGER.test(current.value)) expect(result).toEqual({ ok: false, code: 'VALIDATION', currentVersion: undefined });
        else {
          const sum = Number(current?.value ?? 0) + op.by;
          written(op.key, String(sum));
          expect(result).toEqual({ ok: true, value: sum });
        }
        break;
      }
      case 'getMany': {
        const entries = await scope.getMany(op.keys);
        expect(entries.map((entry) => (entry ? [Buffer.from(entry.value).toString(), entry.version] : null))).toEqual(
          op.keys.map((key) => (model.has(key) ? [model.get(key)!.value, model.get(key)!.version] : null)),
        );
        break;
      }
      case 'setMany': {
        const result = await outcome(scope.setMany(op.entries.map(({ key, value, ifAbsent }) => ({ key, value, ifAbsent }))));
        const blocked = op.entries.find((entry) => entry.ifAbsent && model.has(entry.key));
        if (blocked) expect(result).toMatchObject({ ok: false, code: 'CONFLICT' });
        else {
          const versions = op.entries.map((entry) => written(entry.key, entry.value).version);
          expect(result.ok && result.value.map((info) => info.version)).toEqual(versions);
          if (result.ok) result.value.forEach((info) => remember(info));
        }
        break;
      }
      case 'deleteMany': {
        const removed = new Set(op.keys.filter((key) => model.has(key))).size;
        expect(await scope.deleteMany(op.keys)).toBe(removed);
        for (const key of op.keys) model.delete(key);
        break;
      }
      case 'transaction': {
        const infos: EntryInfo[] = [];
        const tx = await outcome(
          storage.transaction(async (transaction) => {
            const txScope = transaction.extension(extensionId).global;
            for (const write of op.writes) infos.push(await txScope.set(write.key, write.value));
            if (op.fail) throw new ExtensionStorageError('VALIDATION', 'rolled back on purpose');
          }),
        );
        expect(tx.ok).toBe(!op.fail);
        // A rolled-back write leaves no trace: on an entry that existed (same uuid) its etag names whichever
        // write of that version commits next (documented); on an entry it created, nothing ever again.
        if (op.fail) infos.forEach((info) => remember(info, model.get(info.key)?.generation ?? -1));
        else
          for (const [index, write] of op.writes.entries()) {
            expect(infos[index]!.version).toBe(written(write.key, write.value).version);
            remember(infos[index]!);
          }
        break;
      }
    }
  }
}

