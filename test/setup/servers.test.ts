// Smoke test of the test infrastructure: the servers started by test/setup/servers.ts answer,
// accept values up to 16 MiB, and createTempDatabase gives a fresh database that can be dropped.
import { describe, expect, inject, it } from 'vitest';
import { createTempDatabase } from './databases';

const pgUrl = inject('pgUrl');
const mysqlUrl = inject('mysqlUrl');
const galeraNodes = inject('galeraNodes');
const MiB = 1024 * 1024;

describe.skipIf(!pgUrl)('PostgreSQL test server', () => {
  it('answers a query and round-trips a 16 MiB value', async () => {
    const postgres = (await import('postgres')).default;
    const sql = postgres(pgUrl!, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`select 1 as one, current_database() as db`;
      expect(row).toEqual({ one: 1, db: 'extstore_test' });
      const big = Buffer.alloc(16 * MiB, 7);
      const [echo] = await sql`select length(${big}::bytea) as n`;
      expect(Number(echo!.n)).toBe(16 * MiB);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('creates and drops a temp database', async () => {
    const db = await createTempDatabase(pgUrl!);
    const postgres = (await import('postgres')).default;
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const [row] = await sql`select current_database() as db`;
    expect(row!.db).toBe(db.name);
    // an open connection must not stop the drop
    await db.drop();
    await sql.end({ timeout: 1 }).catch(() => {});
    const check = postgres(pgUrl!, { max: 1 });
    try {
      const rows = await check`select 1 from pg_database where datname = ${db.name}`;
      expect(rows.length).toBe(0);
    } finally {
      await check.end({ timeout: 5 });
    }
  });
});

describe.skipIf(!mysqlUrl)('MariaDB test server', () => {
  async function connect(url: string) {
    const mod = (await import('mysql2/promise')) as typeof import('mysql2/promise') & { default?: typeof import('mysql2/promise') };
    const mysql = typeof mod.createConnection === 'function' ? mod : mod.default!;
    return mysql.createConnection({ uri: url });
  }

  it('answers a query, allows 16 MiB+ packets and round-trips a 16 MiB value', async () => {
    const c = await connect(mysqlUrl!);
    try {
      const [rows] = await c.query('select 1 as one, database() as db, @@max_allowed_packet as map, @@character_set_server as cs');
      const row = (rows as Record<string, unknown>[])[0]!;
      expect(row.one).toBe(1);
      expect(row.db).toBe('extstore_test');
      expect(Number(row.map)).toBeGreaterThan(16 * MiB + 64 * 1024);
      expect(row.cs).toBe('utf8mb4');
      await c.query('create temporary table big (v longblob)');
      const big = Buffer.alloc(16 * MiB, 7);
      await c.execute('insert into big values (?)', [big]);
      const [back] = await c.query('select v from big');
      expect(Buffer.compare((back as { v: Buffer }[])[0]!.v, big)).toBe(0);
    } finally {
      await c.end();
    }
  });

  it('creates and drops a temp database', async () => {
    const db = await createTempDatabase(mysqlUrl!);
    const c = await connect(db.url);
    try {
      const [rows] = await c.query('select database() as db');
      expect((rows as { db: string }[])[0]!.db).toBe(db.name);
    } finally {
      await c.end();
    }
    await db.drop();
    const admin = await connect(mysqlUrl!);
    try {
      const [rows] = await admin.query('show databases like ?', [db.name]);
      expect((rows as unknown[]).length).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe.skipIf(!galeraNodes)('Galera test cluster', () => {
  it('three synced nodes, each a primary: a write through one is read through the others', async () => {
    const mod = (await import('mysql2/promise')) as typeof import('mysql2/promise') & { default?: typeof import('mysql2/promise') };
    const mysql = typeof mod.createConnection === 'function' ? mod : mod.default!;
    const nodes = await Promise.all(galeraNodes!.map((node) => mysql.createConnection({ uri: node.url })));
    try {
      for (const c of nodes) {
        const [rows] = await c.query(
          "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_cluster_status')",
        );
        const status = Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]));
        expect(status).toEqual({ wsrep_cluster_size: '3', wsrep_local_state_comment: 'Synced', wsrep_cluster_status: 'Primary' });
      }
      const table = `smoke_${Date.now()}`;
      await nodes[0]!.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v varchar(10))`);
      for (const [i, c] of nodes.entries()) await c.query(`INSERT INTO ${table} VALUES (?, ?)`, [i, `node ${i}`]);
      for (const c of nodes) {
        const [rows] = await c.query(`SET STATEMENT wsrep_sync_wait=1 FOR SELECT v FROM ${table} ORDER BY id`);
        expect((rows as { v: string }[]).map((r) => r.v)).toEqual(['node 0', 'node 1', 'node 2']);
      }
      await nodes[2]!.query(`DROP TABLE ${table}`);
    } finally {
      await Promise.all(nodes.map((c) => c.end()));
    }
  });
});

it('test servers are available under CI', () => {
  if (process.env.CI !== 'true') return;
  if (!/^off$/i.test(process.env.TEST_PG_URL ?? '')) expect(pgUrl, 'pgUrl').toBeTruthy();
  if (!/^off$/i.test(process.env.TEST_MYSQL_URL ?? '')) expect(mysqlUrl, 'mysqlUrl').toBeTruthy();
  if (!/^off$/i.test(process.env.TEST_GALERA_URLS ?? '')) expect(galeraNodes, 'galeraNodes').toHaveLength(3);
});
