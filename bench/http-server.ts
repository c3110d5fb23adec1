/**
 * The server side of section `http`, run as a child process (one per server, so that its CPU time is its
 * own): an in-memory SQLite storage holding 1,000 entries of 1 KiB, served on 127.0.0.1 one of two ways
 * (the first argument):
 * - `handler`: `createStorageHandler` through `toNodeHandler`;
 * - `direct`: a hand-written `node:http` route that parses the path and calls the SDK itself, answering
 *   what the handler answers (the same headers and the same JSON), so that both put the same bytes on the
 *   wire and the comparison is of the machinery alone (routing, checks, the Request, the adapter).
 * Prints one line `port <port>` when it listens.
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { ExtensionStorage } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import { createStorageHandler, toNodeHandler } from '../src/http/index.js';
import { EXTENSION_ID, keyNames, values } from './workload.js';

export const KEYS = 1000;
export const PREFIX = `/api/v1/extensions/${EXTENSION_ID.replace('.', '/')}/storage/persistent/global/`;

const storage = new ExtensionStorage({ dialect: sqlite(new Database(':memory:')) });
await storage.migrate();
const seed = storage.extension(EXTENSION_ID).global;
const { plain } = values();
for (const [k, key] of keyNames(KEYS).entries()) await seed.set(key, plain[k & 3]!);

const user = { id: 1 };
const handler = () => http.createServer(
  toNodeHandler(createStorageHandler(storage, { basePath: '/api/v1/extensions', authenticate: () => user })),
);

const direct = () => http.createServer((req, res) => {
  const url = req.url ?? '';
  const fail = (status: number) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{"message":"failed"}');
  };
  if (!url.startsWith(PREFIX)) return fail(404);
  const key = decodeURIComponent(url.slice(PREFIX.length));
  const scope = storage.extension(EXTENSION_ID, { user }).global;
  if (req.method === 'GET') {
    scope.get(key).then((entry) => {
      if (entry === null) return fail(404);
      res.writeHead(200, {
        'x-content-type-options': 'nosniff',
        etag: `"${entry.etag}"`,
        'last-modified': entry.updatedAt.toUTCString(),
        'cache-control': entry.encrypted ? 'no-store' : 'private, no-cache',
        'content-type': entry.valueType,
        'content-length': entry.value.byteLength,
        'content-security-policy': "default-src 'none'; sandbox",
        'content-disposition': 'attachment',
      });
      res.end(entry.value);
    }, () => fail(503));
    return;
  }
  if (req.method === 'PUT') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      scope.set(key, Buffer.concat(chunks), { valueType: req.headers['content-type'] ?? 'application/octet-stream' }).then((info) => {
        const body = JSON.stringify({
          key: info.key,
          uuid: info.uuid,
          etag: `"${info.etag}"`,
          value_type: info.valueType,
          category: info.category,
          description: info.description,
          is_encrypted: info.encrypted,
          version: info.version,
          size: info.size,
          created_on: info.createdAt.toISOString(),
          changed_on: info.updatedAt.toISOString(),
          expires_on: info.expiresAt === null ? null : info.expiresAt.toISOString(),
        });
        res.writeHead(info.version === 1 ? 201 : 200, {
          etag: `"${info.etag}"`,
          'content-type': 'application/json; charset=utf-8',
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      }, () => fail(503));
    });
    return;
  }
  fail(405);
});

const server = process.argv[2] === 'direct' ? direct() : handler();
server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as AddressInfo).port}`));
