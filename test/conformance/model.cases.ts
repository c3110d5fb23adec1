/**
 * Property: any interleaving of writes, deletes and reads across extensions, users and resources
 * agrees with a plain in-memory model of the storage.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import type { ScopeHandle } from '../../src/index.js';
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
  });
}
