/**
 * The HTTP API end to end: a real node:http server on 127.0.0.1 (`toNodeHandler`), driven with `fetch`,
 * over an in-memory SQLite storage.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStorageHandler } from '../../src/http/index.js';
import { BASE_PATH, csrfOk, dump, startServer, type TestServer } from './server.js';

const EXT = `${BASE_PATH}/acme/my-ext/storage/persistent`;
const USER = { 'x-user': '42' };
const DASHBOARD = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

function put(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.origin}${EXT}/${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...USER, ...headers },
    body: JSON.stringify(body),
  });
}

function get(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.origin}${EXT}/${path}`, { headers: { ...USER, ...headers } });
}

function del(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.origin}${EXT}/${path}`, { method: 'DELETE', headers: { ...USER, ...headers } });
}

async function expectError(response: Response, status: number, code: string): Promise<{ message: string; code: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  const body = (await response.json()) as { message: string; code: string };
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  return body;
}

describe('routes and scopes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('PUT creates (201) then replaces (200), answering the metadata and its ETag', async () => {
    const created = await put(server, 'global/config', { value: '{"theme":"dark"}', category: 'settings', description: 'Theme' });
    expect(created.status).toBe(201);
    const info = (await created.json()) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(
      ['category', 'changed_on', 'created_on', 'description', 'etag', 'expires_on', 'is_encrypted', 'key', 'size', 'uuid', 'value_type', 'version'].sort(),
    );
    expect(info).toMatchObject({ key: 'config', value_type: 'application/json', category: 'settings', description: 'Theme', is_encrypted: false, version: 1, size: 16, expires_on: null });
    expect(created.headers.get('etag')).toBe(info.etag);
    expect(created.headers.get('x-content-type-options')).toBe('nosniff');
    const replaced = await put(server, 'global/config', { value: '{"theme":"light"}' });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ version: 2, uuid: info.uuid, category: null });
  });

  it('GET answers the raw bytes with the value type, ETag, Last-Modified; If-None-Match answers 304', async () => {
    const written = (await (await put(server, 'global/doc', { value: 'hello', value_type: 'text/plain; charset=utf-8' })).json()) as { etag: string };
    const read = await get(server, 'global/doc');
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('hello');
    expect(read.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(read.headers.get('etag')).toBe(written.etag);
    expect(new Date(read.headers.get('last-modified')!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(read.headers.get('cache-control')).toBe('private, no-cache');
    expect(read.headers.get('x-content-type-options')).toBe('nosniff');
    expect(read.headers.get('content-security-policy')).toContain('sandbox');
    const notModified = await get(server, 'global/doc', { 'if-none-match': `W/${written.etag}, "other"` });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(written.etag);
    await put(server, 'global/doc', { value: 'changed' });
    expect((await get(server, 'global/doc', { 'if-none-match': written.etag })).status).toBe(200);
  });

  it('a recreated entry never matches the ETag of the one before it (same version)', async () => {
    const first = (await (await put(server, 'global/aba', { value: 'a' })).json()) as { etag: string; version: number };
    expect((await del(server, 'global/aba')).status).toBe(204);
    const second = (await (await put(server, 'global/aba', { value: 'a' })).json()) as { etag: string; version: number };
    expect(second.version).toBe(first.version);
    expect(second.etag).not.toBe(first.etag);
    expect((await get(server, 'global/aba', { 'if-none-match': first.etag })).status).toBe(200);
    await expectError(await put(server, 'global/aba', { value: 'b' }, { 'if-match': first.etag }), 412, 'PRECONDITION_FAILED');
    await expectError(await del(server, 'global/aba', { 'if-match': first.etag }), 412, 'PRECONDITION_FAILED');
  });

  it('HEAD answers the headers of GET without a body', async () => {
    await put(server, 'global/head', { value: 'abc' });
    const head = await fetch(`${server.origin}${EXT}/global/head`, { method: 'HEAD', headers: USER });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('3');
    expect(await head.text()).toBe('');
  });

  it('a missing key is 404; a key may hold "/" as is or as %2F', async () => {
    await expectError(await get(server, 'global/missing'), 404, 'NOT_FOUND');
    await put(server, 'global/cfg/a b', { value: 'x' });
    expect(await (await get(server, 'global/cfg%2Fa%20b')).text()).toBe('x');
    expect(await (await get(server, 'global/cfg/a%20b')).text()).toBe('x');
  });

  it('the user scope is the caller\'s own; no user is 401', async () => {
    await put(server, 'user/prefs', { value: 'mine' }, { 'x-user': '1' });
    expect(await (await get(server, 'user/prefs', { 'x-user': '1' })).text()).toBe('mine');
    await expectError(await get(server, 'user/prefs', { 'x-user': '2' }), 404, 'NOT_FOUND');
    const listed = (await (await get(server, 'user/', { 'x-user': '2' })).json()) as { count: number };
    expect(listed.count).toBe(0);
    const anonymous = await fetch(`${server.origin}${EXT}/user/prefs`);
    await expectError(anonymous, 401, 'UNAUTHENTICATED');
    await expectError(await fetch(`${server.origin}${EXT}/global/`), 401, 'UNAUTHENTICATED');
  });

  it('the resource scope is its own space, per resource', async () => {
    expect((await put(server, `resources/dashboard/${DASHBOARD}/state`, { value: 's' })).status).toBe(201);
    expect(await (await get(server, `resources/dashboard/${DASHBOARD.toUpperCase()}/state`)).text()).toBe('s');
    await expectError(await get(server, 'resources/dashboard/other/state'), 404, 'NOT_FOUND');
    await expectError(await get(server, 'global/state'), 404, 'NOT_FOUND');
    const page = (await (await get(server, `resources/dashboard/${DASHBOARD}/`)).json()) as { count: number; result: { key: string }[] };
    expect(page).toMatchObject({ count: 1, result: [{ key: 'state' }] });
    expect((await del(server, `resources/dashboard/${DASHBOARD}/state`)).status).toBe(204);
    await expectError(await put(server, 'resources/Bad Type/1/state', { value: 's' }), 400, 'VALIDATION');
  });

  it('GET with If-Match answers only for the entry tagged (or any, for *): 412 otherwise, and for a missing key', async () => {
    const first = (await (await put(server, 'global/read-if', { value: '1' })).json()) as { etag: string };
    const current = ((await (await put(server, 'global/read-if', { value: '2' })).json()) as { etag: string }).etag;
    expect(await (await get(server, 'global/read-if', { 'if-match': current })).text()).toBe('2');
    expect((await get(server, 'global/read-if', { 'if-match': `${first.etag}, ${current}` })).status).toBe(200);
    expect((await get(server, 'global/read-if', { 'if-match': '*' })).status).toBe(200);
    await expectError(await get(server, 'global/read-if', { 'if-match': first.etag }), 412, 'PRECONDITION_FAILED');
    await expectError(await get(server, 'global/read-if', { 'if-match': `W/${current}` }), 412, 'PRECONDITION_FAILED');
    await expectError(await get(server, 'global/never-written', { 'if-match': '*' }), 412, 'PRECONDITION_FAILED');
  });

  it('DELETE is 204, then 404; If-Match deletes only the entry tagged', async () => {
    const info = (await (await put(server, 'global/gone', { value: '1' })).json()) as { etag: string };
    await put(server, 'global/gone', { value: '2' });
    await expectError(await del(server, 'global/gone', { 'if-match': info.etag }), 412, 'PRECONDITION_FAILED');
    const current = (await get(server, 'global/gone')).headers.get('etag')!;
    expect((await del(server, 'global/gone', { 'if-match': current })).status).toBe(204);
    await expectError(await del(server, 'global/gone'), 404, 'NOT_FOUND');
  });

  it('If-None-Match: * creates only (409 when it exists); If-Match replaces only the entry tagged (412 otherwise)', async () => {
    expect((await put(server, 'global/lock', { value: 'a' }, { 'if-none-match': '*' })).status).toBe(201);
    const conflict = await put(server, 'global/lock', { value: 'b' }, { 'if-none-match': '*' });
    const body = await expectError(conflict, 409, 'CONFLICT');
    expect(body).toMatchObject({ current_version: 1 });
    const etag = (await get(server, 'global/lock')).headers.get('etag')!;
    const replaced = await put(server, 'global/lock', { value: 'c' }, { 'if-match': etag });
    expect(replaced.status).toBe(200);
    expect(await expectError(await put(server, 'global/lock', { value: 'd' }, { 'if-match': etag }), 412, 'PRECONDITION_FAILED')).toMatchObject({ current_version: 2 });
    await expectError(await put(server, 'global/lock', { value: 'd' }, { 'if-match': '"not-a-tag"' }), 412, 'PRECONDITION_FAILED');
    await expectError(await put(server, 'global/lock', { value: 'd' }, { 'if-match': '*' }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/nothing', { value: 'd' }, { 'if-match': etag }), 412, 'PRECONDITION_FAILED');
    expect(await (await get(server, 'global/lock')).text()).toBe('c');
  });

  it('binary values: value_base64 and raw bodies store and return every byte', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const base64 = Buffer.from(bytes).toString('base64');
    expect((await put(server, 'global/bin', { value_base64: base64, value_type: 'application/octet-stream' })).status).toBe(201);
    const read = await get(server, 'global/bin');
    expect(read.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(bytes);
    const raw = await fetch(`${server.origin}${EXT}/global/png?category=images&description=a%20dot`, {
      method: 'PUT',
      headers: { 'content-type': 'image/png', ...USER },
      body: bytes.slice().reverse(),
    });
    expect(raw.status).toBe(201);
    expect(await raw.json()).toMatchObject({ value_type: 'image/png', category: 'images', description: 'a dot', size: 256 });
    const back = await get(server, 'global/png');
    expect(back.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await back.arrayBuffer())).toEqual(bytes.slice().reverse());
    await expectError(await put(server, 'global/bin', { value_base64: 'AAE' }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/bin', { value_base64: 'AAF=' }), 400, 'VALIDATION');
  });

  it('the body\'s mistakes are 400 and its encodings 415, naming the field', async () => {
    expect((await expectError(await put(server, 'global/x', [1, 2]), 400, 'VALIDATION')).message).toBe('the body expected a JSON object, got an array');
    expect((await expectError(await put(server, 'global/x', 5), 400, 'VALIDATION')).message).toBe('the body expected a JSON object, got number');
    expect((await expectError(await put(server, 'global/x', { value: 'v', value_type: null }), 400, 'VALIDATION')).message).toContain('value_type');
    await expectError(await put(server, 'global/x', { value: 'v', value_type: 'not a type' }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', { value: 5 }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', {}), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', { value: 'v', value_base64: 'AA==' }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', { value: 'v', extra: 1 }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', { value: 'v', is_encrypted: 'yes' }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', { value: 'v', ttl: 0 }), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', { value: 'v', category: 7 }), 400, 'VALIDATION');
    const text = (body: string, contentType: string | null, extra: Record<string, string> = {}) =>
      fetch(`${server.origin}${EXT}/global/x`, { method: 'PUT', headers: { ...(contentType ? { 'content-type': contentType } : {}), ...USER, ...extra }, body });
    await expectError(await text('{"value":', 'application/json'), 400, 'VALIDATION');
    await expectError(await text('{"value":"v"}', 'application/json', { 'content-encoding': 'gzip' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(await text('{"value":"v"}', 'application/json; charset=latin1'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const noType = await fetch(`${server.origin}${EXT}/global/x`, { method: 'PUT', headers: USER, body: new Uint8Array([1]) });
    await expectError(noType, 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(await text('{"value":"v"}', 'application/json', { 'if-match': '"a"', 'if-none-match': '*' }), 400, 'VALIDATION');
    await expectError(await text('raw', 'text/plain', { 'if-none-match': '"a"' }), 400, 'VALIDATION');
    await expectError(await get(server, 'global/x?unknown=1'), 400, 'VALIDATION');
    await expectError(await fetch(`${server.origin}${EXT}/global/x?ttl=5`, { method: 'PUT', headers: { 'content-type': 'application/json', ...USER }, body: '{"value":"v"}' }), 400, 'VALIDATION');
    await expectError(await get(server, 'global/%E0%A4%A'), 400, 'VALIDATION');
    await expectError(await put(server, 'global/x', { value: 'v', is_encrypted: true }), 400, 'ENCRYPTION_KEY_MISSING');
    await expectError(await get(server, 'global/x'), 404, 'NOT_FOUND');
  });

  it('unknown routes under the base path are 404; other methods 405 with Allow; other paths are left to the host', async () => {
    await expectError(await fetch(`${server.origin}${BASE_PATH}/acme/my-ext/storage/volatile/global/`, { headers: USER }), 404, 'NOT_FOUND');
    await expectError(await fetch(`${server.origin}${BASE_PATH}/acme`, { headers: USER }), 404, 'NOT_FOUND');
    const post = await fetch(`${server.origin}${EXT}/global/k`, { method: 'POST', headers: USER, body: 'x' });
    await expectError(post, 405, 'METHOD_NOT_ALLOWED');
    expect(post.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
    const putList = await fetch(`${server.origin}${EXT}/global/`, { method: 'PUT', headers: USER, body: 'x' });
    await expectError(putList, 405, 'METHOD_NOT_ALLOWED');
    expect(putList.headers.get('allow')).toBe('GET, HEAD');
    const handle = createStorageHandler(server.storage, { basePath: BASE_PATH, authenticate: () => ({ id: 1 }) });
    expect(await handle(new Request('http://h/api/v1/extensionsX/acme/my-ext/storage/persistent/global/'))).toBeNull();
    expect(await handle(new Request('http://h/other'))).toBeNull();
  });

  it('sets no CORS header, whatever the Origin', async () => {
    const response = await fetch(`${server.origin}${EXT}/global/`, { headers: { ...USER, origin: 'https://evil.example' } });
    expect(response.status).toBe(200);
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const preflight = await fetch(`${server.origin}${EXT}/global/k`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } });
    expect(preflight.status).toBe(405);
    expect([...preflight.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('listing', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    const ext = server.storage.extension('acme.my-ext');
    for (let i = 0; i < 30; i++) {
      await ext.global.set(`k${String(i).padStart(2, '0')}`, `v${i}`, { category: i % 2 === 0 ? 'even' : 'odd', description: `#${i}` });
    }
  });
  afterAll(() => server.close());

  type ListBody = { count: number; result: Record<string, unknown>[]; next_cursor: string | null };
  const list = async (query: string) => {
    const response = await get(server, `global/${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as ListBody;
  };

  it('answers the count, metadata without values, and the cursor of the next page', async () => {
    const first = await list('');
    expect(first.count).toBe(30);
    expect(first.result).toHaveLength(25);
    expect(first.result[0]).toMatchObject({ key: 'k00', category: 'even', description: '#0', value_type: 'text/plain; charset=utf-8', is_encrypted: false, size: 2, version: 1 });
    expect(first.result[0]).not.toHaveProperty('value');
    const second = await list(`?cursor=${encodeURIComponent(first.next_cursor!)}`);
    expect(second.result.map((item) => item.key)).toEqual(['k25', 'k26', 'k27', 'k28', 'k29']);
    expect(second.next_cursor).toBeNull();
    const bare = await fetch(`${server.origin}${EXT}/global`, { headers: USER });
    expect(((await bare.json()) as ListBody).count).toBe(30);
  });

  it('filters by category and prefix; page_size sets the page', async () => {
    const odd = await list('?category=odd&page_size=3');
    expect(odd.count).toBe(15);
    expect(odd.result.map((item) => item.key)).toEqual(['k01', 'k03', 'k05']);
    const prefixed = await list('?prefix=k1');
    expect(prefixed.count).toBe(10);
    expect(prefixed.result).toHaveLength(10);
  });

  it('the reference\'s 0-based page reaches the same pages as the cursor', async () => {
    const pages = await Promise.all([0, 1, 2, 3].map((page) => list(`?page=${page}&page_size=8`)));
    expect(pages.map((page) => page.result.map((item) => item.key)).flat()).toEqual(Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`));
    expect(pages[3]!.next_cursor).toBeNull();
    expect((await list('?page=9&page_size=8')).result).toEqual([]);
    const odd = await list('?category=odd&page=1&page_size=10');
    expect(odd.result.map((item) => item.key)).toEqual(['k21', 'k23', 'k25', 'k27', 'k29']);
  });

  it('refuses bad queries with 400', async () => {
    for (const query of ['?page_size=0', '?page_size=1001', '?page_size=abc', '?page=-1', '?page=1&cursor=x', '?cursor=garbage', '?page=1001&page_size=100', '?limit=5', '?category=a&category=b']) {
      await expectError(await get(server, `global/${query}`), 400, 'VALIDATION');
    }
  });
});

describe('limits, quotas, authorization, verification and failures', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  const start = async (...args: Parameters<typeof import('./server.js').startServer>) => {
    const server = await (await import('./server.js')).startServer(...args);
    servers.push(server);
    return server;
  };

  it('a body at the value limit is stored; one byte over is 413, whether its length is declared or streamed', async () => {
    const server = await start({ limits: { maxValueBytes: 1024 } });
    const raw = (body: RequestInit["body"], extra: RequestInit = {}) =>
      fetch(`${server.origin}${EXT}/global/big`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...USER }, body, ...extra });
    expect((await raw(new Uint8Array(1024))).status).toBe(201);
    await expectError(await raw(new Uint8Array(1025)), 413, 'VALUE_TOO_LARGE');
    const stream = (size: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < size; sent += 100) controller.enqueue(new Uint8Array(Math.min(100, size - sent)));
          controller.close();
        },
      });
    expect((await raw(stream(1024), { duplex: 'half' } as RequestInit)).status).toBe(200);
    await expectError(await raw(stream(1025), { duplex: 'half' } as RequestInit), 413, 'VALUE_TOO_LARGE');
    expect((await put(server, 'global/big', { value_base64: Buffer.alloc(1024, 1).toString('base64') })).status).toBe(200);
    await expectError(await put(server, 'global/big', { value_base64: Buffer.alloc(1025, 1).toString('base64') }), 413, 'VALUE_TOO_LARGE');
    await expectError(await put(server, 'global/big', { value: 'x'.repeat(1025) }), 413, 'VALUE_TOO_LARGE');
    expect((await get(server, 'global/big')).headers.get('content-length')).toBe('1024');
  });

  it('answers 413 to a declared huge body before it is sent, without reading it', async () => {
    const server = await start({ limits: { maxValueBytes: 1024 } });
    const { port } = new URL(server.origin);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `${EXT}/global/huge`, headers: { 'content-type': 'application/octet-stream', 'content-length': 100 * 1024 * 1024, ...USER } });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      request.on('error', reject);
      // 100 bytes of the announced 100 MiB (less than the limit), then nothing: only an answer from the declared length ends this.
      request.write(Buffer.alloc(100));
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'VALUE_TOO_LARGE' });
    expect(await dump(server.storage)).toBe('[]');
  });

  it('answers 413 to a streamed body as soon as it passes the limit, without waiting for its end', async () => {
    const server = await start({ limits: { maxValueBytes: 1024 } });
    const { port } = new URL(server.origin);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `${EXT}/global/huge`, headers: { 'content-type': 'application/octet-stream', ...USER } });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      // Chunked, no length: 2 KiB, then the body stays open; only reading stopped at the limit answers.
      request.write(Buffer.alloc(2048));
    });
    expect(status).toBe(413);
    expect(await dump(server.storage)).toBe('[]');
  });

  it('a write past the extension\'s quota is 413 and writes nothing', async () => {
    const server = await start({ limits: { quotaBytesPerExtension: 10 } });
    expect((await put(server, 'global/a', { value: '12345678' })).status).toBe(201);
    const before = await dump(server.storage);
    const refused = await expectError(await put(server, 'user/b', { value: '123' }), 413, 'QUOTA_EXCEEDED');
    expect(refused.message).toContain('quota');
    expect(await dump(server.storage)).toBe(before);
  });

  it('the storage\'s authorize hook refuses with 403, on every route of the resource scope', async () => {
    const server = await start({ authorize: ({ scope, userId, action }) => scope !== 'resource' || (userId === '1' && action !== 'delete') });
    const path = `resources/dashboard/${DASHBOARD}/`;
    expect((await put(server, `${path}state`, { value: 's' }, { 'x-user': '1' })).status).toBe(201);
    await expectError(await put(server, `${path}state`, { value: 't' }, { 'x-user': '2' }), 403, 'FORBIDDEN');
    await expectError(await get(server, `${path}state`, { 'x-user': '2' }), 403, 'FORBIDDEN');
    await expectError(await get(server, path, { 'x-user': '2' }), 403, 'FORBIDDEN');
    await expectError(await del(server, `${path}state`, { 'x-user': '1' }), 403, 'FORBIDDEN');
    expect(await (await get(server, `${path}state`, { 'x-user': '1' })).text()).toBe('s');
  });

  it('verifyRequest guards PUT and DELETE before any work; reads do not need it', async () => {
    const server = await start({}, { verifyRequest: csrfOk });
    const csrf = { cookie: 'csrf=t0k', 'x-csrftoken': 't0k' };
    expect((await put(server, 'global/a', { value: '1' }, csrf)).status).toBe(201);
    await expectError(await put(server, 'global/a', { value: '2' }, { cookie: 'csrf=t0k' }), 403, 'FORBIDDEN');
    await expectError(await put(server, 'global/a', { value: '2' }, { cookie: 'csrf=t0k', 'x-csrftoken': 'other' }), 403, 'FORBIDDEN');
    await expectError(await del(server, 'global/a'), 403, 'FORBIDDEN');
    // Before any work: even a request without a user, or with a body the API refuses, is refused first.
    await expectError(await fetch(`${server.origin}${EXT}/global/a`, { method: 'PUT', body: '[' }), 403, 'FORBIDDEN');
    expect(await (await get(server, 'global/a')).text()).toBe('1');
    expect((await del(server, 'global/a', csrf)).status).toBe(204);
  });

  it('ttl (seconds) in the JSON body or the query of a raw body sets expires_on; an expired entry is gone', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const server = await start({ now: () => now });
    const created = (await (await put(server, 'user/session', { value: 'tok', ttl: 60 })).json()) as { expires_on: string | null };
    expect(created.expires_on).toBe('2030-01-01T00:01:00.000Z');
    const raw = await fetch(`${server.origin}${EXT}/user/blob?ttl=3600`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...USER }, body: new Uint8Array([1]) });
    expect(((await raw.json()) as { expires_on: string }).expires_on).toBe('2030-01-01T01:00:00.000Z');
    expect(((await (await put(server, 'user/forever', { value: 'x', ttl: null })).json()) as { expires_on: null }).expires_on).toBeNull();
    expect((await get(server, 'user/session')).status).toBe(200);
    now = new Date('2030-01-01T00:01:00.001Z');
    await expectError(await get(server, 'user/session'), 404, 'NOT_FOUND');
    const page = (await (await get(server, 'user/')).json()) as { count: number; result: { key: string; expires_on: string | null }[] };
    expect(page.count).toBe(2);
    expect(page.result.map((item) => [item.key, item.expires_on])).toEqual([['blob', '2030-01-01T01:00:00.000Z'], ['forever', null]]);
    await expectError(await fetch(`${server.origin}${EXT}/user/blob?ttl=1.5`, { method: 'PUT', headers: { 'content-type': 'text/plain', ...USER }, body: 'x' }), 400, 'VALIDATION');
  });

  it('reads of encrypted entries are never cached', async () => {
    const server = await start({ encryptionKeys: 'a secret for the test' });
    expect((await put(server, 'user/token', { value: 's3cret', is_encrypted: true })).status).toBe(201);
    const read = await get(server, 'user/token');
    expect(await read.text()).toBe('s3cret');
    expect(read.headers.get('cache-control')).toBe('no-store');
    const list = await get(server, 'user/');
    expect(((await list.json()) as { result: { is_encrypted: boolean }[] }).result[0]!.is_encrypted).toBe(true);
  });

  it('a database failure is 503 with a generic message, the cause only for onError', async () => {
    const server = await start();
    await put(server, 'global/a', { value: '1' });
    server.database.exec('DROP TABLE extension_storage');
    for (const response of [await get(server, 'global/a'), await put(server, 'global/a', { value: '2' }), await get(server, 'global/')]) {
      const body = await expectError(response, 503, 'UNAVAILABLE');
      expect(body.message).toBe('the storage is unavailable; try again later');
      expect(response.headers.get('retry-after')).toBe('1');
    }
    expect(server.internalErrors).toHaveLength(3);
    expect(server.internalErrors[0]).toMatchObject({ code: 'NOT_MIGRATED' });
  });

  it('a hook that throws is 503, never access', async () => {
    const server = await start({}, { authenticate: () => { throw new Error('session store down'); } });
    const body = await expectError(await get(server, 'global/a'), 503, 'UNAVAILABLE');
    expect(body.message).not.toContain('session');
    // The storage's authorize hook too: its outage is not a refusal, and the host's logs hear of it.
    const authorizing = await start({
      authorize: () => {
        throw new Error('permission service down');
      },
    });
    const refused = await expectError(await get(authorizing, 'resources/chart/1/a'), 503, 'UNAVAILABLE');
    expect(refused.message).not.toContain('permission');
    expect(authorizing.internalErrors).toHaveLength(1);
    expect(authorizing.internalErrors[0]).toMatchObject({ code: 'FORBIDDEN', cause: { message: 'permission service down' } });
  });

  it("a malformed user from authenticate is the host's failure (503 and onError), a malformed extension id in the URL the client's (400)", async () => {
    const server = await start({}, { authenticate: () => ({ id: { not: 'an id' } }) as never });
    const body = await expectError(await get(server, 'global/a'), 503, 'UNAVAILABLE');
    expect(body.message).toBe('the storage is unavailable; try again later');
    expect(server.internalErrors).toHaveLength(1);
    expect(server.internalErrors[0]).toMatchObject({ message: '"authenticate" returned a user the storage refuses', cause: { code: 'VALIDATION' } });
    const fine = await start();
    const response = await fetch(`${fine.origin}${BASE_PATH}/Acme/x/storage/persistent/global/a`, { headers: USER });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('VALIDATION');
    expect(fine.internalErrors).toHaveLength(0);
  });

  it('a client that aborts its upload leaves the store as it was and the server serving', async () => {
    const server = await start();
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(new Uint8Array(100));
        setTimeout(() => controller.abort(), 50);
      },
    });
    await expect(
      fetch(`${server.origin}${EXT}/global/a`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...USER }, body, signal: controller.signal, duplex: 'half' } as RequestInit),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await dump(server.storage)).toBe('[]');
    expect((await put(server, 'global/a', { value: '1' })).status).toBe(201);
  });
});
