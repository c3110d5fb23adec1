/**
 * Responses of the HTTP handler: JSON bodies, an entry's metadata in the reference's field names, and
 * the mapping of every error to a status with `{ message, code }`. Internal failures (the database, a
 * key that does not decrypt, a bug) become a generic 503 whose message names nothing of the cause.
 * @module
 */
import { ConflictError, ExtensionStorageError, type ErrorCode } from '../errors.js';
import type { EntryInfo } from '../types.js';
import type { Answer } from './answer.js';
import { expiresOn } from './expiry.js';

/** The `code` of an error answer: the library's codes, and those only the HTTP layer has. */
export type HttpErrorCode = ErrorCode | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'PRECONDITION_FAILED' | 'UNSUPPORTED_MEDIA_TYPE' | 'UNAVAILABLE';

/** An error answer decided by the HTTP layer itself (a route, a header, a body). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(status: number, code: HttpErrorCode, message: string, headers?: Record<string, string>) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** An entry's metadata as the API returns it (list items and PUT answers). */
export interface EntryMetadata {
  readonly key: string;
  readonly uuid: string;
  /** The entity tag, quoted as in the `ETag` header: pass it as `If-Match`. */
  readonly etag: string;
  readonly value_type: string;
  readonly category: string | null;
  readonly description: string | null;
  readonly is_encrypted: boolean;
  readonly version: number;
  /** Value length in bytes. */
  readonly size: number;
  /** ISO 8601. */
  readonly created_on: string;
  /** ISO 8601. */
  readonly changed_on: string;
  /** ISO 8601, or `null` for an entry that does not expire. */
  readonly expires_on: string | null;
}

/** `"<uuid>.<version>"`: the library's etag as a strong HTTP entity tag. */
export function entityTag(info: EntryInfo): string {
  return `"${info.etag}"`;
}

export function entryMetadata(info: EntryInfo): EntryMetadata {
  return {
    key: info.key,
    uuid: info.uuid,
    etag: entityTag(info),
    value_type: info.valueType,
    category: info.category,
    description: info.description,
    is_encrypted: info.encrypted,
    version: info.version,
    size: info.size,
    created_on: info.createdAt.toISOString(),
    changed_on: info.updatedAt.toISOString(),
    expires_on: expiresOn(info),
  };
}

/** Headers every answer carries (and its content type, when given). */
export function baseHeaders(contentType?: string): Record<string, string> {
  return contentType === undefined ? { 'x-content-type-options': 'nosniff' } : { 'content-type': contentType, 'x-content-type-options': 'nosniff' };
}

/** A JSON answer, never cached unless `headers` say otherwise (it may describe a user's own entries). */
export function json(status: number, body: unknown, headers: Record<string, string> = baseHeaders()): Answer {
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['x-content-type-options'] = 'nosniff';
  headers['cache-control'] ??= 'no-store';
  return { status, headers, body: JSON.stringify(body) };
}

/** How a failed condition answers: `If-None-Match: *` is 409, `If-Match` 412. */
export type ConflictStatus = 409 | 412;

/** What the mapping of an error needs to know of the request that failed. */
export interface ErrorContext {
  /** The status of a `CONFLICT` from the request's condition. */
  readonly conflictStatus: ConflictStatus;
  /** Whether the request asked to write (then `ENCRYPTION_KEY_MISSING` is the client's `is_encrypted`). */
  readonly writing: boolean;
  /** Told of every failure answered 503, with the error itself (for the host's logs). */
  readonly onError: ((error: unknown, request: Request) => void) | undefined;
  readonly request: Request;
}

/** The answer to an error; never a 500, never the cause of an internal failure. */
export function errorAnswer(error: unknown, context: ErrorContext): Answer {
  if (error instanceof HttpError) {
    const headers = baseHeaders();
    if (error.headers) for (const [name, value] of Object.entries(error.headers)) headers[name] = value;
    return json(error.status, { message: error.message, code: error.code }, headers);
  }
  if (error instanceof ExtensionStorageError) {
    const status = clientStatus(error, context);
    if (status !== undefined) {
      if (error instanceof ConflictError) {
        const code = status === 412 ? 'PRECONDITION_FAILED' : 'CONFLICT';
        return json(status, { message: error.message, code, current_version: error.currentVersion });
      }
      // The library names its own option; the client sent the API's field.
      const message = error.code === 'ENCRYPTION_KEY_MISSING' ? '"is_encrypted": this host stores no encrypted values; nothing was written' : error.message;
      return json(status, { message, code: error.code });
    }
  }
  try {
    context.onError?.(error, context.request);
  } catch {
    // The host's logger failing must not turn the answer into a crash.
  }
  const headers = baseHeaders();
  headers['retry-after'] = '1';
  return json(503, { message: 'the storage is unavailable; try again later', code: 'UNAVAILABLE' }, headers);
}

/** The 4xx status of a library error the client caused, or `undefined` for an internal failure. */
function clientStatus(error: ExtensionStorageError, context: ErrorContext): number | undefined {
  switch (error.code) {
    case 'VALIDATION':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      // With a cause, the authorize hook threw (its service down, say): the host's failure, not a refusal.
      return error.cause === undefined ? 403 : undefined;
    case 'VALUE_TOO_LARGE':
    case 'QUOTA_EXCEEDED':
      return 413;
    case 'CONFLICT':
      // A deadlock the database broke is not the client's condition failing: try again (503).
      return (error as ConflictError).retryable ? undefined : context.conflictStatus;
    case 'ENCRYPTION_KEY_MISSING':
      return context.writing ? 400 : undefined;
    default:
      return undefined;
  }
}
