/**
 * Routing: which of the API's routes a URL path names. Paths are matched on their raw (percent-encoded)
 * segments and decoded one by one, so a key may hold `/` either as is or as `%2F`. Names are only
 * decoded here; their rules are the library's own (a bad extension id or key is its `VALIDATION`).
 * @module
 */
import { HttpError } from './responses.js';

/** Which scope a route addresses. */
export type ScopeRoute = { readonly kind: 'global' } | { readonly kind: 'user' } | { readonly kind: 'resource'; readonly type: string; readonly id: string };

/** A matched route. `key` is `null` for a listing. */
export type Route =
  | { readonly kind: 'openapi' }
  | { readonly kind: 'storage'; readonly extensionId: string; readonly scope: ScopeRoute; readonly key: string | null };

/** The methods each kind of route answers, for `405` and its `Allow` header. */
export const LIST_METHODS = 'GET, HEAD';
export const ENTRY_METHODS = 'GET, HEAD, PUT, DELETE';

/**
 * A base path as routes compare it: `''` for the root, else `/segments` without a trailing slash.
 * @throws `TypeError` for a base path that is not `/`-prefixed.
 */
export function normalizeBasePath(basePath: string): string {
  if (typeof basePath !== 'string' || (basePath !== '' && !basePath.startsWith('/')) || /[?#\s]/.test(basePath)) {
    throw new TypeError(`"basePath" expected a path such as "/api/v1/extensions", got ${typeof basePath === 'string' ? JSON.stringify(basePath) : typeof basePath}`);
  }
  return basePath.replace(/\/+$/, '');
}

/**
 * The route `pathname` names under `basePath`: `null` when the path is not under it (another handler's),
 * a `Route` when it is one of the API's.
 * @throws `HttpError` 404 for an unknown path under the base path, 400 for a malformed percent-encoding.
 */
export function matchRoute(pathname: string, basePath: string): Route | null {
  if (!pathname.startsWith(basePath) || (pathname.length > basePath.length && pathname[basePath.length] !== '/')) return null;
  const rest = pathname.slice(basePath.length + 1);
  if (rest === 'storage/openapi.json') return { kind: 'openapi' };
  const segments = rest.split('/');
  // publisher / name / storage / persistent / scope…
  if (segments.length < 5 || segments[2] !== 'storage' || segments[3] !== 'persistent') throw notFound();
  const extensionId = `${decode(segments[0]!)}.${decode(segments[1]!)}`;
  const kind = segments[4];
  let keyAt: number;
  let scope: ScopeRoute;
  if (kind === 'global' || kind === 'user') {
    scope = { kind };
    keyAt = 5;
  } else if (kind === 'resources' && segments.length >= 7) {
    scope = { kind: 'resource', type: decode(segments[5]!), id: decode(segments[6]!) };
    keyAt = 7;
  } else {
    throw notFound();
  }
  // `…/global` and `…/global/` list; anything after the scope's slash is the key, slashes included.
  const raw = segments.slice(keyAt).join('/');
  return { kind: 'storage', extensionId, scope, key: raw === '' ? null : decode(raw) };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'VALIDATION', 'the path expected valid percent-encoding (UTF-8), got a malformed escape');
  }
}

function notFound(): HttpError {
  return new HttpError(404, 'NOT_FOUND', 'no such route under the storage API');
}
