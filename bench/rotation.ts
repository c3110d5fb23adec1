/**
 * Section `rotation`: `storage.rotateKeys()` over encrypted 4 KiB entries in a SQLite WAL file (100,000
 * by default), each run in a fresh process: rows per second, and peak RSS over the idle process
 * (target: within 64 MiB, whatever the row count), at two table sizes to show memory stays flat.
 * @module
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MeasureOptions } from './harness.js';
import { checkLimit, count, printTable, rate } from './report.js';
import { EXTENSION_ID, expect, keyNames } from './workload.js';

/** Options of the section. */
export interface RotationBenchOptions {
  readonly rows: number;
  readonly measure: Partial<MeasureOptions>;
}

const SECRETS = ['bench rotation secret A', 'bench rotation secret B'] as const;
const VALUE_BYTES = 4096;
const MEMORY_BUDGET = 64 * 1024 * 1024;
const BATCH_SIZE = 100;
const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

interface WorkerResult {
  scanned: number;
  rotated: number;
  alreadyCurrent: number;
  failed: number;
  ms: number;
  idleRss: number;
  peakRss: number;
  peakHeap: number;
}

async function fill(file: string, rows: number): Promise<void> {
  const { ExtensionStorage } = await import('../src/index.js');
  const { sqlite } = await import('../src/dialects/sqlite/index.js');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const storage = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: SECRETS[1] });
  await storage.migrate();
  const scope = storage.extension(EXTENSION_ID).global;
  const value = new Uint8Array(VALUE_BYTES).map((_, i) => i * 31);
  for (const key of keyNames(rows)) await scope.set(key, value, { encrypt: true });
  db.close();
}

async function rotateInChild(file: string, secrets: readonly string[], nodeFlags: readonly string[]): Promise<WorkerResult> {
  const worker = join(import.meta.dirname, 'rotation-worker.ts');
  const args = [...nodeFlags, '--expose-gc', '--import', 'tsx', worker, file, String(BATCH_SIZE), ...secrets];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as WorkerResult;
}

/** Runs the section. */
export async function runRotationBench(options: RotationBenchOptions): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'extension-storage-bench-rotation-'));
  // The same table twice at full size: with V8's defaults, and with a 2 MiB young generation, which
  // shows how much of the growth is garbage waiting for a scavenge rather than memory held.
  const runs = [
    { rows: Math.ceil(options.rows / 10), flags: [] as string[] },
    { rows: options.rows, flags: [] as string[] },
    { rows: options.rows, flags: ['--max-semi-space-size=2'] },
  ];
  try {
    const rows: string[][] = [];
    let filled = 0;
    let secrets: readonly string[] = SECRETS;
    const file = join(folder, 'rotation.db');
    for (const run of runs) {
      if (run.rows !== filled) {
        rmSync(file, { force: true });
        await fill(file, run.rows);
        filled = run.rows;
        secrets = SECRETS;
      }
      const result = await rotateInChild(file, secrets, run.flags);
      secrets = [...secrets].reverse(); // the next run on this file moves every row back
      expect(result.rotated === run.rows && result.failed === 0, `rotateKeys re-encrypted ${result.rotated} of ${run.rows} rows`);
      const growth = result.peakRss - result.idleRss;
      const flags = run.flags.join(' ') || 'defaults';
      rows.push([count(run.rows), flags, rate((run.rows * 1000) / result.ms), `${(result.ms / 1000).toFixed(1)} s`, MiB(result.idleRss), MiB(result.peakRss), MiB(growth), MiB(result.peakHeap)]);
      checkLimit('rotation', `${count(run.rows)} rows (${flags}): peak RSS − idle ≤ 64 MiB`, MiB(growth), growth <= MEMORY_BUDGET);
    }
    printTable(
      `rotation · sqlite WAL file · encrypted ${count(VALUE_BYTES)} B entries · batch ${BATCH_SIZE} · one fresh process per run`,
      [
        { header: 'rows' },
        { header: 'node flags' },
        { header: 'rows/s', align: 'right' },
        { header: 'run time', align: 'right' },
        { header: 'idle RSS', align: 'right' },
        { header: 'peak RSS', align: 'right' },
        { header: 'growth', align: 'right' },
        { header: 'peak heap', align: 'right' },
      ],
      rows,
      ['Every run moves every row to the other key (binding "scope": one derived key per row).'],
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
