/**
 * Section `rotation`: `storage.rotateKeys()` over 2,000 encrypted 1 KiB entries on in-memory SQLite,
 * in rows per second: runs that re-encrypt every row (the keys swap places between runs) and a run
 * that finds every row already under the first key. Skipped while `ExtensionStorage` has no
 * `rotateKeys`, or when its options differ from what this section expects.
 * @module
 */
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { MeasureOptions } from './harness.js';
import { count, micros, printSkipped, printTable, rate, reasonOf } from './report.js';
import { expect, EXTENSION_ID, keyNames, values } from './workload.js';

/** Options of the section. */
export interface RotationBenchOptions {
  readonly rows: number;
  readonly measure: Partial<MeasureOptions>;
}

const SECRETS = ['bench rotation secret A', 'bench rotation secret B'] as const;
const RUNS = 3;

interface RotationSummary {
  readonly scanned: number;
  readonly rotated: number;
  readonly alreadyCurrent: number;
  readonly failed: number;
}

/** Runs the section, or prints why it cannot. */
export async function runRotationBench(options: RotationBenchOptions): Promise<void> {
  const { ExtensionStorage } = await import('../src/index.js');
  if (typeof (ExtensionStorage.prototype as { rotateKeys?: unknown }).rotateKeys !== 'function') {
    return printSkipped('rotation', 'ExtensionStorage has no rotateKeys() yet');
  }
  const { sqlite } = await import('../src/dialects/sqlite/index.js');
  const db = new Database(':memory:');
  try {
    type Options = ConstructorParameters<typeof ExtensionStorage>[0];
    const storageWith = (keys: readonly string[]) =>
      new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: keys } as Options) as InstanceType<typeof ExtensionStorage> & {
        rotateKeys(options?: { batchSize?: number }): Promise<RotationSummary>;
      };
    const [a, b] = SECRETS;
    const underA = storageWith([a, b]);
    await underA.migrate();
    const scope = underA.extension(EXTENSION_ID).global;
    const { plain } = values();
    const keys = keyNames(options.rows);
    for (const key of keys) await scope.set(key, plain[0]!, { encrypt: true });

    const rows: string[][] = [];
    let current: 'a' | 'b' = 'a';
    for (const batchSize of [100, 1000]) {
      const timings: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        current = current === 'a' ? 'b' : 'a';
        const storage = storageWith(current === 'a' ? [a, b] : [b, a]);
        const started = performance.now();
        const result = await storage.rotateKeys({ batchSize });
        timings.push(performance.now() - started);
        expect(result.rotated === options.rows && result.failed === 0, `rotateKeys re-encrypted ${result.rotated} of ${options.rows} rows`);
      }
      const ms = [...timings].sort((x, y) => x - y)[RUNS >> 1]!;
      const perSecond = (options.rows * 1000) / ms;
      rows.push(['re-encrypt every row', String(batchSize), rate(perSecond), micros(perSecond), `${count(ms)} ms`]);
    }
    const unchanged = storageWith(current === 'a' ? [a, b] : [b, a]);
    const started = performance.now();
    const result = await unchanged.rotateKeys({ batchSize: 100 });
    const ms = performance.now() - started;
    expect(result.rotated === 0 && result.alreadyCurrent === options.rows, 'a second rotation finds every row current');
    const perSecond = (options.rows * 1000) / ms;
    rows.push(['rows already current', '100', rate(perSecond), micros(perSecond), `${count(ms)} ms`]);

    printTable(
      `rotation · sqlite in-memory · ${count(options.rows)} encrypted ${plain[0]!.byteLength} B entries · median of ${RUNS} runs (1 run for "already current")`,
      [{ header: 'run' }, { header: 'batch', align: 'right' }, { header: 'rows/s', align: 'right' }, { header: 'µs/row', align: 'right' }, { header: 'run time', align: 'right' }],
      rows,
      ['Each re-encrypting run moves every row to the other key (the two keys swap places between runs); no target is set for rotation.'],
    );
  } catch (error) {
    printSkipped('rotation', `rotateKeys() did not run as expected (${reasonOf(error)})`);
  } finally {
    db.close();
  }
}
