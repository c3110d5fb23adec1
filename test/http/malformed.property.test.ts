/**
 * Property: a malformed request (path, method, headers, query or body), with random noise on top,
 * answers a 4xx JSON error and never changes the store, byte for byte. Each generated request is a
 * well-formed one with at least one fault that alone makes it invalid; the noise never repairs it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BASE_PATH, dump, startServer, type TestServer } from './server.js';

const DASHBOARD = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const KNOWN_PARAMETERS = new Set(['category', 'prefix', 'page_size', 'cursor', 'page', 'description', 'is_encrypted', 'ttl']);

interface Draft {
  method: string;
  segments: string[];
  query: [string, string][];
  headers: Record<string, string>;
  body: Uint8Array | string | null;
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ limits: { maxValueBytes: 4096 } });
  const ext = server.storage.extension('acme.my-ext', { user: { id: '42' } });
  await ext.global.set('k', 'global value');
  await ext.user.set('k', 'user value', { category: 'c' });
  await ext.resource('dashboard', DASHBOARD).set('k', new Uint8Array([0, 1, 2]));
});
afterAll(() => server.close());

const scope = fc.constantFrom(['global'], ['user'], ['resources', 'dashboard', DASHBOARD]);
const key = fc.constantFrom([] as string[], ['k'], ['other'], ['a', 'b']);
const noiseText = fc.string({ maxLength: 20 }).map((text) => text.replace(/[^\x20-\x7e]/g, ''));

/** A valid request to start from. */
const base = fc.record({ method: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE'), scope, key }).map(
  ({ method, scope, key }): Draft => ({
    method: key.length === 0 && (method === 'PUT' || method === 'DELETE') ? 'GET' : method,
    segments: ['acme', 'my-ext', 'storage', 'persistent', ...scope, ...key],
    query: [],
    headers: { 'x-user': '42', ...(method === 'PUT' ? { 'content-type': 'application/json' } : {}) },
    body: method === 'PUT' && key.length > 0 ? JSON.stringify({ value: 'new' }) : null,
  }),
);

/** One fault: each alone makes any request invalid (or, for the body's faults, any PUT). */
type Fault = (draft: Draft) => void;
const faults: fc.Arbitrary<Fault>[] = [
  // Paths: an extension id that is not one, a route segment the API does not have, a broken key, a route cut short.
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.constantFrom('ACME', '', '%zz', '%E0%A4%A', 'a b')).map(([at, segment]) => (draft: Draft) => {
    draft.segments[at] = segment;
  }),
  fc.tuple(fc.integer({ min: 2, max: 4 }), fc.constantFrom('', '%zz', 'st0rage', 'volatile', 'globl', 'resource')).map(([at, segment]) => (draft: Draft) => {
    draft.segments[at] = segment;
  }),
  fc.constantFrom('%01', '%zz', 'x'.repeat(256), '%ED%A0%80').map((key) => (draft: Draft) => {
    draft.segments.push(key);
  }),
  fc.array(fc.constantFrom('..', 'a', '%2F'), { maxLength: 3 }).map((tail) => (draft: Draft) => {
    draft.segments = ['acme', 'my-ext', 'storage', ...tail];
  }),
  // Methods.
  fc.constantFrom('POST', 'PATCH', 'OPTIONS', 'PROPFIND').map((method) => (draft: Draft) => {
    draft.method = method;
    if (draft.body === null) draft.body = 'x';
  }),
  // Headers: no user.
  fc.constant((draft: Draft) => {
    delete draft.headers['x-user'];
  }),
  // Query: an unknown parameter (first, so that no other check answers before it but the path's).
  fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !KNOWN_PARAMETERS.has(name)).map((name) => (draft: Draft) => {
    draft.query.unshift([name, '1']);
  }),
];
/** Faults of a PUT's headers and body. */
const putFaults: fc.Arbitrary<Fault>[] = [
  fc
    .constantFrom('[1]', 'null', '"text"', '{', '{"value":1}', '{"value":"v","value_type":null}', '{"value":"v","extra":true}', '{}', '{"value":"v","value_base64":"AA=="}', '{"value_base64":"A"}', '{"value":"v","ttl":-5}', '{"value":"v","value_type":"no type"}', '{"value":"v","category":""}')
    .map((body) => (draft: Draft) => {
      draft.body = body;
    }),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => (draft: Draft) => {
    draft.body = new Uint8Array([0x7b, 0xff, ...bytes]); // `{` then a byte that is never UTF-8
  }),
  fc.constantFrom('gzip', 'br', 'deflate').map((coding) => (draft: Draft) => {
    draft.headers['content-encoding'] = coding;
  }),
  fc.constantFrom('application/json; charset=latin1', '').map((type) => (draft: Draft) => {
    if (type === '') delete draft.headers['content-type'];
    else draft.headers['content-type'] = type;
  }),
  fc.constantFrom('"x"', 'W/"x"', '"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.1"', '*', '"a", "b"').map((tag) => (draft: Draft) => {
    draft.headers['if-match'] = tag;
  }),
  fc.constant((draft: Draft) => {
    draft.body = JSON.stringify({ value: 'x'.repeat(4097) });
  }),
];

