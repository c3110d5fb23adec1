/**
 * A separate host process for the concurrent-migration proof: waits for the agreed start time, runs
 * `migrate()` through one node and prints a JSON summary.
 * Usage: tsx migrate-worker.ts <database url on one node> <start at, ms since the epoch>
 */
import mysql2 from 'mysql2/promise';
import { ExtensionStorage } from '../../src/index.js';
import { mysql } from '../../src/dialects/mysql/index.js';

const [url, startAt] = process.argv.slice(2);
const pool = mysql2.createPool({ uri: url!, connectionLimit: 2 });
const storage = new ExtensionStorage({ dialect: mysql(pool) });
// Warm the connection first, so the three processes really call migrate() at the same moment.
await pool.query('SELECT 1');
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const t0 = performance.now();
let error: string | null = null;
try {
  await storage.migrate();
} catch (e) {
  error = `${(e as Error).message}: ${String((e as Error).cause)}`;
}
process.stdout.write(JSON.stringify({ ms: Math.round(performance.now() - t0), error }));
await pool.end();
