/**
 * PostgreSQL-specific checks beyond the conformance suite, on the throwaway server: the hot queries use
 * the indexes, separate processes and concurrent migrations lose nothing, the widest row the validation
 * rules allow fits PostgreSQL's btree limit, and both client forms are accepted.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgresJs, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgres } from '../../src/dialects/postgres/index.js';
import { migrations } from '../../src/dialects/postgres/migrations.js';
import { ExtensionStorage, ExtensionStorageError } from '../../src/index.js';
import { createTempDatabase, type TempDatabase } from '../setup/databases.js';
import { expectIndexed, expectPurgeIndexed, fillTable, hotOperations, plans, StatementRecorder, type RunSql } from './postgres-plans.js';

const pgUrl = inject('pgUrl');
const WORKER = fileURLToPath(new URL('./postgres-worker.ts', import.meta.url));
const TERMINATE_WORKER = fileURLToPath(new URL('./postgres-terminate-worker.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** A fresh database and the clients opened on it, closed and dropped after the describe block. */
function tempDatabase(): { url: () => string; client: (options?: postgresJs.Options<{}>) => Sql } {
  let database: TempDatabase | undefined;
  const clients: Sql[] = [];
  beforeAll(async () => {
    database = await createTempDatabase(pgUrl!);
  });
  afterAll(async () => {
    await Promise.all(clients.map((sql) => sql.end({ timeout: 5 })));
    await database?.drop();
  });
  return {
    url: () => database!.url,
    client: (options = {}) => {
      const sql = postgresJs(database!.url, { max: 4, onnotice: () => {}, ...options });
      clients.push(sql);
      return sql;
    },
  };
}

/** A string of `length` random characters outside the BMP (4 bytes each in UTF-8): incompressible. */
function randomAstral(length: number): string {
  return Array.from({ length }, () => String.fromCodePoint(0x10000 + randomInt(0xfffff - 0x10000))).join('');
}

