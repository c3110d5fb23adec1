/**
 * Opaque listing cursors. A cursor carries the last key of a page and a fingerprint of the scope and
 * filters it was made for, so a cursor passed to another listing is refused instead of misread.
 * @module
 */
import type { Scope } from './dialect.js';
import { ValidationError } from './errors.js';
import * as validate from './validation.js';

const FORMAT = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** What a cursor is bound to: the scope and the filters of the listing. */
export interface CursorContext {
  readonly scope: Scope;
  readonly category: string | null;
  readonly prefix: string;
}

/**
 * A 53-bit hash (cyrb53) of the listing's identity. It only tells cursors of different listings apart;
 * it guards nothing, since the scope of every query comes from the handle, never from the cursor.
 */
function fingerprint({ scope, category, prefix }: CursorContext): string {
  const identity = `${scope.extensionId}\u0000${scope.userId}\u0000${scope.resourceType}\u0000${scope.resourceId}\u0000${category ?? '\u0001'}\u0000${prefix}`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < identity.length; i++) {
    const unit = identity.charCodeAt(i);
    h1 = Math.imul(h1 ^ unit, 2654435761);
    h2 = Math.imul(h2 ^ unit, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** The cursor that continues a listing after `lastKey`. */
export function encodeCursor(context: CursorContext, lastKey: string): string {
  return toBase64Url(encoder.encode(JSON.stringify([FORMAT, fingerprint(context), lastKey])));
}

/** The last key of the previous page; throws `VALIDATION` for a malformed or foreign cursor. */
export function decodeCursor(context: CursorContext, cursor: unknown): string {
  const invalid = (why: string) => new ValidationError(`"cursor" expected a cursor returned by this listing, got ${why}`);
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 2048) throw invalid('a malformed cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(fromBase64Url(cursor)));
  } catch {
    throw invalid('a malformed cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== FORMAT || typeof parsed[2] !== 'string') {
    throw invalid('a malformed cursor');
  }
  if (parsed[1] !== fingerprint(context)) throw invalid('a cursor of another scope or filter');
  const lastKey: string = parsed[2];
  if (!lastKey.startsWith(context.prefix)) throw invalid('a cursor of another scope or filter');
  // A cursor is made by hand as easily as by `list`: its key must pass the rules every key passes.
  try {
    return validate.key(lastKey);
  } catch {
    throw invalid('a cursor whose key is not a valid key');
  }
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