/** Noise that never repairs a fault: headers the API ignores or that only add conditions, and query values. */
const noise = fc.record(
  {
    accept: noiseText,
    'x-csrftoken': noiseText,
    cookie: noiseText,
    range: noiseText,
    'if-none-match': fc.constantFrom('"nope"', 'W/"nope"'),
    'if-modified-since': noiseText,
  },
  { requiredKeys: [] },
);

const malformed = fc
  .tuple(base, fc.oneof(...faults), fc.oneof(...faults, ...putFaults), fc.array(fc.oneof(...putFaults), { maxLength: 2 }), noise)
  .map(([start, fault, putFault, extraPutFaults, noiseHeaders]) => {
    const draft = structuredClone(start); // fast-check reuses its values while shrinking: never mutate them
    Object.assign(draft.headers, Object.fromEntries(Object.entries(noiseHeaders).filter(([name]) => !(name === 'if-none-match' && draft.method === 'PUT'))));
    // A PUT may get any fault, and more of its body's and headers' (which only a PUT reads).
    if (draft.method === 'PUT') {
      putFault(draft);
      for (const extra of extraPutFaults) extra(draft);
    } else {
      fault(draft);
    }
    return draft;
  });

it('malformed requests answer 4xx JSON and leave the store byte-identical', async () => {
  const before = await dump(server.storage);
  const usageBefore = await server.storage.usage('acme.my-ext');
  await fc.assert(
    fc.asyncProperty(malformed, async (draft) => {
      const search = draft.query.length === 0 ? '' : `?${draft.query.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')}`;
      const url = `${server.origin}${BASE_PATH}/${draft.segments.join('/')}${search}`;
      // fetch gives a string body a text/plain type of its own: bytes go with the headers given, and no other.
      const body = typeof draft.body === 'string' ? new TextEncoder().encode(draft.body) : draft.body;
      const response = await fetch(url, { method: draft.method, headers: draft.headers, body: draft.method === 'GET' || draft.method === 'HEAD' ? null : body });
      expect(response.status, `${draft.method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${draft.method} ${url}`).toBeLessThan(500);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      if (draft.method !== 'HEAD') {
        const body = (await response.json()) as { message: unknown; code: unknown };
        expect(typeof body.message).toBe('string');
        expect(typeof body.code).toBe('string');
      } else {
        await response.arrayBuffer();
      }
    }),
    { numRuns: 400 },
  );
  expect(await dump(server.storage)).toBe(before);
  expect(await server.storage.usage('acme.my-ext')).toEqual(usageBefore);
  expect(server.internalErrors).toEqual([]);
}, 120_000);
