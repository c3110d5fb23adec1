/**
 * Key ranges for listing. A prefix becomes the half-open range [prefix, successor(prefix)), which every
 * dialect answers from its key index and which matches `%` and `_` literally, unlike LIKE.
 * @module
 */
import type { KeyRange } from './dialect.js';

const MAX_CODE_POINT = 0x10ffff;

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order (which is
 * bytewise UTF-8 order); `null` when there is none (empty prefix, or only U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | null {
  const codePoints = Array.from(prefix, (c) => c.codePointAt(0) as number);
  while (codePoints.length > 0) {
    const last = codePoints.pop() as number;
    if (last < MAX_CODE_POINT) {
      codePoints.push(last === 0xd7ff ? 0xe000 : last + 1); // step over the surrogate block
      return String.fromCodePoint(...codePoints);
    }
  }
  return null;
}

/** The keys a listing covers: those with `prefix`, after `afterKey` when continuing from a cursor. */
export function listingRange(prefix: string, afterKey: string | null): KeyRange {
  const to = prefixSuccessor(prefix);
  return afterKey === null ? { from: prefix, fromExclusive: false, to } : { from: afterKey, fromExclusive: true, to };
}
