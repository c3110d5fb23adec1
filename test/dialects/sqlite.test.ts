/**
 * SQLite-specific checks: the query plans of the hot statements, and two processes on one WAL file.
 */
import Database from 'better-sqlite3';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError, ExtensionStorage } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const folder = mkdtempSync(join(tmpdir(), 'extension-storage-sqlite-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('query plans', () => {
  it('every hot query is answered from an index, listing without a sort', async () => {
    const db = new Database(':memory:');
    const statements = new Set<string>();
    const prepare = db.prepare.bind(db);
    // Record the SQL the dialect prepares (the real statements run unchanged).
    db.prepare = ((source: string) => {
      statements.add(source);
      return prepare(source);
    }) as typeof db.prepare;
    const storage = new ExtensionStorage({ dialect: sqlite(db) });
    await storage.migrate();
    const ext = storage.extension('acme.plans');
    for (let i = 0; i < 2000; i++) await ext.global.set(`k${i}`, 'v', { category: i % 2 ? 'odd' : 'even' });
    db.exec('ANALYZE');
    const first = await ext.global.list({ limit: 5 });
    await ext.global.list({ limit: 5, cursor: first.nextCursor });
    await ext.global.list({ limit: 5, category: 'odd', prefix: 'k1' });
    await ext.global.count({ prefix: 'k1' });
    await ext.global.count({ category: 'even' });
    await ext.global.get('k1');
    await ext.global.delete('k1');
    const k2 = await ext.global.set('k2', 'w', { ifVersion: 1 });
    await ext.global.set('k2', 'x', { ifMatch: k2.etag });
    await ext.global.set('k1', 'v', { ifAbsent: true });
    await ext.global.delete('k2', { ifVersion: 3 });
    await ext.global.delete('k1', { ifMatch: (await ext.global.get('k1'))!.etag });
    await ext.global.increment('n');
    await ext.global.getMany(['k3', 'k4']);
    await ext.global.deleteMany(['k3', 'k4']);
    for (let i = 0; i < 20; i++) await ext.global.set(`e${i}`, 'v', { expiresAt: new Date(Date.now() - 1000) });
    expect(await storage.purgeExpired({ batchSize: 5 })).toBe(20);

    const plans = [...statements]
      .filter((source) => /^\s*(select|delete|insert|update)/i.test(source) && source.includes('extension_storage"') && !source.includes('migrations'))
      .map((source) => {
        const params = Object.fromEntries([...source.matchAll(/[:@$](\w+)/g)].map(([, name]) => [name, 'x']));
        const positional = (source.match(/\?/g) ?? []).map(() => 'x');
        const plan = prepare(`EXPLAIN QUERY PLAN ${source}`)
          .all(...(positional.length ? positional : [params]))
          .map((row) => (row as { detail: string }).detail)
          .join(' | ');
        return { source, plan };
      });
    expect(plans.length).toBeGreaterThanOrEqual(15);
    expect(plans.filter(({ source }) => /^\s*delete/i.test(source) && /"expires_at" <=/.test(source))).toHaveLength(1);
    for (const { source, plan } of plans) {
      expect(plan, source).not.toMatch(/SCAN extension_storage(?! USING)/);
      expect(plan, source).not.toMatch(/TEMP B-TREE/);
      if (/^\s*select/i.test(source) && !/is_encrypted/.test(source)) {
        expect(plan, source).toMatch(/USING (COVERING )?INDEX extension_storage_scoped_(key|category)/);
      }
      if (/ where .*"category" = \?/.test(source)) expect(plan, source).toMatch(/extension_storage_scoped_category/);
      if (/^\s*delete/i.test(source) && /"expires_at" <=/.test(source)) expect(plan, source).toMatch(/USING (COVERING )?INDEX extension_storage_expires_at/);
    }
  }, 30_000);
});

