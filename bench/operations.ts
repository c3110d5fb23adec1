/**
 * The four operations every database section measures (get, 1 KiB upsert, first and last list page),
 * run for a set of stores through the harness. The two list pages are measured in one interleaved run,
 * so that "last page vs first page" compares figures taken side by side, like contenders are.
 * @module
 */
import { compare, type Contender, type MeasureOptions } from './harness.js';
import type { OperationResult } from './report.js';
import type Keyv from 'keyv';
import type { ScopeHandle } from '../src/index.js';
import { PAGE_SIZE, spread } from './workload.js';

/** Operation names, as they appear in the tables and in `rateOf`. */
export const OP = Object.freeze({
  get: 'get',
  upsert: 'upsert 1 KiB',
  firstPage: 'list page 1',
  lastPage: 'list last page',
});

/**
 * One way of storing entries. A missing operation is shown as n/a with `missing` as the reason.
 * Operations may return a promise or, for synchronous drivers, their result.
 */
export interface Store {
  readonly name: string;
  /** Reads the entry of `key`, value included. */
  readonly get?: (key: string) => unknown;
  /** Writes value number `variant` (0..3) under `key`, an existing key. */
  readonly upsert?: (key: string, variant: number) => unknown;
  /** The first page of 25 entries in key order. */
  readonly firstPage?: () => unknown;
  /** The last page of 25 entries (positioned by keyset where the store can). */
  readonly lastPage?: () => unknown;
  readonly missing?: string;
}

type Plan = readonly [operation: string, runOf: (store: Store) => Contender['run'] | undefined];

/** Measures every operation for `stores` (the first is the baseline of the ratios); keys are visited in a fixed scattered order. */
export async function measureOperations(
  stores: readonly Store[],
  keys: readonly string[],
  measure: Partial<MeasureOptions>,
): Promise<OperationResult[]> {
  const key = (i: number) => keys[spread(i, keys.length)]!;
  const groups: readonly (readonly Plan[])[] = [
    [[OP.get, ({ get }) => get && ((i) => get(key(i)))]],
    [[OP.upsert, ({ upsert }) => upsert && ((i) => upsert(key(i), i & 3))]],
    [
      [OP.firstPage, ({ firstPage }) => firstPage && (() => firstPage())],
      [OP.lastPage, ({ lastPage }) => lastPage && (() => lastPage())],
    ],
  ];
  const results: OperationResult[] = [];
  for (const plans of groups) {
    const contenders = plans.flatMap(([operation, runOf]) =>
      stores.flatMap((store) => {
        const run = runOf(store);
        return run ? [{ name: `${operation}\u0000${store.name}`, run }] : [];
      }),
    );
    const measured = await compare(contenders, measure);
    for (const [operation] of plans) {
      results.push({
        operation,
        measurements: stores.map((store) => {
          const found = measured.find((m) => m.name === `${operation}\u0000${store.name}`);
          return found ? { ...found, name: store.name } : { name: store.name, reason: store.missing ?? 'not supported' };
        }),
      });
    }
  }
  return results;
}

/** The library as a store: one scope handle; the last page continues from `endCursor`. */
export function libraryContender(name: string, scope: ScopeHandle, values: readonly Uint8Array[], endCursor: string): Store {
  return {
    name,
    get: (key) => scope.get(key),
    upsert: (key, variant) => scope.set(key, values[variant]!),
    firstPage: () => scope.list({ limit: PAGE_SIZE }),
    lastPage: () => scope.list({ limit: PAGE_SIZE, cursor: endCursor }),
  };
}

/**
 * A Keyv instance as a store. Keyv has no keyset listing: page 1 is its public iterator's first 25
 * entries, and `lastPage` runs the statement that iterator issues at the end of the table.
 */
export function keyvContender(name: string, keyv: Keyv, values: readonly Buffer[], lastPage: () => unknown): Store {
  return {
    name,
    get: (key) => keyv.get(key),
    upsert: (key, variant) => keyv.set(key, values[variant]!),
    firstPage: async () => {
      let n = 0;
      for await (const _ of keyv.iterator!(undefined)) if (++n === PAGE_SIZE) break;
    },
    lastPage,
  };
}
