/**
 * The OpenAPI document: valid OpenAPI 3.1 by a maintained validator, served by the handler, and true:
 * every route, method and status it lists is produced by a request to a real server, with the content
 * type and the required fields it documents.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/index.js';
import { BASE_PATH, startServer, type TestServer } from './server.js';

type Json = Record<string, unknown>;
const DASHBOARD = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const FORBIDDEN_USER = '666';

describe('openApiDocument', () => {
  let server: TestServer;
  let broken: TestServer;
  beforeAll(async () => {
    server = await startServer({ limits: { maxValueBytes: 1024 }, authorize: ({ userId }) => userId !== FORBIDDEN_USER });
    broken = await startServer();
    broken.database.exec('DROP TABLE extension_storage');
  });
  afterAll(async () => {
    await server.close();
    await broken.close();
  });

  it('is valid OpenAPI 3.1', async () => {
    for (const basePath of ['', BASE_PATH]) {
      const validator = new Validator();
      const result = await validator.validate(openApiDocument({ basePath }) as Json);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
    }
  });

  it('is served at {basePath}/storage/openapi.json, without a user', async () => {
    const response = await fetch(`${server.origin}${BASE_PATH}/storage/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(openApiDocument({ basePath: BASE_PATH }));
  });

  it('every route and status it lists answers as documented', async () => {
    const document = openApiDocument({ basePath: BASE_PATH }) as { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };
    const user = { 'x-user': '42' };
    const json = { 'content-type': 'application/json' };
    /** A fresh entry at `path`, returning its ETag. */
    const seed = async (origin: string, path: string) => {
      const response = await fetch(`${origin}${path}`, { method: 'PUT', headers: { ...user, ...json }, body: JSON.stringify({ value: 'v' }) });
      expect(response.status).toBeLessThan(300);
      return response.headers.get('etag')!;
    };
    type Scenario = (path: string) => Promise<Response>;
    const request = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}, origin = server.origin) =>
      fetch(`${origin}${path}`, { ...init, headers: { ...user, ...init.headers } });
    const putBody = (body: unknown, headers: Record<string, string> = {}): RequestInit & { headers: Record<string, string> } => ({
      method: 'PUT',
      headers: { ...json, ...headers },
      body: JSON.stringify(body),
    });
    const anonymous = (path: string, init: RequestInit = {}) => fetch(`${server.origin}${path}`, init);
    const scenarios: Record<string, Record<string, Record<string, Scenario>>> = {
      list: {
        get: {
          200: (path) => request(path),
          400: (path) => request(`${path}?page_size=0`),
          401: (path) => anonymous(path),
          403: (path) => request(path, { headers: { 'x-user': FORBIDDEN_USER } }),
          503: (path) => request(path, {}, broken.origin),
        },
      },
      entry: {
        get: {
          200: async (path) => (await seed(server.origin, path), request(path)),
          304: async (path) => request(path, { headers: { 'if-none-match': await seed(server.origin, path) } }),
          400: (path) => request(`${path}?unknown=1`),
          401: (path) => anonymous(path),
          403: (path) => request(path, { headers: { 'x-user': FORBIDDEN_USER } }),
          404: (path) => request(`${path}-missing`),
          412: async (path) => {
            const stale = await seed(server.origin, path);
            await seed(server.origin, path);
            return request(path, { headers: { 'if-match': stale } });
          },
          503: (path) => request(path, {}, broken.origin),
        },
        put: {
          200: async (path) => (await seed(server.origin, path), request(path, putBody({ value: 'w' }))),
          201: (path) => request(`${path}-new`, putBody({ value: 'w' })),
          400: (path) => request(path, putBody([1])),
          401: (path) => anonymous(path, putBody({ value: 'w' })),
          403: (path) => request(path, { ...putBody({ value: 'w' }), headers: { ...json, 'x-user': FORBIDDEN_USER } }),
          409: async (path) => (await seed(server.origin, path), request(path, putBody({ value: 'w' }, { 'if-none-match': '*' }))),
          412: async (path) => {
            const stale = await seed(server.origin, path);
            await seed(server.origin, path);
            return request(path, putBody({ value: 'w' }, { 'if-match': stale }));
          },
          413: (path) => request(path, putBody({ value: 'x'.repeat(1025) })),
          415: (path) => request(path, { method: 'PUT', body: new Uint8Array(1) }),
          503: (path) => request(path, putBody({ value: 'w' }), broken.origin),
        },
        delete: {
          204: async (path) => (await seed(server.origin, path), request(path, { method: 'DELETE' })),
          400: (path) => request(`${path}?unknown=1`, { method: 'DELETE' }),
          401: (path) => anonymous(path, { method: 'DELETE' }),
          403: (path) => request(path, { method: 'DELETE', headers: { 'x-user': FORBIDDEN_USER } }),
          404: (path) => request(`${path}-missing`, { method: 'DELETE' }),
          412: async (path) => {
            const stale = await seed(server.origin, path);
            await seed(server.origin, path);
            return request(path, { method: 'DELETE', headers: { 'if-match': stale } });
          },
          503: (path) => request(path, { method: 'DELETE' }, broken.origin),
        },
      },
      openapi: { get: { 200: (path) => anonymous(path) } },
    };
    const concrete = (template: string) =>
      template.replace('{publisher}', 'acme').replace('{name}', 'my-ext').replace('{type}', 'dashboard').replace('{id}', DASHBOARD).replace('{key}', 'k');
    const kindOf = (template: string) => (template.endsWith('/openapi.json') ? 'openapi' : template.endsWith('/') ? 'list' : 'entry');
    const resolve = (schema: Json): Json => (typeof schema.$ref === 'string' ? document.components.schemas[schema.$ref.split('/').at(-1)!]! : schema);
    let checked = 0;
    for (const [template, item] of Object.entries(document.paths)) {
      const kind = kindOf(template);
      const methods = Object.keys(item).filter((name) => name !== 'parameters');
      expect(methods.sort(), template).toEqual(Object.keys(scenarios[kind]!).sort());
      for (const method of methods) {
        const responses = (item[method] as { responses: Record<string, { content?: Record<string, { schema: Json }> }> }).responses;
        expect(Object.keys(responses).sort(), `${method} ${template}`).toEqual(Object.keys(scenarios[kind]![method]!).sort());
        for (const [status, documented] of Object.entries(responses)) {
          const response = await scenarios[kind]![method]![status]!(concrete(template));
          expect(response.status, `${method.toUpperCase()} ${template} → ${status}`).toBe(Number(status));
          const media = documented.content ? Object.keys(documented.content)[0]! : null;
          if (media === 'application/json') {
            expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
            const body = (await response.json()) as Json;
            const schema = resolve(documented.content!['application/json']!.schema);
            for (const field of (schema.required as string[] | undefined) ?? []) expect(body, `${method} ${template} ${status}: ${field}`).toHaveProperty(field);
          } else {
            const body = await response.arrayBuffer();
            if (media === null) expect(body.byteLength, `${method} ${template} ${status} has no body`).toBe(0);
          }
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * (5 + 8 + 10 + 7) + 1);
  });
});
