/**
 * The OpenAPI 3.1 document of the HTTP API: every route, body and status the handler answers, under
 * the base path it is mounted at.
 * @module
 */
import { MAX_PAGE_OFFSET } from './request.js';
import { normalizeBasePath } from './routes.js';

/** Options of `openApiDocument`. */
export interface OpenApiOptions {
  /** Where the API is mounted, as given to `createStorageHandler` (default: the root). */
  readonly basePath?: string;
}

/** A JSON object, as the document is made of. */
export type OpenApiObject = { readonly [name: string]: unknown };

const errorStatuses: Readonly<Record<number, string>> = {
  400: 'Invalid input: a path, query, header or body field (the message names it)',
  401: 'No authenticated user',
  403: "Refused by the host's `authorize` hook, or by its request verification (CSRF) on PUT and DELETE",
  404: 'No entry with this key',
  409: '`If-None-Match: *` and the entry exists; nothing was written',
  412: '`If-Match` and the entry is not the one tagged (or there is none); nothing was written',
  413: "The body or value is larger than the storage's limit, or the write would pass the extension's quota",
  415: 'No `Content-Type`, a content coding, or a JSON body not in UTF-8',
  503: 'The storage is unavailable (the message names no cause); try again',
};

function errors(...statuses: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const status of statuses) {
    out[status] = { description: errorStatuses[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return out;
}

const etagHeader = { ETag: { description: 'The entry at this version; pass it as `If-Match`', schema: { type: 'string' } } };
const keyParameter = {
  name: 'key',
  in: 'path',
  required: true,
  description: 'The entry key (1..255 characters, no control characters); a `/` in it may be sent as is or as `%2F`',
  schema: { type: 'string' },
};
const ifMatch = { name: 'If-Match', in: 'header', required: false, description: 'One ETag of this API: act only on that entry at that version', schema: { type: 'string' } };

function listOperation(scope: string): Record<string, unknown> {
  const query = (name: string, description: string, schema: Record<string, unknown>) => ({ name, in: 'query', required: false, description, schema });
  return {
    operationId: `list${scope}`,
    summary: `List the ${scope.toLowerCase()} entries (metadata only), in key order`,
    parameters: [
      query('category', 'Only entries of this category', { type: 'string' }),
      query('prefix', 'Only keys starting with this string', { type: 'string' }),
      query('page_size', 'Entries per page', { type: 'integer', minimum: 1, maximum: 1000, default: 25 }),
      query('cursor', 'The `next_cursor` of the previous page', { type: 'string' }),
      query('page', `0-based page, as the reference has it; costs a walk past the pages before it, so at most ${MAX_PAGE_OFFSET} entries deep: prefer \`cursor\``, {
        type: 'integer',
        minimum: 0,
      }),
    ],
    responses: {
      200: { description: 'One page', content: { 'application/json': { schema: { $ref: '#/components/schemas/Page' } } } },
      ...errors(400, 401, 403, 503),
    },
  };
}

function entryOperations(scope: string): Record<string, unknown> {
  return {
    parameters: [keyParameter],
    get: {
      operationId: `get${scope}`,
      summary: 'The value, as raw bytes with its value type',
      parameters: [
        { name: 'If-None-Match', in: 'header', required: false, description: 'ETags; 304 when one names the entry as it is', schema: { type: 'string' } },
        { name: 'If-Match', in: 'header', required: false, description: 'ETags, or `*`; 412 when none names the entry as it is', schema: { type: 'string' } },
      ],
      responses: {
        200: {
          description: 'The value; `Cache-Control: no-store` when encrypted',
          headers: { ...etagHeader, 'Last-Modified': { schema: { type: 'string' } } },
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        304: { description: 'The entry is the one `If-None-Match` names', headers: etagHeader },
        ...errors(400, 401, 403, 404, 412, 503),
      },
    },
    put: {
      operationId: `put${scope}`,
      summary: 'Create or replace the entry',
      parameters: [
        ifMatch,
        { name: 'If-None-Match', in: 'header', required: false, description: '`*`: create only', schema: { type: 'string', enum: ['*'] } },
        { name: 'category', in: 'query', required: false, description: 'Raw body only', schema: { type: 'string' } },
        { name: 'description', in: 'query', required: false, description: 'Raw body only', schema: { type: 'string' } },
        { name: 'is_encrypted', in: 'query', required: false, description: 'Raw body only', schema: { type: 'string', enum: ['true', 'false'] } },
        { name: 'ttl', in: 'query', required: false, description: 'Raw body only: seconds until the entry expires', schema: { type: 'integer', minimum: 1 } },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/PutBody' } },
          '*/*': { schema: { type: 'string', format: 'binary', description: 'Any other type: the raw value, stored with this `Content-Type` as its value type' } },
        },
      },
      responses: {
        200: { description: 'Replaced', headers: etagHeader, content: { 'application/json': { schema: { $ref: '#/components/schemas/Entry' } } } },
        201: { description: 'Created', headers: etagHeader, content: { 'application/json': { schema: { $ref: '#/components/schemas/Entry' } } } },
        ...errors(400, 401, 403, 409, 412, 413, 415, 503),
      },
    },
    delete: {
      operationId: `delete${scope}`,
      summary: 'Delete the entry',
      parameters: [ifMatch],
      responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404, 412, 503) },
    },
  };
}

