/**
 * One rotation run in a process of its own, so its memory is measured alone: opens the SQLite file,
 * records the idle RSS, runs `rotateKeys()`, samples RSS while it runs, and prints a JSON summary.
 * Usage: tsx bench/rotation-worker.ts <file> <batchSize> <first secret> <second secret>
 */
import Database from 'better-sqlite3';
import { ExtensionStorage } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';

const [file, batchSize, first, second] = process.argv.slice(2);
const db = new Database(file!);
const storage = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: [first!, second!] });
await storage.extension('bench.ext').global.count(); // warm the statements before the idle reading
globalThis.gc?.();
const idleRss = process.memoryUsage.rss();
let peakRss = idleRss;
let peakHeap = 0;
const sample = () => {
  const { rss, heapUsed } = process.memoryUsage();
  peakRss = Math.max(peakRss, rss);
  peakHeap = Math.max(peakHeap, heapUsed);
};
const sampler = setInterval(sample, 10);
const started = performance.now();
const result = await storage.rotateKeys({ batchSize: Number(batchSize), onProgress: sample });
const ms = performance.now() - started;
clearInterval(sampler);
db.close();
process.stdout.write(JSON.stringify({ ...result, failedIds: result.failedIds.length, ms, idleRss, peakRss, peakHeap }));
