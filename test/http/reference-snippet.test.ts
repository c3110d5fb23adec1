/**
 * The front-end snippet of the reference's documentation (Apache Superset PR 39168,
 * persistent-storage.md, "Frontend usage"), run as its clients run it: relative URLs on the host's
 * origin, the session cookie sent by the browser, the CSRF token in `X-CSRFToken`. The snippet is
 * quoted as the reference documents it, with one change: its DELETE elides the token as `...`, which is
 * not JavaScript; it is written out as the PUT writes it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dump, startServer, csrfOk, type TestServer } from './server.js';

const SNIPPET = `
const BASE = '/api/v1/extensions/acme/my-ext/storage/persistent/user';
// Save
await fetch(\`\${BASE}/my-key\`, {
method: 'PUT',
headers: {
'Content-Type': 'application/json',
'X-CSRFToken': await authentication.getCSRFToken(),
},
body: JSON.stringify({
value: JSON.stringify({ foo: 'bar' }),
value_type: 'application/json',
category: 'preferences',
description: 'My display name', // shown in list without fetching value
}),
});
// List
const { result } = await fetch(\`\${BASE}/?category=preferences\`).then(r => r.json());
// Read
const raw = await fetch(\`\${BASE}/my-key\`).then(r => r.text());
const data = JSON.parse(raw);
// Delete
await fetch(\`\${BASE}/my-key\`, { method: 'DELETE', headers: { 'X-CSRFToken': await authentication.getCSRFToken() } });
`;

type Run = (fetch: typeof globalThis.fetch, authentication: { getCSRFToken(): Promise<string> }) => Promise<{ result: unknown[]; data: unknown }>;
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => Run;

let server: TestServer;
beforeAll(async () => {
  server = await startServer(
    {},
    {
      // A cookie session, as Superset's browser login has it.
      authenticate: (request) => (/(?:^|;\s*)session=alice(?:;|$)/.test(request.headers.get('cookie') ?? '') ? { id: 'alice' } : null),
      verifyRequest: csrfOk,
    },
  );
});
afterAll(() => server.close());

/** The browser's fetch on the host's page: relative URLs resolve to its origin, and its cookies go along. */
function browserFetch(cookie: string, seen: { method: string; status: number }[]): typeof globalThis.fetch {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('cookie', cookie);
    const response = await fetch(new URL(String(input), server.origin), { ...init, headers });
    seen.push({ method: init.method ?? 'GET', status: response.status });
    return response;
  };
}

it('runs unchanged against the handler: save, list, read, delete', async () => {
  const seen: { method: string; status: number }[] = [];
  const run = new AsyncFunction('fetch', 'authentication', `${SNIPPET}\nreturn { result, data };`);
  const { result, data } = await run(browserFetch('session=alice; csrf=abc123', seen), { getCSRFToken: async () => 'abc123' });
  expect(seen).toEqual([
    { method: 'PUT', status: 201 },
    { method: 'GET', status: 200 },
    { method: 'GET', status: 200 },
    { method: 'DELETE', status: 204 },
  ]);
  expect(result).toMatchObject([{ key: 'my-key', category: 'preferences', description: 'My display name', value_type: 'application/json' }]);
  expect(data).toEqual({ foo: 'bar' });
  expect(await dump(server.storage)).toBe('[]');
});

it('without the CSRF token its writes are refused, and nothing is stored', async () => {
  const seen: { method: string; status: number }[] = [];
  const run = new AsyncFunction('fetch', 'authentication', `${SNIPPET}\nreturn { result, data };`);
  const { result, data } = await run(browserFetch('session=alice; csrf=abc123', seen), { getCSRFToken: async () => 'forged' });
  expect(seen).toEqual([
    { method: 'PUT', status: 403 },
    { method: 'GET', status: 200 },
    { method: 'GET', status: 404 },
    { method: 'DELETE', status: 403 },
  ]);
  expect(result).toEqual([]);
  expect(data).toMatchObject({ code: 'NOT_FOUND' }); // the reference's clients read the error's JSON too
  expect(await dump(server.storage)).toBe('[]');
});
