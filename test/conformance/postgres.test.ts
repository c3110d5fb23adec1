import { drizzle } from 'drizzle-orm/postgres-js';
import postgresJs from 'postgres';
import { inject } from 'vitest';
import { postgres } from '../../src/dialects/postgres/index.js';
import { createTempDatabase } from '../setup/databases.js';
import { asyncHost } from './harness.js';
import { conformance } from './suite.js';

const pgUrl = inject('pgUrl');

// A fresh database on the throwaway server, reached through a pool of 8 connections so that the
// concurrent-writers case really runs concurrently; the raw postgres.js form of postgres().
conformance({
  name: 'postgres (postgres.js pool)',
  skips: {
    "an operation on a host's view after the host's transaction ended is a typed error that writes nothing":
      "the library cannot see the host's transaction end without a round trip per operation: a late operation runs outside it (README, Transactions)",
  },
  unavailable: () => (pgUrl ? null : 'no PostgreSQL server (see test/setup/servers.ts)'),
  async open() {
    const database = await createTempDatabase(pgUrl!);
    const sql = postgresJs(database.url, { max: 8, onnotice: () => {} });
    const hostDb = drizzle({ client: postgresJs(database.url, { max: 2, onnotice: () => {} }) });
    return {
      dialect: postgres(sql),
      hosts: {
        'Drizzle transaction': asyncHost((fn) => hostDb.transaction(fn)),
        'postgres.js sql.begin': asyncHost((fn) => sql.begin(fn)),
      },
      peer: async () => {
        const other = postgresJs(database.url, { max: 1, onnotice: () => {} });
        return { dialect: postgres(other), close: () => other.end({ timeout: 5 }) };
      },
      clear: async () => void (await sql`DELETE FROM extension_storage`),
      tables: async () => (await sql`SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`).map((row) => row.tablename as string),
      query: async (statement) => [...(await sql.unsafe(statement))] as Record<string, unknown>[],
      close: async () => {
        await sql.end({ timeout: 5 });
        await hostDb.$client.end({ timeout: 5 });
        await database.drop();
      },
    };
  },
});
