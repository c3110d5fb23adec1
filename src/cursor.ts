/**
 * Opaque listing cursors. A cursor carries the last key of a page and a fingerprint of the scope and
 * filters it was made for, so a cursor passed to another listing is refused instead of misread.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Scope } from './dialect.js';
import { ValidationError } from './errors.js';

const FORMAT = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** What a cursor is bound to: the scope and the filters of the listing. */
export interface CursorContext {
  readonly scope: Scope;
  readonly category: string | null;
  readonly prefix: string;
}

function fingerprint({ scope, category, prefix }: CursorContext): string {
  const identity = JSON.stringify([scope.extensionId, scope.userId, scope.resourceType, scope.resourceId, category, prefix]);
  return toBase64Url(sha256(encoder.encode(identity)).subarray(0, 12));
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
  return lastKey;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
