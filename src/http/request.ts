/**
 * Reading requests: the body within its limit, the PUT body in its two forms (the reference's JSON
 * envelope, or raw bytes with their content type), the listing's query and the conditional headers.
 * Every refusal is an `HttpError` naming the field; nothing here touches the store.
 * @module
 */
import { READ_BODY, type BodyReadingRequest } from './answer.js';
import { HttpError } from './responses.js';

/** How much a JSON envelope may exceed its value: the other fields, and base64's 4/3. */
const ENVELOPE_OVERHEAD = 64 * 1024;
/** Deepest page the reference's `page` parameter may reach, in entries skipped. */
export const MAX_PAGE_OFFSET = 100_000;
const DEFAULT_PAGE_SIZE = 25;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const textEncoder = new TextEncoder();

/** The most bytes a PUT body may have: the value limit, or what a JSON envelope of such a value takes. */
export function bodyLimit(maxValueBytes: number, envelope: boolean): number {
  return envelope ? Math.ceil(maxValueBytes / 3) * 4 + ENVELOPE_OVERHEAD : maxValueBytes;
}

/**
 * The request's body, refused with 413 as soon as it passes `limit` bytes: at once when its
 * `Content-Length` says so, else while reading, which then stops (the rest is never read).
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, 'VALUE_TOO_LARGE', `the request body expected at most ${limit} bytes`);
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  const fromSocket = (request as Request & BodyReadingRequest)[READ_BODY];
  if (fromSocket !== undefined) {
    const body = await fromSocket.call(request, limit).catch(() => {
      throw new HttpError(400, 'VALIDATION', 'the request body could not be read to its end');
    });
    if (body === 'too-large') throw tooLarge();
    return body;
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > limit) {
        reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'VALIDATION', 'the request body could not be read to its end');
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** What a PUT asks to store: the value, and the options of `set` in the API's terms. */
export interface PutBody {
  readonly value: Uint8Array;
  readonly valueType: string;
  readonly category: string | null;
  readonly description: string | null;
  readonly encrypt: boolean;
  /** Seconds, or `null` for no expiry. */
  readonly ttl: number | null;
}

/** The media type of a `Content-Type`, lowercased, and its `charset` parameter when there is one. */
function mediaType(contentType: string): { type: string; charset: string | null } {
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return { type, charset: charset ? charset[1]!.toLowerCase() : null };
}

/** Whether a PUT with this `Content-Type` is the reference's JSON envelope (else a raw body). */
export function isEnvelope(contentType: string | null): boolean {
  return contentType !== null && mediaType(contentType).type === 'application/json';
}

/**
 * Checks what a PUT's headers say of its body before it is read: no content coding, a content type,
 * and UTF-8 for a JSON envelope.
 */
export function checkBodyHeaders(headers: Headers): void {
  const coding = headers.get('content-encoding');
  if (coding !== null && coding.trim().toLowerCase() !== 'identity') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', '"Content-Encoding" expected none or identity: send the body uncompressed');
  }
  const contentType = headers.get('content-type');
  if (contentType === null || contentType.trim() === '') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', '"Content-Type" expected application/json (the JSON body) or the value\'s own type (a raw body), got none');
  }
  if (isEnvelope(contentType)) {
    const { charset } = mediaType(contentType);
    if (charset !== null && charset !== 'utf-8' && charset !== 'utf8') {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', '"Content-Type" expected application/json in UTF-8');
    }
  }
}

const ENVELOPE_FIELDS = new Set(['value', 'value_base64', 'value_type', 'category', 'description', 'is_encrypted', 'ttl']);

/**
 * The reference's JSON body: `{ value | value_base64, value_type = "application/json", category,
 * description, is_encrypted = false, ttl }`; `value` is stored as UTF-8.
 */
