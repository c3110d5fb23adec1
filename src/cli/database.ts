/**
 * The `--db` URL: which database it names, how to show it without its password, and how to open it
 * with the driver the host installed. Drivers and dialects are imported on demand, so the CLI runs
 * with whichever one is present and names the package to install when the needed one is not.
 * @module
 */
import type { Dialect } from '../dialect.js';
import { CliError, UsageError } from './errors.js';

/** A database the CLI can open. */
export type DatabaseTarget =
  | { readonly kind: 'postgres'; readonly url: URL; readonly host: string; readonly port: number }
  | { readonly kind: 'mysql'; readonly url: URL; readonly host: string; readonly port: number }
  | { readonly kind: 'sqlite'; readonly path: string };

/** An open database: its dialect, and how to let go of the connection. */
export interface OpenDatabase {
  readonly dialect: Dialect;
  close(): Promise<void>;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const NETWORK_SCHEMES: Readonly<Record<string, { kind: 'postgres' | 'mysql'; port: number }>> = {
  postgres: { kind: 'postgres', port: 5432 },
  postgresql: { kind: 'postgres', port: 5432 },
  mysql: { kind: 'mysql', port: 3306 },
  mariadb: { kind: 'mysql', port: 3306 },
};

/**
 * What `--db` names: `postgres://` / `postgresql://`, `mysql://` / `mariadb://`, `sqlite:<path>` or a
 * plain file path.
 * @throws UsageError for a missing, unparsable or unsupported URL (the message never repeats the URL).
 */
export function parseDatabaseUrl(input: string | undefined): DatabaseTarget {
  if (input === undefined || input === '') throw new UsageError('--db <url> is required (postgres://…, mysql://…, sqlite:./app.db or a file path)');
  if (input.startsWith('sqlite:')) {
    const path = input.slice('sqlite:'.length).replace(/^\/\/(?=\/|\.)/, '');
    if (path === '') throw new UsageError('--db: sqlite: needs a file path, e.g. sqlite:./app.db');
    return { kind: 'sqlite', path };
  }
  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'sqlite', path: input };
  const known = NETWORK_SCHEMES[scheme];
  if (known === undefined) {
    throw new UsageError(`--db: unsupported scheme "${scheme}://" (expected postgres://, postgresql://, mysql://, mariadb://, sqlite: or a file path)`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`--db: not a valid ${scheme}:// URL`);
  }
  if (url.hostname === '') throw new UsageError(`--db: the ${scheme}:// URL has no host`);
  for (const part of [url.username, url.password]) {
    try {
      decodeURIComponent(part);
    } catch {
      throw new UsageError('--db: the user name or password is not valid percent-encoding (write a "%" in it as %25)');
    }
  }
  return { kind: known.kind, url, host: url.hostname, port: url.port === '' ? known.port : Number(url.port) };
}

/** The target as messages show it: the URL without its password. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `SQLite file ${target.path}`;
  const shown = new URL(target.url.href);
  if (shown.password !== '') shown.password = '***';
  return shown.href;
}

/**
 * Opens the database with its driver and checks the connection. `create`: a missing SQLite file is
 * created (only `migrate` does that; other commands refuse a path that does not exist).
 * @throws CliError when the driver is missing or the connection fails (naming host and port, never the password).
 */
export async function openDatabase(target: DatabaseTarget, options: { create: boolean }): Promise<OpenDatabase> {
  if (target.kind === 'sqlite') return openSqlite(target.path, options.create);
  const password = decodeURIComponent(target.url.password);
  try {
    return target.kind === 'postgres' ? await openPostgres(target.url) : await openMysql(target.url);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const name = target.kind === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
    throw new CliError(redact(`cannot connect to ${name} at ${target.host}:${target.port}: ${reason(error)}`, password));
  }
}

/** A driver's error in a few words: its code, or its first line. */
function reason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message.split('\n')[0]! : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code} ${text}` : text;
}

/** Removes `secret` from a message, wherever a driver may have put it. */
export function redact(message: string, secret: string): string {
  return secret === '' ? message : message.split(secret).join('***');
}

/** Imports a driver the host may not have installed, naming the package to install when it is missing. */
async function driver<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError(`the "${name}" package is needed for this database and is not installed: npm install ${name}`);
    }
    throw error;
  }
}

async function openSqlite(path: string, create: boolean): Promise<OpenDatabase> {
  const { default: Database } = await driver('better-sqlite3', () => import('better-sqlite3'));
  const { sqlite } = await import('../dialects/sqlite/index.js');
  let db: import('better-sqlite3').Database;
  try {
    db = new Database(path, { fileMustExist: !create });
  } catch (error) {
    throw new CliError(`cannot open the SQLite file ${path}: ${reason(error)}${create ? '' : ' (run migrate first to create it)'}`);
  }
  // SQLite's own default page cache (2 MB; better-sqlite3 raises it to 16 MB): a command streams the
  // table once, a bigger cache would only add to its memory.
  db.pragma('cache_size = -2000');
  return { dialect: sqlite(db), close: async () => void db.close() };
}

async function openPostgres(url: URL): Promise<OpenDatabase> {
  const { default: postgresJs } = await driver('postgres', () => import('postgres'));
  const { postgres } = await import('../dialects/postgres/index.js');
  const sql = postgresJs(url.href, { max: 4, connect_timeout: 10, onnotice: () => undefined });
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    throw error;
  }
  return { dialect: postgres(sql), close: () => sql.end({ timeout: 5 }) };
}

async function openMysql(url: URL): Promise<OpenDatabase> {
  const mysql2 = await driver('mysql2', () => import('mysql2/promise'));
  const { mysql } = await import('../dialects/mysql/index.js');
  const uri = new URL(url.href);
  uri.protocol = 'mysql:';
  const pool = (mysql2.default ?? mysql2).createPool({ uri: uri.href, connectionLimit: 4, connectTimeout: 10_000 });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return { dialect: mysql(pool), close: () => pool.end() };
}
