/**
 * The workload every section shares: key names, the order in which operations visit keys, the 1 KiB
 * values, and the cursor that positions a listing on the last page.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { ScopeHandle } from '../src/index.js';

/** Entries on a page, as the issue asks. */
export const PAGE_SIZE = 25;
/** Bytes of every stored value. */
export const VALUE_BYTES = 1024;
/** The extension every section stores under. */
export const EXTENSION_ID = 'bench.ext';

/** `k/000042`: fixed width, so key order is numeric order. */
export function keyName(n: number): string {
  return `k/${String(n).padStart(6, '0')}`;
}

/** The names of keys `0..count-1`, built once so that timing loops do not build strings. */
export function keyNames(count: number): string[] {
  return Array.from({ length: count }, (_, n) => keyName(n));
}

/**
 * The key index of the `i`-th operation: a fixed permutation of `0..count-1` (multiplication by a prime
 * that divides no power of ten), so consecutive operations touch keys far apart and every contender
 * visits the same keys in the same order.
 */
export function spread(i: number, count: number): number {
  return (i * 48_271) % count;
}

/** A few different 1 KiB values to cycle through, as Buffers (drivers) and as plain Uint8Arrays (the library's callers). */
export function values(variants = 4): { buffers: Buffer[]; plain: Uint8Array[] } {
  const buffers = Array.from({ length: variants }, () => randomBytes(VALUE_BYTES));
  const plain = buffers.map((b) => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  return { buffers, plain };
}

/**
 * The library's cursor that continues a listing after key `afterIndex`, reached by the public API alone:
 * pages of up to 1000 entries walked from the start.
 */
export async function cursorAfter(scope: ScopeHandle, afterIndex: number): Promise<string> {
  let cursor: string | null = null;
  let remaining = afterIndex + 1;
  while (remaining > 0) {
    const limit = Math.min(1000, remaining);
    const page: Awaited<ReturnType<ScopeHandle['list']>> = await scope.list({ limit, cursor });
    remaining -= page.items.length;
    if (page.nextCursor === null) throw new Error(`cursorAfter: the listing ended before key ${afterIndex}`);
    cursor = page.nextCursor;
  }
  return cursor as string;
}

/** Throws when a contender's answer shows it is not doing the same work as the others. */
export function expect(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`bench sanity check failed: ${what}`);
}