export function parseEnvelope(body: Uint8Array): PutBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    throw invalid('the body', 'a JSON object in UTF-8, got text that does not parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('the body', `a JSON object, got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  }
  const fields = parsed as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!ENVELOPE_FIELDS.has(name)) throw invalid('the body', `only ${[...ENVELOPE_FIELDS].join(', ')}, got an unknown field`);
  }
  const { value, value_base64: base64, value_type: valueType, category, description, is_encrypted: encrypted, ttl } = fields;
  if ((value === undefined) === (base64 === undefined)) throw invalid('value', 'exactly one of "value" (text) and "value_base64" (bytes)');
  let bytes: Uint8Array;
  if (value !== undefined) {
    if (typeof value !== 'string') throw invalid('value', `a string (stored as UTF-8), got ${describe(value)}`);
    if (!value.isWellFormed()) throw invalid('value', 'well-formed Unicode, got a lone surrogate');
    bytes = textEncoder.encode(value);
  } else {
    bytes = decodeBase64(base64);
  }
  if (valueType !== undefined && typeof valueType !== 'string') throw invalid('value_type', `a MIME type string, got ${describe(valueType)}`);
  if (category !== undefined && category !== null && typeof category !== 'string') throw invalid('category', `a string or null, got ${describe(category)}`);
  if (description !== undefined && description !== null && typeof description !== 'string') {
    throw invalid('description', `a string or null, got ${describe(description)}`);
  }
  if (encrypted !== undefined && typeof encrypted !== 'boolean') throw invalid('is_encrypted', `a boolean, got ${describe(encrypted)}`);
  return {
    value: bytes,
    valueType: valueType ?? 'application/json',
    category: category ?? null,
    description: description ?? null,
    encrypt: encrypted ?? false,
    ttl: ttl === undefined || ttl === null ? null : ttlSeconds(ttl),
  };
}

const RAW_PARAMETERS = new Set(['category', 'description', 'is_encrypted', 'ttl']);

/** A raw body: stored as is, with its `Content-Type`; the other fields come as query parameters. */
export function parseRaw(body: Uint8Array, contentType: string, query: URLSearchParams): PutBody {
  const params = singleParameters(query, RAW_PARAMETERS);
  const encrypted = params.get('is_encrypted');
  if (encrypted !== undefined && encrypted !== 'true' && encrypted !== 'false') throw invalid('is_encrypted', 'true or false');
  const ttl = params.get('ttl');
  return {
    value: body,
    valueType: contentType,
    category: params.get('category') ?? null,
    description: params.get('description') ?? null,
    encrypt: encrypted === 'true',
    ttl: ttl === undefined ? null : ttlSeconds(/^[0-9]{1,16}$/.test(ttl) ? Number(ttl) : ttl),
  };
}

/** A listing's query: `category`, `prefix`, `page_size` (1..1000, default 25), and `cursor` or `page`. */
export interface ListQuery {
  readonly category: string | undefined;
  readonly prefix: string | undefined;
  readonly pageSize: number;
  readonly cursor: string | undefined;
  /** 0-based page of the reference's clients; `0` when `cursor` is used. */
  readonly page: number;
}

const LIST_PARAMETERS = new Set(['category', 'prefix', 'page_size', 'cursor', 'page']);

