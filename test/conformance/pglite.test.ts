import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { pglite } from '../../src/dialects/pglite/index.js';
import { asyncHost } from './harness.js';
import { conformance } from './suite.js';

// In-process PostgreSQL in memory, handed over as the host's Drizzle database (the other accepted form).
conformance({
  name: 'pglite (in-memory, via Drizzle)',
  async open() {
    const client = new PGlite();
    const db = drizzle({ client });
    return {
      dialect: pglite(db),
      hosts: {
        'Drizzle transaction': asyncHost((fn) => db.transaction(fn)),
        'PGlite transaction': asyncHost((fn) => client.transaction(fn)),
      },
      peer: async () => null,
      clear: async () => void (await client.exec('DELETE FROM extension_storage')),
      tables: async () =>
        (await client.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()')).rows.map(
          (row) => row.tablename,
        ),
      query: async (statement) => (await client.query<Record<string, unknown>>(statement)).rows,
      close: () => client.close(),
    };
  },
});
