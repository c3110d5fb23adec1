/**
 * A separate process for the SQLite counter test: on one WAL file shared with another such process,
 * adds 1 to a counter `count` times with `update` (read, then a conditional write, retried on
 * CONFLICT) and `count` times with `increment`, all at once, and prints a JSON summary.
 * Usage: tsx sqlite-counter.ts <file> <count>
 */
import Database from 'better-sqlite3';
import { ExtensionStorage } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';

const [file, count] = process.argv.slice(2);
// timeout: 0 turns off better-sqlite3's own busy wait, so lock conflicts reach the dialect's retry.
const db = new Database(file!, { timeout: 0 });
const scope = new ExtensionStorage({ dialect: sqlite(db) }).extension('acme.counters').global;
const errors: string[] = [];
const record = (error: unknown) => void errors.push(`${(error as Error).message}: ${String((error as Error).cause)}`);
await Promise.all(
  Array.from({ length: Number(count) }, () => [
    scope.update('updated', (entry) => String(Number(entry ? Buffer.from(entry.value).toString() : '0') + 1), { retries: 100 }).catch(record),
    scope.increment('incremented').catch(record),
  ]).flat(),
);
process.stdout.write(JSON.stringify({ errors }));
db.close();
