/**
 * The HTTP handler: the reference's REST API over a storage, as a web-standard
 * `(request: Request) => Promise<Response | null>` that any host mounts (Hono, Next.js route handlers,
 * Bun, Deno; `node:http` and Express through `toNodeHandler`). It answers its routes and returns `null`
 * for every other path, so a host can chain it.
 * @module
 */
import type { ExtensionHandle } from '../extension.js';
import type { ScopeHandle } from '../scope.js';
import type { ExtensionStorage } from '../storage.js';
import type { User } from '../types.js';
import * as validate from '../validation.js';
import { setExpiry, type SetOptionsDraft } from './expiry.js';
import { openApiDocument } from './openapi.js';
import {
  bodyLimit,
  checkBodyHeaders,
  isEnvelope,
  matchHits,
  noneMatchHits,
  parseCondition,
  parseEnvelope,
  parseListQuery,
  parseRaw,
  readBody,
  refuseQuery,
} from './request.js';
import { ANSWER, toResponse, type Answer, type AnsweringHandler } from './answer.js';
import { baseHeaders, entityTag, entryMetadata, errorAnswer, HttpError, json, type ErrorContext } from './responses.js';
import { ENTRY_METHODS, LIST_METHODS, matchRoute, normalizeBasePath, type Route, type ScopeRoute } from './routes.js';

/** Options of `createStorageHandler`. */
export interface StorageHandlerOptions {
  /** Where the API is mounted, e.g. `/api/v1/extensions` (default: the root). */
  readonly basePath?: string;
  /**
   * The caller's user, or `null`/`undefined` when the request carries none (answered 401). Every storage
   * route needs a user; the OpenAPI document does not. A throw is answered 503 (and told to `onError`).
   */
  readonly authenticate: (request: Request) => User | null | undefined | Promise<User | null | undefined>;
  /**
   * Asked before any work of an unsafe method (PUT, DELETE), e.g. a CSRF check of a cookie session:
   * only `true` lets the request go on; anything else is answered 403, a throw 503.
   */
  readonly verifyRequest?: (request: Request) => boolean | Promise<boolean>;
  /** Told of every failure answered 503 (the database, a key that does not decrypt, a hook that threw), for the host's logs. */
  readonly onError?: (error: unknown, request: Request) => void;
}

/** The handler: a `Response` for the API's routes, `null` for any other path. */
export type StorageHandler = ((request: Request) => Promise<Response | null>) & AnsweringHandler;

/** What the handler knows of the request being answered, for the mapping of its errors. */
type RequestContext = { -readonly [K in keyof ErrorContext]: ErrorContext[K] };

/**
 * The API's handler over `storage`.
 * @example
 * const handle = createStorageHandler(storage, { basePath: '/api/v1/extensions', authenticate: (req) => sessionUser(req) });
 * http.createServer(toNodeHandler(handle)).listen(8080);
 * @throws `TypeError` for a `basePath` that does not start with `/`, or a hook that is not a function.
 */
