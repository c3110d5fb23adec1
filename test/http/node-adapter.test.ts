/**
 * `toNodeHandler` with any fetch handler (streamed bodies, cookies, `next`), the lazy `Request` it
 * builds, and the storage handler called directly with web `Request`s, as Deno, Bun or Hono call it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { ExtensionStorage } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';
import { createStorageHandler, toNodeHandler, type FetchHandler, type NodeHandler } from '../../src/http/index.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(listener: NodeHandler | http.RequestListener): Promise<string> {
  const server = http.createServer(listener as http.RequestListener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it('writes any handler\'s Response: status, headers, every Set-Cookie, a streamed body', async () => {
  const handle: FetchHandler = async (request) => {
    if (new URL(request.url).pathname !== '/mine') return null;
    const echoed = await request.text();
    const headers = new Headers({ 'content-type': 'text/plain', 'x-method': request.method });
    headers.append('set-cookie', 'a=1');
    headers.append('set-cookie', 'b=2');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of ['one,', 'two,', echoed]) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    return new Response(body, { status: 202, headers });
  };
  const origin = await serve(toNodeHandler(handle));
  const response = await fetch(`${origin}/mine`, { method: 'POST', body: 'three' });
  expect(response.status).toBe(202);
  expect(response.headers.get('x-method')).toBe('POST');
  expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  expect(await response.text()).toBe('one,two,three');
  const other = await fetch(`${origin}/other`);
  expect(other.status).toBe(404);
  expect(await other.json()).toMatchObject({ code: 'NOT_FOUND' });
});

it('as middleware, hands the requests it leaves to next()', async () => {
  const adapter = toNodeHandler(async (request) => (new URL(request.url).pathname === '/mine' ? new Response('mine') : null));
  const origin = await serve((req: http.IncomingMessage, res: http.ServerResponse) => adapter(req, res, () => res.end('the host\'s own')));
  expect(await (await fetch(`${origin}/mine`)).text()).toBe('mine');
  expect(await (await fetch(`${origin}/else`)).text()).toBe('the host\'s own');
});

it('its Request is a Request: method, url, headers at once; signal, json() and clone() from the real one', async () => {
  let seen: Record<string, unknown> = {};
  const origin = await serve(
    toNodeHandler(async (request) => {
      seen = {
        isRequest: request instanceof Request,
        method: request.method,
        url: request.url,
        header: request.headers.get('x-test'),
        aborted: request.signal.aborted,
        body: await request.clone().json(),
        again: await request.json(),
      };
      return new Response(null, { status: 204 });
    }),
  );
  expect((await fetch(`${origin}/path?q=1`, { method: 'PATCH', headers: { 'x-test': 'yes' }, body: '{"a":1}' })).status).toBe(204);
  expect(seen).toEqual({ isRequest: true, method: 'PATCH', url: `${origin}/path?q=1`, header: 'yes', aborted: false, body: { a: 1 }, again: { a: 1 } });
});

it('a Host header that is not a host does not move the path', async () => {
  let url = '';
  const origin = await serve(
    toNodeHandler(async (request) => {
      url = request.url;
      return new Response('ok');
    }),
  );
  const { port } = new URL(origin);
  await new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/real', headers: { host: 'evil/other?' } }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
  expect(new URL(url).pathname).toBe('/real');
});

it('the storage handler alone answers web Requests, streams included, and refuses a streamed body past the limit', async () => {
  const storage = new ExtensionStorage({ dialect: sqlite(new Database(':memory:')), limits: { maxValueBytes: 100 } });
  await storage.migrate();
  const handle = createStorageHandler(storage, { basePath: '/api', authenticate: () => ({ id: 7 }) });
  const url = 'http://host/api/acme/ext/storage/persistent/user/k';
  const put = await handle(new Request(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(100) }));
  expect(put!.status).toBe(201);
  expect(put!.headers.get('x-content-type-options')).toBe('nosniff');
  let pulled = 0;
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(30));
    },
    cancel() {
      cancelled = true;
    },
  });
  const refused = await handle(new Request(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: endless, duplex: 'half' } as RequestInit));
  expect(refused!.status).toBe(413);
  expect(cancelled).toBe(true);
  expect(pulled).toBeLessThan(10);
  const read = await handle(new Request(url));
  expect(read!.status).toBe(200);
  expect((await read!.arrayBuffer()).byteLength).toBe(100);
  // A value type a header cannot carry is served as bytes; listings still give it as stored.
  const odd = 'text/plain; note="caf\u00e9 \u2615"';
  expect((await handle(new Request(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 'x', value_type: odd }) })))!.status).toBe(200);
  const served = await handle(new Request(url));
  expect(served!.headers.get('content-type')).toBe('application/octet-stream');
  const listed = (await (await handle(new Request('http://host/api/acme/ext/storage/persistent/user/')))!.json()) as { result: { value_type: string }[] };
  expect(listed.result[0]!.value_type).toBe(odd);
});
