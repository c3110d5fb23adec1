/**
 * A real `node:http` server on 127.0.0.1 serving the storage handler through `toNodeHandler`, over an
 * in-memory SQLite storage. The caller's user is the `x-user` header (none: no user); the CSRF check
 * compares `X-CSRFToken` with the `csrf` cookie (the double-submit pattern).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { ExtensionStorage, type Dialect, type ExtensionStorageOptions } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';
import { createStorageHandler, toNodeHandler, type StorageHandlerOptions } from '../../src/http/index.js';

export const BASE_PATH = '/api/v1/extensions';

export interface TestServer {
  readonly origin: string;
  readonly storage: ExtensionStorage;
  readonly database: Database.Database;
  /** Errors the handler answered 503, as `onError` received them. */
  readonly internalErrors: unknown[];
  close(): Promise<void>;
}

export function csrfOk(request: Request): boolean {
  const cookie = /(?:^|;\s*)csrf=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
  return cookie !== undefined && request.headers.get('x-csrftoken') === cookie;
}

export async function startServer(
  storageOptions: Omit<ExtensionStorageOptions, 'dialect'> = {},
  handlerOptions: Partial<StorageHandlerOptions> = {},
): Promise<TestServer> {
  const database = new Database(':memory:');
  const server = await startServerOn(sqlite(database), storageOptions, handlerOptions);
  return { ...server, database };
}

/** The same server over any dialect. */
export async function startServerOn(
  dialect: Dialect,
  storageOptions: Omit<ExtensionStorageOptions, 'dialect'> = {},
  handlerOptions: Partial<StorageHandlerOptions> = {},
): Promise<Omit<TestServer, 'database'>> {
  const storage = new ExtensionStorage({ ...storageOptions, dialect });
  await storage.migrate();
  const internalErrors: unknown[] = [];
  const handle = createStorageHandler(storage, {
    basePath: BASE_PATH,
    authenticate: (request) => {
      const id = request.headers.get('x-user');
      return id === null ? null : { id };
    },
    onError: (error) => internalErrors.push(error),
    ...handlerOptions,
  });
  const server = http.createServer(toNodeHandler(handle));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    storage,
    internalErrors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every entry of the store, values and all, as one string: what "byte-identical" compares. */
export async function dump(storage: ExtensionStorage): Promise<string> {
  const entries: unknown[] = [];
  for await (const entry of storage.exportEntries()) {
    entries.push({ ...entry, value: Buffer.from(entry.value).toString('hex') });
  }
  return JSON.stringify(entries);
}