export function createStorageHandler(storage: ExtensionStorage, options: StorageHandlerOptions): StorageHandler {
  const basePath = normalizeBasePath(options.basePath ?? '');
  const { authenticate, verifyRequest, onError } = options;
  if (typeof authenticate !== 'function') throw new TypeError('"authenticate" expected a function (request) => user | null');
  if (verifyRequest !== undefined && typeof verifyRequest !== 'function') throw new TypeError('"verifyRequest" expected a function (request) => boolean');
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError('"onError" expected a function (error, request) => void');
  let openApi: string | undefined;

  async function answer(route: Route, request: Request, url: URL, context: RequestContext): Promise<Answer> {
    const { method } = request;
    if (route.kind === 'openapi') {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(LIST_METHODS);
      openApi ??= JSON.stringify(openApiDocument({ basePath }));
      const headers = baseHeaders('application/json; charset=utf-8');
      headers['cache-control'] = 'no-cache';
      return { status: 200, headers, body: method === 'HEAD' ? null : openApi };
    }
    const listing = route.key === null;
    if (listing ? method !== 'GET' && method !== 'HEAD' : method !== 'GET' && method !== 'HEAD' && method !== 'PUT' && method !== 'DELETE') {
      throw methodNotAllowed(listing ? LIST_METHODS : ENTRY_METHODS);
    }
    if ((method === 'PUT' || method === 'DELETE') && verifyRequest !== undefined && (await verifyRequest(request)) !== true) {
      throw new HttpError(403, 'FORBIDDEN', 'the request failed the host\'s verification (e.g. its CSRF check)');
    }
    const user = await authenticate(request);
    if (user === null || user === undefined) throw new HttpError(401, 'UNAUTHENTICATED', 'the request carries no authenticated user');
    const extensionId = validate.extensionId(route.extensionId); // the client's URL: a 400 when malformed
    let ext: ExtensionHandle;
    try {
      ext = storage.extension(extensionId, { user });
    } catch (error) {
      // What is left to refuse is the user: the host's hook returned one the storage cannot take (its bug,
      // never the client's), so the host hears of it through onError and the client gets a 503.
      throw new Error('"authenticate" returned a user the storage refuses', { cause: error });
    }
    const scope = scopeHandle(ext, route.scope);
    if (route.key === null) return withoutBodyFor(method, await list(scope, url));
    switch (method) {
      case 'PUT':
        context.writing = true;
        return put(scope, route.key, request, url, storage.maxValueBytes, context);
      case 'DELETE':
        return remove(scope, route.key, request, url);
      default:
        return read(scope, route.key, request, url);
    }
  }

  const answerFor = async (request: Request): Promise<Answer | null> => {
    const context: RequestContext = { conflictStatus: 412, writing: false, onError, request };
    try {
      const url = new URL(request.url);
      const route = matchRoute(url.pathname, basePath);
      if (route === null) return null;
      return await answer(route, request, url, context);
    } catch (error) {
      return errorAnswer(error, context);
    }
  };
  const handler = async (request: Request): Promise<Response | null> => {
    const answer = await answerFor(request);
    return answer === null ? null : toResponse(answer);
  };
  return Object.assign(handler, { [ANSWER]: answerFor });
}

function scopeHandle(ext: ExtensionHandle, scope: ScopeRoute): ScopeHandle {
  return scope.kind === 'global' ? ext.global : scope.kind === 'user' ? ext.user : ext.resource(scope.type, scope.id);
}

const HEADER_SAFE = /^[\t\x20-\x7e]*$/;

/**
 * `GET …/{key}`: the raw bytes with their type, `ETag` and `Last-Modified`; 304 when `If-None-Match`
 * names it, 412 when `If-Match` names another entry or version.
 */
async function read(scope: ScopeHandle, key: string, request: Request, url: URL): Promise<Answer> {
  refuseQuery(url.searchParams);
  const entry = await scope.get(key);
  const ifMatch = request.headers.get('if-match');
  // RFC 9110 §13.1.1: a false If-Match is 412 for a read too (and it is false when there is no entry).
  if (ifMatch !== null && (entry === null || !matchHits(ifMatch, entityTag(entry)))) {
    throw new HttpError(412, 'PRECONDITION_FAILED', '"If-Match": the entry is not the one tagged');
  }
  if (entry === null) throw notFound();
  const tag = entityTag(entry);
  const headers = baseHeaders();
  headers.etag = tag;
  headers['last-modified'] = entry.updatedAt.toUTCString();
  // An encrypted value is secret at rest: no cache keeps a copy. Others may be kept, privately, and revalidated.
  headers['cache-control'] = entry.encrypted ? 'no-store' : 'private, no-cache';
  const ifNoneMatch = request.headers.get('if-none-match');
  if (ifNoneMatch !== null && noneMatchHits(ifNoneMatch, tag)) return { status: 304, headers, body: null };
  // A value type with characters a header cannot carry (a quoted non-ASCII parameter) is served as bytes.
  headers['content-type'] = HEADER_SAFE.test(entry.valueType) ? entry.valueType : 'application/octet-stream';
  headers['content-length'] = String(entry.value.byteLength);
  // A stored text/html or SVG must never run as a page of the host's origin when opened directly.
  headers['content-security-policy'] = "default-src 'none'; sandbox";
  headers['content-disposition'] = 'attachment';
  return { status: 200, headers, body: request.method === 'HEAD' ? null : entry.value };
}

