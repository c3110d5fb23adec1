/**
 * A separate process for the MySQL concurrency test: writes its share of interleaved keys, reads each
 * one back at once, then waits for and reads back every key the other writers wrote, and prints a JSON
 * summary.
 * Usage: tsx mysql-writer.ts <database url> <writer index> <writers> <keys per writer>
 */
import mysql2 from 'mysql2/promise';
import { ExtensionStorage } from '../../src/index.js';
import { mysql } from '../../src/dialects/mysql/index.js';

const [url, index, writers, perWriter] = process.argv.slice(2);
const pool = mysql2.createPool({ uri: url!, connectionLimit: 4 });
const storage = new ExtensionStorage({ dialect: mysql(pool) });
const scope = storage.extension('acme.writers').global;
const me = Number(index);
const total = Number(writers) * Number(perWriter);
const name = (i: number) => `key-${String(i).padStart(6, '0')}`;
const errors: string[] = [];
const report = (error: unknown) => errors.push(`${(error as Error).message}: ${String((error as Error).cause)}`);

for (let i = me; i < total; i += Number(writers)) {
  try {
    await Promise.all([scope.set(name(i), `written by ${me}`), scope.set('shared', `last ${me} ${i}`)]);
    const back = await scope.getText(name(i));
    if (back !== `written by ${me}`) errors.push(`${name(i)} read back as ${back}`);
  } catch (error) {
    report(error);
  }
}

// Every other writer's keys, as soon as they are there (the writers run at the same time).
const deadline = Date.now() + 60_000;
for (let i = 0; i < total; i++) {
  if (i % Number(writers) === me) continue;
  try {
    let back = await scope.getText(name(i));
    while (back === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      back = await scope.getText(name(i));
    }
    if (back !== `written by ${i % Number(writers)}`) errors.push(`${name(i)} read back as ${back}`);
  } catch (error) {
    report(error);
  }
}
process.stdout.write(JSON.stringify({ errors }));
await pool.end();
