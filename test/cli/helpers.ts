/**
 * Runs the real CLI as a child process (node with tsx as a loader, so `npm test` needs no build), and
 * opens the same databases in-process to seed and check them.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql2 from 'mysql2/promise';
import postgresJs from 'postgres';
import { ExtensionStorage, type Dialect, type EncryptionKey } from '../../src/index.js';
import { mysql } from '../../src/dialects/mysql/index.js';
import { postgres } from '../../src/dialects/postgres/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';
import { afterEach, beforeEach, inject, it } from 'vitest';
import { createTempDatabase } from '../setup/databases.js';

export const CLI = join(process.cwd(), 'src', 'cli', 'main.ts');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Extra environment (the keys); the child gets no EXTENSION_STORAGE_KEYS unless given here. */
  readonly env?: Record<string, string>;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string;
  /** A built CLI to run with plain node instead of the sources through tsx. */
  readonly script?: string;
}

/** Starts the CLI; the caller waits for `done`. */
export function startCli(args: readonly string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.EXTENSION_STORAGE_KEYS === undefined) delete env.EXTENSION_STORAGE_KEYS;
  const command = options.script === undefined ? ['--import', 'tsx', CLI] : [options.script];
  const child = spawn(process.execPath, [...command, ...args], { cwd: process.cwd(), env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.end(options.input ?? '');
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the CLI to its end. */
export function cli(args: readonly string[], options?: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A database of one dialect for one test: its `--db` URL and an in-process dialect over it. */
export interface TestDatabase {
  readonly url: string;
  readonly dialect: Dialect;
  storage(keys?: EncryptionKey | readonly EncryptionKey[]): ExtensionStorage;
  close(): Promise<void>;
}

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** Each dialect's test server URL: `null` for SQLite (it needs none), `undefined` when the setup has none. */
export const servers: Record<DialectName, string | undefined | null> = { sqlite: null, postgres: inject('pgUrl'), mysql: inject('mysqlUrl') };

/**
 * A fresh database of `name` for each test of the calling `describe` (closed after it), as `db`, which
 * always reads the current test's; `test` is `it`, or `it.skip` when the dialect's server is missing.
 */
export function freshDatabaseEachTest(name: DialectName): { db: TestDatabase; test: typeof it | typeof it.skip } {
  const server = servers[name];
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    if (server !== undefined) current = await freshDatabase(name, server ?? undefined);
  }, 60_000);
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const now = (): TestDatabase => {
    if (current === undefined) throw new Error('the database exists only inside a test');
    return current;
  };
  const db: TestDatabase = {
    get url() {
      return now().url;
    },
    get dialect() {
      return now().dialect;
    },
    storage: (keys) => now().storage(keys),
    close: () => now().close(),
  };
  return { db, test: server === undefined ? it.skip : it };
}

/** The cells of the rows of the tables in a CLI's output, header rows included. */
export function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) => line.split('│').slice(1, -1).map((cell) => cell.trim()));
}

const folders: string[] = [];

/** Removes the temporary folders of SQLite files. */
export function removeTempFolders(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** A fresh, empty (not migrated) database of `name`; `serverUrl` is the test server's for the network ones. */
export async function freshDatabase(name: DialectName, serverUrl?: string): Promise<TestDatabase> {
  if (name === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'extension-storage-cli-'));
    folders.push(folder);
    const file = join(folder, 'app.db');
    const db = new Database(file);
    const dialect = sqlite(db);
    return wrap(`sqlite:${file}`, dialect, async () => void db.close());
  }
  const database = await createTempDatabase(serverUrl!);
  if (name === 'postgres') {
    const sql = postgresJs(database.url, { max: 4, onnotice: () => undefined });
    return wrap(database.url, postgres(sql), async () => {
      await sql.end({ timeout: 5 });
      await database.drop();
    });
  }
  const pool = mysql2.createPool({ uri: database.url, connectionLimit: 4 });
  return wrap(database.url, mysql(pool), async () => {
    await pool.end();
    await database.drop();
  });
}

function wrap(url: string, dialect: Dialect, close: () => Promise<void>): TestDatabase {
  return {
    url,
    dialect,
    storage: (keys) => new ExtensionStorage(keys === undefined ? { dialect } : { dialect, encryptionKeys: keys }),
    close,
  };
}

/** The lines of a JSON Lines text, parsed. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The lines of a JSON Lines file, parsed. */
export function readJsonLines(file: string): Record<string, unknown>[] {
  return jsonLines(readFileSync(file, 'utf8'));
}