const nullableString = { type: ['string', 'null'] };
const schemas = {
  Error: {
    type: 'object',
    required: ['message', 'code'],
    properties: {
      message: { type: 'string' },
      code: { type: 'string' },
      current_version: { type: ['integer', 'null'], description: '409 and 412: the entry\'s version now, `null` when there is none' },
    },
  },
  Entry: {
    type: 'object',
    required: ['key', 'uuid', 'etag', 'value_type', 'category', 'description', 'is_encrypted', 'version', 'size', 'created_on', 'changed_on', 'expires_on'],
    properties: {
      key: { type: 'string' },
      uuid: { type: 'string', format: 'uuid' },
      etag: { type: 'string', description: 'As the ETag header: pass it as `If-Match`' },
      value_type: { type: 'string' },
      category: nullableString,
      description: nullableString,
      is_encrypted: { type: 'boolean' },
      version: { type: 'integer', minimum: 1 },
      size: { type: 'integer', minimum: 0, description: 'Value length in bytes' },
      created_on: { type: 'string', format: 'date-time' },
      changed_on: { type: 'string', format: 'date-time' },
      expires_on: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  Page: {
    type: 'object',
    required: ['count', 'result', 'next_cursor'],
    properties: {
      count: { type: 'integer', minimum: 0, description: 'Entries matching the filters, on all pages' },
      result: { type: 'array', items: { $ref: '#/components/schemas/Entry' } },
      next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; `null` on the last' },
    },
  },
  PutBody: {
    type: 'object',
    additionalProperties: false,
    properties: {
      value: { type: 'string', description: 'Text, stored as UTF-8 (exactly one of `value` and `value_base64`)' },
      value_base64: { type: 'string', contentEncoding: 'base64', description: 'Bytes, standard padded base64' },
      value_type: { type: 'string', default: 'application/json', description: 'MIME type returned on GET' },
      category: nullableString,
      description: nullableString,
      is_encrypted: { type: 'boolean', default: false },
      ttl: { type: ['integer', 'null'], minimum: 1, description: 'Seconds until the entry expires' },
    },
  },
};

/**
 * The OpenAPI 3.1 document of the API mounted at `basePath` (a new object at each call).
 * @example
 * const doc = openApiDocument({ basePath: '/api/v1/extensions' });
 */
export function openApiDocument(options: OpenApiOptions = {}): OpenApiObject {
  const base = normalizeBasePath(options.basePath ?? '');
  const root = `${base}/{publisher}/{name}/storage/persistent`;
  const extension = [
    { name: 'publisher', in: 'path', required: true, description: 'The extension id is `publisher.name`', schema: { type: 'string' } },
    { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
  ];
  const resource = [
    { name: 'type', in: 'path', required: true, description: 'Resource type, e.g. `dashboard`', schema: { type: 'string' } },
    { name: 'id', in: 'path', required: true, description: 'Resource id, e.g. its UUID', schema: { type: 'string' } },
  ];
  const scopes = [
    { path: 'global', name: 'Global', parameters: extension },
    { path: 'user', name: 'User', parameters: extension },
    { path: 'resources/{type}/{id}', name: 'Resource', parameters: [...extension, ...resource] },
  ];
  const paths: Record<string, unknown> = {};
  for (const scope of scopes) {
    paths[`${root}/${scope.path}/`] = { parameters: scope.parameters, get: listOperation(scope.name) };
    const entry = entryOperations(scope.name);
    paths[`${root}/${scope.path}/{key}`] = { ...entry, parameters: [...scope.parameters, keyParameter] };
  }
  paths[`${base}/storage/openapi.json`] = {
    get: {
      operationId: 'openApiDocument',
      summary: 'This document',
      responses: { 200: { description: 'The OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Extension storage',
      version: '1',
      description:
        "Scoped key-value storage of a host's extensions. Every storage route needs the host's authenticated user; PUT and DELETE pass the host's request verification (e.g. CSRF) first.",
    },
    paths,
    components: { schemas },
  };
}
