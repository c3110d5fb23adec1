/**
 * Fresh, empty databases on the test servers, for suites that want a clean database of their own.
 *
 *   const pgUrl = inject('pgUrl');
 *   let db: TempDatabase;
 *   beforeAll(async () => { db = await createTempDatabase(pgUrl!); });
 *   afterAll(() => db?.drop());
 *
 * Works with any server URL whose user may CREATE/DROP DATABASE (the throwaway servers of
 * servers.ts; for TEST_PG_URL / TEST_MYSQL_URL that is up to whoever set them).
 */
import { randomBytes } from 'node:crypto';

export type Dialect = 'postgres' | 'mysql';

export interface TempDatabase {
  /** Connection URL of the new database (same server, user and options as the input URL). */
  url: string;
  /** Database name, `extstore_<random>`. */
  name: string;
  dialect: Dialect;
  /** Drops the database (terminating leftover connections on PostgreSQL). Idempotent. */
  drop(): Promise<void>;
}

export function dialectOf(url: string): Dialect {
  const proto = new URL(url).protocol;
  if (proto === 'postgres:' || proto === 'postgresql:') return 'postgres';
  if (proto === 'mysql:' || proto === 'mariadb:' || proto === 'mysql2:') return 'mysql';
  throw new Error(`createTempDatabase: unsupported URL scheme ${proto}`);
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

type Mysql = typeof import('mysql2/promise');

async function mysqlDriver(): Promise<Mysql> {
  const mod = (await import('mysql2/promise')) as Mysql & { default?: Mysql };
  return typeof mod.createConnection === 'function' ? mod : mod.default!;
}

async function pgAdmin<T>(url: string, fn: (sql: import('postgres').Sql) => Promise<T>): Promise<T> {
  const postgres = (await import('postgres')).default;
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function mysqlAdmin<T>(url: string, fn: (c: import('mysql2/promise').Connection) => Promise<T>): Promise<T> {
  const mysql = await mysqlDriver();
  // connect without a default database: the one in the URL may be the one being dropped
  const c = await mysql.createConnection({ uri: withDatabase(url, ''), connectTimeout: 10_000 });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates `extstore_<random>` on the server of `url` and returns its URL and a drop function. */
export async function createTempDatabase(url: string): Promise<TempDatabase> {
  const dialect = dialectOf(url);
  const name = `extstore_${randomBytes(6).toString('hex')}`;
  const server =
    dialect === 'postgres'
      ? {
          create: () => pgAdmin(url, (sql) => sql.unsafe(`CREATE DATABASE "${name}"`)),
          // WITH (FORCE) needs PostgreSQL 13+; fall back to terminating backends by hand
          drop: () =>
            pgAdmin(url, async (sql) => {
              try {
                await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
              } catch {
                await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name} AND pid <> pg_backend_pid()`;
                await sql.unsafe(`DROP DATABASE IF EXISTS "${name}"`);
              }
            }),
        }
      : {
          create: () => mysqlAdmin(url, (c) => c.query(`CREATE DATABASE \`${name}\``)),
          drop: () => mysqlAdmin(url, (c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)),
        };
  await server.create();
  let dropped = false;
  return {
    url: withDatabase(url, name),
    name,
    dialect,
    async drop() {
      if (dropped) return;
      dropped = true;
      await server.drop();
    },
  };
}
