/**
 * The HTTP API over PostgreSQL (the throwaway server of test/setup): the routes, conditions, quota and
 * listing pages answer as on SQLite, and malformed requests leave the store byte-identical.
 */
import postgresJs from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgres } from '../../src/dialects/postgres/index.js';
import { createTempDatabase } from '../setup/databases.js';
import { BASE_PATH, dump, startServerOn, type TestServer } from './server.js';

const pgUrl = inject('pgUrl');
const EXT = `${BASE_PATH}/acme/my-ext/storage/persistent`;
const USER = { 'x-user': '42' };

describe.skipIf(!pgUrl)('HTTP on PostgreSQL', () => {
  let server: Omit<TestServer, 'database'>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTempDatabase(pgUrl!);
    const sql = postgresJs(database.url, { max: 4, onnotice: () => {} });
    server = await startServerOn(postgres(sql), { limits: { quotaKeysPerExtension: 40 } });
    close = async () => {
      await server.close();
      await sql.end({ timeout: 5 });
      await database.drop();
    };
  });
  afterAll(() => close());

  const put = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.origin}${EXT}/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...USER, ...headers }, body: JSON.stringify(body) });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.origin}${EXT}/${path}`, { headers: { ...USER, ...headers } });

  it('creates, reads with conditions, pages, refuses past the quota and deletes', async () => {
    const created = await put('user/doc', { value_base64: Buffer.from([0, 255, 1]).toString('base64'), value_type: 'application/octet-stream' });
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag')!;
    const read = await get('user/doc');
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(new Uint8Array([0, 255, 1]));
    expect(read.headers.get('etag')).toBe(etag);
    expect((await get('user/doc', { 'if-none-match': etag })).status).toBe(304);
    expect((await put('user/doc', { value: 'x' }, { 'if-none-match': '*' })).status).toBe(409);
    expect((await put('user/doc', { value: 'x' }, { 'if-match': etag })).status).toBe(200);
    expect((await put('user/doc', { value: 'y' }, { 'if-match': etag })).status).toBe(412);
    for (let i = 0; i < 30; i++) expect((await put(`global/k${String(i).padStart(2, '0')}`, { value: String(i) })).status).toBe(201);
    const pages = await Promise.all([0, 1, 2].map(async (page) => ((await (await get(`global/?page=${page}&page_size=12`)).json()) as { count: number; result: { key: string }[] })));
    expect(pages[0]!.count).toBe(30);
    expect(pages.flatMap((page) => page.result.map((item) => item.key))).toHaveLength(30);
    for (let i = 30; i < 39; i++) await put(`global/k${i}`, { value: 'v' });
    const before = await dump(server.storage);
    const refused = await put('global/one-too-many', { value: 'v' });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { code: string }).code).toBe('QUOTA_EXCEEDED');
    expect(await dump(server.storage)).toBe(before);
    const remove = await fetch(`${server.origin}${EXT}/user/doc`, { method: 'DELETE', headers: USER });
    expect(remove.status).toBe(204);
    expect((await fetch(`${server.origin}${EXT}/user/doc`, { method: 'DELETE', headers: USER })).status).toBe(404);
  });

  it('malformed requests answer 4xx and change nothing', async () => {
    const before = await dump(server.storage);
    const requests: [string, RequestInit][] = [
      ['user/x', { method: 'PUT', headers: { ...USER, 'content-type': 'application/json' }, body: '[1]' }],
      ['user/x', { method: 'PUT', headers: { ...USER, 'content-type': 'application/json' }, body: '{"value":"v","value_type":null}' }],
      ['user/%01', { method: 'PUT', headers: { ...USER, 'content-type': 'application/json' }, body: '{"value":"v"}' }],
      ['global/k01', { method: 'DELETE', headers: { ...USER, 'if-match': '"nope"' } }],
      ['global/k01', { method: 'DELETE' }],
      ['global/?cursor=garbage', { headers: USER }],
      ['global/k01', { method: 'PUT', headers: { ...USER, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{"value":"v"}' }],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(`${server.origin}${EXT}/${path}`, init);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      expect(await response.json()).toHaveProperty('message');
    }
    expect(await dump(server.storage)).toBe(before);
    expect(server.internalErrors).toEqual([]);
  });
});