describe.skipIf(!pgUrl)('postgres dialect', () => {
  describe('query plans', () => {
    const db = tempDatabase();

    it('every hot query reads through an index, and listings need no sort', async () => {
      const recorder = new StatementRecorder();
      const sql = db.client({ debug: (_connection, query, params) => recorder.record(query, params) });
      const storage = new ExtensionStorage({ dialect: postgres(sql) });
      await storage.migrate();
      const session = await sql.reserve();
      try {
        // without parameters, the simple protocol: PREPARE's own $n must reach the server as text
        const run: RunSql = async (query, params = []) =>
          params.length > 0 ? [...(await session.unsafe(query, params as never[]))] : [...(await session.unsafe(query).simple())];
        await fillTable(run);
        recorder.recording = true;
        await hotOperations(storage);
        recorder.recording = false;
        const statements = recorder.statements;
        // get, delete, seven list shapes and three count shapes
        expect(statements.length).toBe(12);
        for (const statement of statements) {
          const { custom, generic } = await plans(run, statement);
          expectIndexed(statement, custom);
          expectIndexed(statement, generic);
        }
        await expectPurgeIndexed(run, recorder, storage);
      } finally {
        session.release();
      }
    });
  });

  describe('several processes', () => {
    const db = tempDatabase();

    it('three processes writing and reading interleaved keys lose nothing', async () => {
      const workers = 3;
      const keys = 150;
      const results = await Promise.all(
        Array.from({ length: workers }, (_, worker) => runWorker([db.url(), String(worker), String(workers), String(keys)])),
      );
      for (const result of results) {
        expect(result.problems, `worker ${result.worker}`).toEqual([]);
        expect(result.sharedVersion).toBe(workers * keys);
      }
      const sql = db.client();
      const [{ applied }] = (await sql`SELECT count(*)::int AS applied FROM extension_storage_migrations`) as unknown as [{ applied: number }];
      expect(applied).toBe(migrations.length);
    }, 120_000);
  });

  describe('concurrent migrations', () => {
    const db = tempDatabase();

    it('migrate() from eight connections at once applies once, without error', async () => {
      const dialects = Array.from({ length: 8 }, () => postgres(db.client({ max: 1 })));
      await Promise.all(dialects.map((dialect) => dialect.migrate()));
      const sql = db.client();
      const ledger = await sql`SELECT tag FROM extension_storage_migrations ORDER BY tag`;
      expect(ledger.map((row) => row.tag)).toEqual(migrations.map((migration) => migration.tag));
      await Promise.all(dialects.map((dialect) => dialect.migrate()));
      const storage = new ExtensionStorage({ dialect: dialects[3]! });
      await storage.extension('acme.migrate').global.set('k', 'v');
      expect(await new ExtensionStorage({ dialect: dialects[5]! }).extension('acme.migrate').global.getText('k')).toBe('v');

      await Promise.all(dialects.map((dialect) => dialect.migrateDown()));
      const left = await sql`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'extension_storage%'`;
      expect(left).toHaveLength(0);
      await Promise.all(dialects.map((dialect) => dialect.migrate()));
      expect(await sql`SELECT tag FROM extension_storage_migrations`).toHaveLength(migrations.length);
    });
  });

  describe('row size', () => {
    const db = tempDatabase();

    it('the widest row the validation rules allow fits the btree limit, even incompressible', async () => {
      const storage = new ExtensionStorage({ dialect: postgres(db.client()) });
      await storage.migrate();
      const ext = storage.extension(`${'a'.repeat(120)}.${'b'.repeat(134)}`, { user: { id: 'ü'.repeat(127) + 'x' } });
      const resource = ext.resource('a'.repeat(64), randomAstral(255));
      const key = randomAstral(255);
      const category = randomAstral(64);
      await resource.set(key, 'r', { category });
      await ext.user.set(key, 'u', { category });
      await ext.global.set(key, 'g', { category });
      expect(await resource.getText(key)).toBe('r');
      expect(await resource.count({ category })).toBe(1);
      expect((await ext.user.list({ category })).items.map((item) => item.key)).toEqual([key]);
    });
  });

  describe('client forms', () => {
    const db = tempDatabase();

    it('accepts a Drizzle PostgresJsDatabase and shares its client', async () => {
      const sql = db.client();
      const storage = new ExtensionStorage({ dialect: postgres(drizzle({ client: sql })) });
      await storage.migrate();
      const ext = storage.extension('acme.drizzle');
      const written = await ext.global.set('k', 'via drizzle', { category: 'c' });
      expect(written.createdAt).toBeInstanceOf(Date);
      expect(await ext.global.getText('k')).toBe('via drizzle');
      expect((await ext.global.list({ category: 'c' })).items.map((item) => item.key)).toEqual(['k']);
      const [row] = await sql`SELECT convert_from(value, 'UTF8') AS text FROM extension_storage WHERE key = 'k'`;
      expect(row!.text).toBe('via drizzle');
    });

    it('leaves the settings of a raw postgres.js client alone', async () => {
      const sql = db.client();
      const storage = new ExtensionStorage({ dialect: postgres(sql) });
      await storage.migrate();
      const info = await storage.extension('acme.raw').global.set('k', 'v');
      expect(info.createdAt).toBeInstanceOf(Date);
      const [row] = await sql`SELECT now() AS now`;
      expect(row!.now).toBeInstanceOf(Date);
    });

    it("the client's parsers (Drizzle's dates as text, int8 as BigInt, a date parser of its own) do not change what the library returns", async () => {
      const at = new Date('2026-11-30T12:34:56.789Z');
      const clients = [
        db.client(),
        drizzle({ client: db.client() }),
        db.client({ types: { bigint: postgresJs.BigInt } }),
        db.client({ types: { date: { to: 1184, from: [1082, 1114, 1184], serialize: (x: Date | string) => new Date(x).toISOString(), parse: (x: string) => x } } }),
      ];
      const seen: unknown[] = [];
      for (const [index, client] of clients.entries()) {
        const storage = new ExtensionStorage({ dialect: postgres(client as Sql), now: () => at });
        await storage.migrate();
        const scope = storage.extension('acme.parsers').global;
        const key = `k${index}`;
        const written = await scope.set(key, 'v', { category: 'c', expiresAt: new Date('2027-01-01T00:00:00.001Z') });
        const again = await scope.set(key, 'w', { category: 'c', expiresAt: new Date('2027-01-01T00:00:00.001Z') });
        const read = await scope.get(key);
        const [listed] = (await scope.list({ prefix: key })).items;
        for (const info of [written, again, read!, listed!]) {
          expect([info.createdAt, info.updatedAt, info.expiresAt]).toEqual([at, at, new Date('2027-01-01T00:00:00.001Z')]);
          expect(typeof info.size).toBe('number');
        }
        expect([again.version, read!.version, read!.etag]).toEqual([2, 2, again.etag]);
        expect(new TextDecoder().decode(read!.value)).toBe('w');
        const { uuid: _uuid, etag: _etag, key: _key, ...rest } = read!;
        seen.push(rest);
      }
      expect(seen.every((entry) => JSON.stringify(entry) === JSON.stringify(seen[0]))).toBe(true);
    });

    it('getMany and deleteMany take any key, on a client that knows no array types (fetch_types: false)', async () => {
      for (const client of [db.client(), db.client({ fetch_types: false })]) {
        const scope = new ExtensionStorage({ dialect: postgres(client) }).extension('acme.arrays').global;
        await new ExtensionStorage({ dialect: postgres(client) }).migrate();
        const keys = ['plain', 'a,b', 'quote"d', 'back\\slash', '{braces}', 'NULL', ' spaced ', 'ünïcode 😀'];
        for (const key of keys) await scope.set(key, key);
        const read = await scope.getMany([...keys, 'missing']);
        expect(read.map((entry) => (entry === null ? null : new TextDecoder().decode(entry.value)))).toEqual([...keys, null]);
        expect(await scope.deleteMany(keys)).toBe(keys.length);
        expect(await scope.count()).toBe(0);
      }
    });

    it('rejects anything else with a VALIDATION error, and wraps driver errors', async () => {
      for (const client of [null, {}, { $client: {} }, () => 1]) {
        const error = (() => {
          try {
            postgres(client as never);
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(ExtensionStorageError);
        expect((error as ExtensionStorageError).code).toBe('VALIDATION');
      }
      const sql = db.client();
      const storage = new ExtensionStorage({ dialect: postgres(sql) });
      await storage.migrate();
      await sql`DROP TABLE extension_storage`;
      const error = await storage.extension('acme.gone').global.get('k').catch((e: unknown) => e);
      expect((error as ExtensionStorageError).code).toBe('NOT_MIGRATED');
      expect((error as Error).cause).toBeInstanceOf(Error);
      // The driver's SQLSTATE survives the sanitising of the cause.
      expect(((error as Error).cause as { code?: string }).code).toBe('42P01');
    });

    it('a server that cannot be reached gives a DATABASE error with nothing stored in its chain', async () => {
      const unreachable = postgresJs('postgres://nobody@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        const ext = new ExtensionStorage({ dialect: postgres(unreachable) }).extension('acme.down', { user: { id: 'user-private-99' } });
        const error = await ext.user.set('key-private-77', 'value-text-hunter2', { description: 'description-private-88', category: 'category-private' }).catch((e: unknown) => e);
        expect((error as ExtensionStorageError).code).toBe('DATABASE');
        expect(((error as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
        const printed = inspect(error, { depth: null, showHidden: true });
        for (const text of ['value-text-hunter2', 'key-private-77', 'description-private-88', 'category-private', 'user-private-99']) {
          expect(printed).not.toContain(text);
          expect(printed).not.toContain(Buffer.from(text).toString('hex'));
          expect(printed).not.toContain([...Buffer.from(text)].join(','));
        }
      } finally {
        await unreachable.end({ timeout: 1 });
      }
    });
  });
});

describe.skipIf(!pgUrl)('postgres dialect: a backend terminated during the write-back', () => {
  const db = tempDatabase();

  it('gives a typed outcome and the process lives (postgres.js issue 1208 is not reached)', async () => {
    const sql = db.client();
    const old = new ExtensionStorage({ dialect: postgres(sql), encryptionKeys: 'old secret' });
    await old.migrate();
    for (let i = 0; i < 5; i++) await old.extension('acme.terminated').global.set(`k${i}`, `v${i}`, { encrypt: true });
    // Hold every row, so that the worker's write-back waits on the lock, in flight, until terminated.
    const locker = await sql.reserve();
    await locker`BEGIN`;
    await locker`SELECT id FROM extension_storage FOR UPDATE`;
    const worker = spawn(TSX, [TERMINATE_WORKER, db.url()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    worker.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', resolve));
    let terminated = 0;
    for (let attempt = 0; attempt < 200 && terminated === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const waiting = await sql`
        SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`;
      for (const { pid } of waiting) terminated += (await sql`SELECT pg_terminate_backend(${pid}) AS done`)[0]!.done ? 1 : 0;
    }
    await locker`ROLLBACK`;
    locker.release();
    const code = await exited;
    expect(terminated).toBeGreaterThan(0);
    expect(stderr).not.toMatch(/TypeError/);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { alive: boolean; error?: string; result?: { failed: number } };
    expect(report.alive).toBe(true);
    if (report.error !== undefined) expect(report.error).toBe('DATABASE');
    const both = new ExtensionStorage({ dialect: postgres(sql), encryptionKeys: ['new secret', 'old secret'] }).extension('acme.terminated');
    for (let i = 0; i < 5; i++) expect(await both.global.getText(`k${i}`)).toBe(`v${i}`);
  }, 60_000);
});

interface WorkerResult {
  worker: number;
  problems: string[];
  sharedVersion: number;
}

function runWorker(args: string[]): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as WorkerResult);
      } catch {
        reject(new Error(`worker ${args[1]} exited with ${code}: ${stdout}\n${stderr}`));
      }
    });
  });
}