describe('a rollback-journal file read by another process', () => {
  it('loses no acknowledged write: a commit refused for the reader\'s lock is retried, not dropped', async () => {
    const file = join(folder, 'journal.db');
    const db = new Database(file); // the default journal mode: a commit needs every reader gone
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    const storage = new ExtensionStorage({ dialect: sqlite(db) });
    await storage.migrate();
    const scope = storage.extension('acme.journal').global;
    const reader = spawn(tsx, [join(process.cwd(), 'test', 'dialects', 'sqlite-reader.ts'), file, '200'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => reader.once('exit', resolve));
    await new Promise<void>((resolve) => reader.stdout.once('data', () => resolve()));
    const acknowledged: string[] = [];
    let counted = 0;
    let running = true;
    void exited.then(() => (running = false));
    for (let i = 0; running; i++) {
      await new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop, as a server has between requests
      await scope.set(`k${i}`, 'v');
      acknowledged.push(`k${i}`);
      if (i % 3 === 0) counted = await scope.increment('n');
      if (i % 5 === 0) await scope.set(`absent${i}`, 'v', { ifAbsent: true });
    }
    expect(acknowledged.length).toBeGreaterThan(20);
    const entries = await scope.getMany(acknowledged.slice(0, 1000));
    expect(entries.filter((entry) => entry === null)).toHaveLength(0);
    expect(await scope.getJSON('n')).toBe(counted);
    expect(await scope.count({ prefix: 'k' })).toBe(acknowledged.length);
    db.close();
  }, 60_000);
});

describe('two processes on one WAL file', () => {
  it('interleaved writers lose nothing and never see "database is locked"', async () => {
    const file = join(folder, 'shared.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    const storage = new ExtensionStorage({ dialect: sqlite(setup) });
    await storage.migrate();
    const writers = 2;
    const perWriter = 300;
    const script = join(process.cwd(), 'test', 'dialects', 'sqlite-writer.ts');
    const runs = await Promise.all(
      Array.from({ length: writers }, (_, index) =>
        promisify(execFile)(tsx, [script, file, String(index), String(writers), String(perWriter)], { timeout: 60_000 }),
      ),
    );
    for (const { stdout } of runs) expect(JSON.parse(stdout)).toEqual({ errors: [] });
    const scope = storage.extension('acme.writers').global;
    expect(await scope.count({ prefix: 'key-' })).toBe(writers * perWriter);
    for (let i = 0; i < writers * perWriter; i++) {
      expect(await scope.getText(`key-${String(i).padStart(6, '0')}`)).toBe(`written by ${i % writers}`);
    }
    expect((await scope.get('shared'))?.version).toBe(writers * perWriter);
    setup.close();
  }, 90_000);
});

describe('two processes counting on one WAL file', () => {
  it('100 updates and 100 increments from each of two processes end at exactly 200', async () => {
    const file = join(folder, 'counters.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    const storage = new ExtensionStorage({ dialect: sqlite(setup) });
    await storage.migrate();
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const script = join(process.cwd(), 'test', 'dialects', 'sqlite-counter.ts');
    const runs = await Promise.all(
      Array.from({ length: 2 }, () => promisify(execFile)(tsx, [script, file, '100'], { timeout: 90_000 })),
    );
    for (const { stdout } of runs) expect(JSON.parse(stdout)).toEqual({ errors: [] });
    const scope = storage.extension('acme.counters').global;
    expect(await scope.getText('updated')).toBe('200');
    expect(await scope.getJSON('incremented')).toBe(200);
    expect((await scope.get('incremented'))?.version).toBe(200);
    setup.close();
  }, 120_000);
});

describe("the host's synchronous Drizzle transaction", () => {
  it('list and count run at call time there, like every other operation', async () => {
    const db = new Database(':memory:');
    const storage = new ExtensionStorage({ dialect: sqlite(db) });
    await storage.migrate();
    await storage.extension('acme.host').global.set('a', '1');
    let listed: Promise<unknown> | undefined;
    let counted: Promise<unknown> | undefined;
    drizzle({ client: db }).transaction((tx) => {
      const scope = storage.withTransaction(tx).extension('acme.host').global;
      void scope.set('b', '2');
      listed = scope.list();
      counted = scope.count();
    });
    expect(((await listed) as { items: { key: string }[] }).items.map((item) => item.key)).toEqual(['a', 'b']);
    expect(await counted).toBe(2);
    db.close();
  });

  it('runs each operation at call time; statements after the host committed are refused, never run outside', async () => {
    const db = new Database(':memory:');
    const storage = new ExtensionStorage({ dialect: sqlite(db) });
    await storage.migrate();
    const host = drizzle({ client: db });
    let updated: Promise<unknown> | undefined;
    host.transaction((tx) => {
      const scope = storage.withTransaction(tx).extension('acme.host').global;
      void scope.set('now', 'written at call time');
      // update reads at call time, then awaits its function: its write would come after the commit.
      updated = scope.update('later', () => 'too late');
    });
    const error = await updated!.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('VALIDATION');
    const scope = storage.extension('acme.host').global;
    expect(await scope.getText('now')).toBe('written at call time');
    expect(await scope.get('later')).toBeNull();
    expect(() => storage.withTransaction(drizzle({ client: new Database(':memory:') }))).toThrow(/withTransaction/);
    // The right database, but no transaction open on it: refused at once, not at the first operation.
    expect(() => storage.withTransaction(db)).toThrow(/"withTransaction" expected to be called while a transaction is open/);
    expect(() => storage.withTransaction(drizzle({ client: db }))).toThrow(/got none open/);
    db.close();
  });
});

describe("savepoints side by side in a host's transaction (operations run at call time, not in turn)", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('one ending under others still open never leaks a raw SQLite error; one rolled back under others fails them, typed', async () => {
    const db = new Database(':memory:');
    const storage = new ExtensionStorage({ dialect: sqlite(db) });
    await storage.migrate();
    // The host's own BEGIN on the Database, then it awaits: operations of its view start when called.
    db.exec('BEGIN');
    const view = storage.withTransaction(db);
    const nested = (key: string, ms: number, fail: boolean) =>
      view.transaction(async (inner) => {
        await inner.extension('acme.host').global.set(key, '1');
        await sleep(ms);
        if (fail) throw new Error(key);
      });
    const results = await Promise.allSettled([
      // Opened first and ends first, keeping its writes, while the two opened after it are still open.
      nested('kept', 5, false),
      view.extension('acme.host').global.setMany([{ key: 'batch', value: '1' }]),
      // Rolls back while the one opened after it is still open: that one's writes go too, and it says so.
      nested('undone', 10, true),
      nested('lost', 15, false),
    ]);
    expect(db.inTransaction).toBe(true);
    db.exec('COMMIT');
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(((results[2] as PromiseRejectedResult).reason as Error).message).toBe('undone');
    const lost = (results[3] as PromiseRejectedResult).reason as ConflictError;
    expect(lost).toBeInstanceOf(ConflictError);
    expect(lost.retryable).toBe(true);
    const read = storage.extension('acme.host').global;
    const present = (await read.getMany(['kept', 'batch', 'undone', 'lost'])).map((entry) => entry !== null);
    expect(present).toEqual([true, true, false, false]);
    db.close();
  });
});

/** The longest gap between ticks of a 5 ms interval while `body` runs, in ms. */
async function longestStall(body: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await body();
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}

describe('the event loop', () => {
  it('runs while a write waits for another process’s lock, and between rotation batches', async () => {
    const file = join(folder, 'stall.db');
    // better-sqlite3's default: SQLite itself waits up to 5 s for a lock, blocking the thread.
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const storage = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: 'old secret' });
    await storage.migrate();
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const scope = storage.extension('acme.stall').global;

    const holder = spawn(tsx, [join(process.cwd(), 'test', 'dialects', 'sqlite-lock-holder.ts'), file, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const started = performance.now();
    const stall = await longestStall(() => scope.set('k', 'written once the lock is free'));
    expect(performance.now() - started).toBeGreaterThan(500);
    expect(stall).toBeLessThan(250);
    expect(await scope.getText('k')).toBe('written once the lock is free');
    // The host's setting is the host's: it is back after every operation.
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await exited;

    // The same for the conditional writes, the counter, batches and the library's own transaction.
    const again = spawn(tsx, [join(process.cwd(), 'test', 'dialects', 'sqlite-lock-holder.ts'), file, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const againExited = new Promise((resolve) => again.once('exit', resolve));
    await new Promise<void>((resolve) => again.stdout.once('data', () => resolve()));
    const writes = longestStall(async () => {
      await scope.increment('n');
      await scope.set('k', 'compare-and-set', { ifVersion: 1 });
      await scope.setMany([{ key: 'a', value: '1' }]);
      await storage.transaction(async (tx) => void (await tx.extension('acme.stall').global.set('t', '1')));
    });
    expect(await writes).toBeLessThan(250);
    expect(await scope.getText('k')).toBe('compare-and-set');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await againExited;

    for (let i = 0; i < 3000; i++) await scope.set(`r${i}`, `value ${i}`, { encrypt: true });
    const rotating = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: ['new secret', 'old secret'] });
    let result: { rotated: number } | undefined;
    const rotationStall = await longestStall(async () => (result = await rotating.rotateKeys()));
    expect(result?.rotated).toBe(3000);
    expect(rotationStall).toBeLessThan(250);
    db.close();
  }, 60_000);
});