export function parseListQuery(query: URLSearchParams): ListQuery {
  const params = singleParameters(query, LIST_PARAMETERS);
  const pageSize = integerParameter(params, 'page_size', 1, 1000) ?? DEFAULT_PAGE_SIZE;
  const page = integerParameter(params, 'page', 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const cursor = params.get('cursor');
  if (cursor !== undefined && params.has('page')) throw invalid('page', 'no "page" beside a "cursor": the cursor already says where the page starts');
  if (page * pageSize > MAX_PAGE_OFFSET) {
    throw invalid('page', `a page starting within the first ${MAX_PAGE_OFFSET} entries; follow "next_cursor" to go deeper`);
  }
  return { category: params.get('category'), prefix: params.get('prefix'), pageSize, cursor, page };
}

/** A request without a body takes no query parameters at all, so a misspelt one is never ignored. */
export function refuseQuery(query: URLSearchParams): void {
  for (const name of query.keys()) throw invalid('the query', `no parameters, got "${truncate(name)}"`);
}

/** The condition of a PUT or DELETE, from `If-Match` / `If-None-Match`. */
export type HttpCondition = { readonly kind: 'none' } | { readonly kind: 'absent' } | { readonly kind: 'match'; readonly etag: string | null };

/** The library's etag inside a strong entity tag; anything else can never match. */
const ENTITY_TAG = /^"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[1-9][0-9]{0,15})"$/;

/**
 * `If-Match: "<etag>"` (one strong tag: the write is conditional on that entry at that version; a tag
 * of another shape never matches), `If-None-Match: *` (a PUT only: the entry must not exist).
 */
export function parseCondition(headers: Headers, method: 'PUT' | 'DELETE'): HttpCondition {
  const ifMatch = headers.get('if-match');
  const ifNoneMatch = headers.get('if-none-match');
  if (ifMatch !== null && ifNoneMatch !== null) throw invalid('If-Match', 'no "If-None-Match" beside it');
  if (ifNoneMatch !== null) {
    if (method !== 'PUT' || ifNoneMatch.trim() !== '*') throw invalid('If-None-Match', method === 'PUT' ? '"*" on a PUT' : 'none on a DELETE');
    return { kind: 'absent' };
  }
  if (ifMatch === null) return { kind: 'none' };
  const tag = ifMatch.trim();
  if (tag === '*' || tag.includes(',')) throw invalid('If-Match', 'one entity tag, as an ETag of this API gives it');
  return { kind: 'match', etag: ENTITY_TAG.exec(tag)?.[1] ?? null };
}

/** Whether `If-Match` on a read names the entity tag `etag`: `*`, or one of a list, compared strongly (RFC 9110 §13.1.1). */
export function matchHits(header: string, etag: string): boolean {
  return header.trim() === '*' || header.split(',').some((part) => part.trim() === etag);
}

/** Whether `If-None-Match` names the entity tag `etag` (weak comparison, as RFC 9110 has it for GET). */
export function noneMatchHits(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  for (const part of header.split(',')) {
    const candidate = part.trim();
    if ((candidate.startsWith('W/') ? candidate.slice(2) : candidate) === etag) return true;
  }
  return false;
}

/** Each parameter at most once and known; the map of their values. */
function singleParameters(query: URLSearchParams, allowed: ReadonlySet<string>): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of query) {
    if (!allowed.has(name)) throw invalid('the query', `only ${[...allowed].join(', ')}, got "${truncate(name)}"`);
    if (params.has(name)) throw invalid(name, 'one value, got several');
    params.set(name, value);
  }
  return params;
}

function integerParameter(params: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const text = params.get(name);
  if (text === undefined) return undefined;
  const number = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(number >= min && number <= max)) throw invalid(name, `an integer in ${min}..${max}`);
  return number;
}

/** A ttl in whole seconds, at least 1. */
function ttlSeconds(input: unknown): number {
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < 1 || input * 1000 > Number.MAX_SAFE_INTEGER) {
    throw invalid('ttl', 'a whole number of seconds, at least 1, or null');
  }
  return input;
}

function decodeBase64(input: unknown): Uint8Array {
  if (typeof input !== 'string' || input.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(input)) {
    throw invalid('value_base64', 'standard padded base64');
  }
  const binary = atob(input);
  // Non-canonical padding bits decode too: refuse them, so that one value has one spelling.
  if (binary.length > 0 && btoa(binary.slice(-(binary.length % 3 || 3))) !== input.slice(-4)) throw invalid('value_base64', 'standard padded base64');
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function describe(input: unknown): string {
  return input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
}

function truncate(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}

function invalid(field: string, expected: string): HttpError {
  return new HttpError(400, 'VALIDATION', `${field.startsWith('the ') || field.startsWith('If-') ? field : `"${field}"`} expected ${expected}`);
}
