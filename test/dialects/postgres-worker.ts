/**
 * One of several processes sharing a PostgreSQL database (run by postgres.test.ts through tsx):
 *
 *   tsx test/dialects/postgres-worker.ts <url> <worker> <workers> <keys>
 *
 * Migrates (all workers at once), writes its share of interleaved keys `k/<n>` (n ≡ worker mod workers)
 * while reading back what the others wrote so far and bumping one shared key, waits until every worker
 * is done, then reads everything back. Prints one JSON line with what it found wrong.
 */
import postgresJs from 'postgres';
import { postgres } from '../../src/dialects/postgres/index.js';
import { ExtensionStorage } from '../../src/index.js';

const [url, workerArg, workersArg, keysArg] = process.argv.slice(2);
const worker = Number(workerArg);
const workers = Number(workersArg);
const keys = Number(keysArg);
const keyOf = (n: number) => `k/${String(n).padStart(6, '0')}`;
const valueOf = (n: number) => `written by ${n % workers} as ${n}`;

const sql = postgresJs(url!, { max: 4, onnotice: () => {} });
const storage = new ExtensionStorage({ dialect: postgres(sql) });
const problems: string[] = [];
try {
  await storage.migrate();
  const ext = storage.extension('acme.processes');
  for (let j = 0; j < keys; j++) {
    const n = j * workers + worker;
    await ext.global.set(keyOf(n), valueOf(n));
    await ext.global.set('shared', `last written by ${worker}`);
    // The key just before ours belongs to another worker: if it is there, it must hold its value.
    if (n > 0) {
      const seen = await ext.global.getText(keyOf(n - 1));
      if (seen !== null && seen !== valueOf(n - 1)) problems.push(`${keyOf(n - 1)} read as ${seen}`);
    }
  }
  await ext.global.set(`done/${worker}`, 'done');
  const deadline = Date.now() + 60_000;
  while ((await ext.global.count({ prefix: 'done/' })) < workers) {
    if (Date.now() > deadline) throw new Error('the other workers did not finish');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const listed: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await ext.global.list({ prefix: 'k/', limit: 100, cursor });
    listed.push(...page.items.map((item) => item.key));
    cursor = page.nextCursor;
  } while (cursor !== null);
  const expected = Array.from({ length: keys * workers }, (_, n) => keyOf(n));
  if (listed.join() !== expected.join()) problems.push(`listed ${listed.length} keys, expected ${expected.length}`);
  for (let n = 0; n < keys * workers; n++) {
    const value = await ext.global.getText(keyOf(n));
    if (value !== valueOf(n)) problems.push(`${keyOf(n)} read as ${value}`);
  }
  const shared = await ext.global.get('shared');
  console.log(JSON.stringify({ worker, problems, sharedVersion: shared?.version ?? 0 }));
} catch (error) {
  console.log(JSON.stringify({ worker, problems: [...problems, String((error as Error).stack ?? error)], sharedVersion: 0 }));
} finally {
  await sql.end({ timeout: 5 });
}
