/**
 * A separate process for the SQLite concurrency test: writes its share of interleaved keys to one WAL
 * file, reads back every key the other writers wrote, and prints a JSON summary.
 * Usage: tsx sqlite-writer.ts <file> <writer index> <writers> <keys per writer>
 */
import Database from 'better-sqlite3';
import { ExtensionStorage } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';

const [file, index, writers, perWriter] = process.argv.slice(2);
// timeout: 0 turns off better-sqlite3's own busy wait, so lock conflicts reach the dialect's retry.
const db = new Database(file!, { timeout: 0 });
const storage = new ExtensionStorage({ dialect: sqlite(db) });
const scope = storage.extension('acme.writers').global;
const me = Number(index);
const total = Number(writers) * Number(perWriter);
const errors: string[] = [];
for (let i = me; i < total; i += Number(writers)) {
  try {
    await scope.set(`key-${String(i).padStart(6, '0')}`, `written by ${me}`);
    await scope.set('shared', `last ${me} ${i}`);
  } catch (error) {
    errors.push(`${(error as Error).message}: ${String((error as Error).cause)}`);
  }
}
process.stdout.write(JSON.stringify({ errors }));
db.close();
