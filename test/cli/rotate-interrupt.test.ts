/**
 * `rotate-keys` stopped by SIGINT, then by SIGTERM, mid-run: each stop comes after a whole batch, says
 * how far it got, and a last run finishes with every row under the new key. The batches are slow by
 * their size (one 128 KiB row per batch, committed to a file), not by any sleep.
 */
import { afterAll, expect, it } from 'vitest';
import { freshDatabase, removeTempFolders, startCli, type CliResult, type TestDatabase } from './helpers.js';

const OLD = 'old interrupt secret';
const NEW = 'new interrupt secret';
const ROWS = 200;
const KEYS = { EXTENSION_STORAGE_KEYS: JSON.stringify([NEW, OLD]) };
afterAll(removeTempFolders);

/** Starts a rotation and sends `signal` once the first batch is reported. */
async function interrupted(url: string, signal: NodeJS.Signals): Promise<CliResult> {
  const { child, done } = startCli(['rotate-keys', '--db', url, '--batch-size', '1'], { env: KEYS });
  child.stderr!.on('data', function firstLine(chunk: string) {
    if (chunk.includes('rotate-keys: ')) {
      child.stderr!.off('data', firstLine);
      child.kill(signal);
    }
  });
  return done;
}

/** How many rows the new key alone opens. */
async function underNewKey(db: TestDatabase): Promise<number> {
  const scope = db.storage(NEW).extension('acme.big').global;
  let opened = 0;
  for (let i = 0; i < ROWS; i++) opened += await scope.get(`k${i}`).then(() => 1, () => 0);
  return opened;
}

it('rotate-keys interrupted by SIGINT and SIGTERM resumes and finishes', async () => {
  const db = await freshDatabase('sqlite');
  try {
    const storage = db.storage(OLD);
    await storage.migrate();
    const value = new Uint8Array(128 * 1024).fill(7);
    for (let i = 0; i < ROWS; i++) await storage.extension('acme.big').global.set(`k${i}`, value, { encrypt: true });

    const first = await interrupted(db.url, 'SIGINT');
    expect(first.code, first.stderr + first.stdout).toBe(130);
    const stop = /stopped by SIGINT after (\d+) of 200 encrypted rows \((\d+) rotated, 0 already current, 0 failed; last id \d+\)\. Run rotate-keys again to resume\./.exec(first.stderr);
    expect(stop, first.stderr).not.toBeNull();
    const done = Number(stop![1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(ROWS);
    expect(Number(stop![2])).toBe(done);
    expect(first.stdout).toBe('');
    expect(await underNewKey(db)).toBe(done);

    const second = await interrupted(db.url, 'SIGTERM');
    expect(second.code).toBe(143);
    const more = /stopped by SIGTERM after (\d+) of 200 encrypted rows \((\d+) rotated, (\d+) already current/.exec(second.stderr);
    expect(more, second.stderr).not.toBeNull();
    const rotatedNow = done + Number(more![2]);
    expect(Number(more![3])).toBe(Math.min(done, Number(more![1])));
    expect(await underNewKey(db)).toBe(rotatedNow);

    const { done: last } = startCli(['rotate-keys', '--db', db.url, '--batch-size', '50'], { env: KEYS });
    const result = await last;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`scanned ${ROWS}, rotated ${ROWS - rotatedNow}, already current ${rotatedNow}, failed 0\n`);
    expect(await underNewKey(db)).toBe(ROWS);
  } finally {
    await db.close();
  }
}, 120_000);