/** `PUT …/{key}`: the reference's JSON body or a raw one; 201 when created, 200 when replaced. */
async function put(scope: ScopeHandle, key: string, request: Request, url: URL, maxValueBytes: number, context: RequestContext): Promise<Answer> {
  const condition = parseCondition(request.headers, 'PUT');
  checkBodyHeaders(request.headers);
  const contentType = request.headers.get('content-type')!;
  const envelope = isEnvelope(contentType);
  const bytes = await readBody(request, bodyLimit(maxValueBytes, envelope));
  if (envelope) refuseQuery(url.searchParams);
  const body = envelope ? parseEnvelope(bytes) : parseRaw(bytes, contentType, url.searchParams);
  const options: SetOptionsDraft = { valueType: body.valueType, category: body.category, description: body.description, encrypt: body.encrypt };
  if (condition.kind === 'absent') {
    options.ifAbsent = true;
    context.conflictStatus = 409;
  } else if (condition.kind === 'match') {
    if (condition.etag === null) throw preconditionFailed();
    options.ifMatch = condition.etag;
  }
  if (body.ttl !== null) setExpiry(options, body.ttl);
  const info = await scope.set(key, body.value, options);
  return json(info.version === 1 ? 201 : 200, entryMetadata(info), { etag: entityTag(info) });
}

/** `DELETE …/{key}`: 204, 404 when there is none; with `If-Match`, only the entry tagged (else 412). */
async function remove(scope: ScopeHandle, key: string, request: Request, url: URL): Promise<Answer> {
  refuseQuery(url.searchParams);
  const condition = parseCondition(request.headers, 'DELETE');
  if (condition.kind === 'match') {
    if (condition.etag === null) throw preconditionFailed();
    await scope.delete(key, { ifMatch: condition.etag });
  } else if (!(await scope.delete(key))) {
    throw notFound();
  }
  return { status: 204, headers: baseHeaders(), body: null };
}

/**
 * `GET …/`: one page of metadata, the count of all matching entries, and the cursor of the next page.
 * The reference's `page` is reached by walking the cursor past `page × page_size` entries, up to 1,000
 * at a query: its cost grows with its depth, which is why it is capped.
 */
async function list(scope: ScopeHandle, url: URL): Promise<Answer> {
  const query = parseListQuery(url.searchParams);
  const { category, prefix } = query;
  let cursor = query.cursor ?? null;
  let past = false;
  for (let skip = query.page * query.pageSize; skip > 0 && !past; ) {
    const step = Math.min(skip, 1000);
    cursor = (await scope.list({ category, prefix, limit: step, cursor })).nextCursor;
    skip -= step;
    past = cursor === null;
  }
  const [page, count] = await Promise.all([
    past ? { items: [], nextCursor: null } : scope.list({ category, prefix, limit: query.pageSize, cursor }),
    scope.count({ category, prefix }),
  ]);
  return json(200, { count, result: page.items.map(entryMetadata), next_cursor: page.nextCursor });
}

function withoutBodyFor(method: string, answer: Answer): Answer {
  return method === 'HEAD' ? { status: answer.status, headers: answer.headers, body: null } : answer;
}

function methodNotAllowed(allow: string): HttpError {
  return new HttpError(405, 'METHOD_NOT_ALLOWED', `this route answers ${allow}`, { allow });
}

function notFound(): HttpError {
  return new HttpError(404, 'NOT_FOUND', 'no entry with this key');
}

function preconditionFailed(): HttpError {
  return new HttpError(412, 'PRECONDITION_FAILED', '"If-Match": the entry is not the one tagged; nothing was written');
}
