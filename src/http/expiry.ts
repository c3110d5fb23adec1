/**
 * Expiry over HTTP: the API speaks seconds (`ttl`) and ISO dates (`expires_on`); the library speaks
 * milliseconds and `Date`s. The one place where the two meet.
 * @module
 */
import type { EntryInfo, SetOptions } from '../types.js';

/** `SetOptions` as the handler builds them, one field at a time. */
export type SetOptionsDraft = { -readonly [K in keyof SetOptions]: SetOptions[K] };

/** Sets the `set` option of a `ttl` given in seconds (validated by the caller: a positive safe integer). */
export function setExpiry(options: SetOptionsDraft, ttlSeconds: number): void {
  options.ttl = ttlSeconds * 1000;
}

/** When the entry expires, ISO 8601, or `null` when it does not. */
export function expiresOn(info: EntryInfo): string | null {
  return info.expiresAt === null ? null : info.expiresAt.toISOString();
}
