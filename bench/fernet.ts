/**
 * Fernet benchmark: encrypt and decrypt of 64 B, 1 KiB, 64 KiB and 1 MiB on the native and portable
 * backends, side by side with npm `fernet` (0.4, crypto-js) and `fernet-nodejs`, and with Python's
 * `cryptography` timed by itself in a python3 subprocess (skipped when python3 is missing).
 * The npm packages are speed references only, never oracles: `fernet` accepts some invalid tokens and
 * ignores given IVs; `fernet-nodejs` checks no TTL. Both take and return strings, so they get ASCII text.
 *
 * Run: `npx tsx bench/fernet.ts` (about 40 s). Figures are the median of 5 timed samples.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Fernet } from '../src/crypto/index.js';

const SIZES = [64, 1024, 64 * 1024, 1024 * 1024];
const SAMPLES = 5;
const SAMPLE_MS = 100;

type Op = 'encrypt' | 'decrypt';
type Impl = 'native' | 'portable' | 'fernet (npm)' | 'fernet-nodejs' | 'python';
const IMPLS: Impl[] = ['native', 'portable', 'fernet (npm)', 'fernet-nodejs', 'python'];

/** One measured figure. */
export interface FernetBenchResult {
  impl: Impl;
  op: Op;
  size: number;
  opsPerSecond: number;
}

/** Encrypt and decrypt closures over one payload, for one implementation. */
interface Subject {
  encrypt(): unknown;
  decrypt(): unknown;
}

// npm `fernet` ships no types: the part of its API used here.
interface FernetJsToken {
  encode(message: string): string;
  decode(): string;
}
interface FernetJs {
  Secret: new (key: string) => object;
  Token: new (options: { secret: object; ttl?: number; token?: string }) => FernetJsToken;
}
interface FernetNodejsClass {
  new (key: string): { encrypt(text: string): string; decrypt(token: string): string };
}

const require = createRequire(import.meta.url);
const fernetJs = require('fernet') as FernetJs;
const FernetNodejs = (require('fernet-nodejs') as { Fernet: FernetNodejsClass }).Fernet;

const asciiText = (size: number) => randomBytes(size).toString('base64').slice(0, size);

function subjects(size: number): Map<Exclude<Impl, 'python'>, Subject> {
  const key = Fernet.generateKey();
  const bytes = new Uint8Array(randomBytes(size));
  const text = asciiText(size);
  const map = new Map<Exclude<Impl, 'python'>, Subject>();
  for (const backend of ['native', 'portable'] as const) {
    const fernet = new Fernet(key, { backend });
    const token = fernet.encrypt(bytes);
    if (Buffer.compare(fernet.decrypt(token), bytes) !== 0) throw new Error(`${backend}: round trip failed`);
    map.set(backend, { encrypt: () => fernet.encrypt(bytes), decrypt: () => fernet.decrypt(token) });
  }
  const secret = new fernetJs.Secret(key);
  const jsToken = new fernetJs.Token({ secret, ttl: 0 }).encode(text);
  if (new fernetJs.Token({ secret, ttl: 0, token: jsToken }).decode() !== text) {
    throw new Error('fernet (npm): round trip failed');
  }
  map.set('fernet (npm)', {
    encrypt: () => new fernetJs.Token({ secret, ttl: 0 }).encode(text),
    decrypt: () => new fernetJs.Token({ secret, ttl: 0, token: jsToken }).decode(),
  });
  const nodejs = new FernetNodejs(key);
  const nodejsToken = nodejs.encrypt(text);
  if (nodejs.decrypt(nodejsToken) !== text) throw new Error('fernet-nodejs: round trip failed');
  map.set('fernet-nodejs', { encrypt: () => nodejs.encrypt(text), decrypt: () => nodejs.decrypt(nodejsToken) });
  return map;
}

/** Median ops/s of `fn` over SAMPLES samples of about SAMPLE_MS each, after a short warm-up. */
function measure(fn: () => unknown): number {
  const warmUntil = performance.now() + SAMPLE_MS / 2;
  let batch = 1;
  while (performance.now() < warmUntil) fn();
  // Size batches so a sample lasts about SAMPLE_MS.
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) fn();
    const elapsed = performance.now() - start;
    if (elapsed >= SAMPLE_MS / 4) {
      batch = Math.max(1, Math.round((batch * SAMPLE_MS) / elapsed));
      break;
    }
    batch *= 4;
  }
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) fn();
    rates.push((batch * 1000) / (performance.now() - start));
  }
  return rates.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)]!;
}

const PYTHON = process.env.PYTHON ?? 'python3';
const PYTHON_BENCH = `
import json, os, sys, time
from cryptography.fernet import Fernet
sizes, samples, sample_s = json.loads(sys.argv[1])
f = Fernet(Fernet.generate_key())
def measure(fn):
    end = time.perf_counter() + sample_s / 2
    while time.perf_counter() < end: fn()
    batch = 1
    while True:
        t = time.perf_counter()
        for _ in range(batch): fn()
        e = time.perf_counter() - t
        if e >= sample_s / 4:
            batch = max(1, round(batch * sample_s / e)); break
        batch *= 4
    rates = []
    for _ in range(samples):
        t = time.perf_counter()
        for _ in range(batch): fn()
        rates.append(batch / (time.perf_counter() - t))
    return sorted(rates)[samples // 2]
out = []
for n in sizes:
    data = os.urandom(n); token = f.encrypt(data)
    assert f.decrypt(token) == data
    out.append({"size": n, "encrypt": measure(lambda: f.encrypt(data)), "decrypt": measure(lambda: f.decrypt(token))})
print(json.dumps(out))
`;

/** Python's own figures for one size, or `undefined` when python3 or `cryptography` is missing. */
function measurePython(size: number): FernetBenchResult[] | undefined {
  const run = spawnSync(PYTHON, ['-c', PYTHON_BENCH, JSON.stringify([[size], SAMPLES, SAMPLE_MS / 1000])], {
    encoding: 'utf8',
  });
  if (run.error || run.status !== 0) return undefined;
  const rows = JSON.parse(run.stdout) as { size: number; encrypt: number; decrypt: number }[];
  return rows.flatMap((row) =>
    (['encrypt', 'decrypt'] as const).map((op) => ({
      impl: 'python' as const,
      op,
      size: row.size,
      opsPerSecond: row[op],
    })),
  );
}

const sizeLabel = (size: number) =>
  size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`;
const opsLabel = (ops: number | undefined) =>
  ops === undefined ? '—' : ops >= 100 ? Math.round(ops).toLocaleString('en-US') : ops.toFixed(1);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`;

function printTable(results: FernetBenchResult[]): void {
  const get = (impl: Impl, op: Op, size: number) =>
    results.find((r) => r.impl === impl && r.op === op && r.size === size)?.opsPerSecond;
  const header = ['size', 'op', ...IMPLS, 'native/python', 'portable/fernet(npm)'];
  const rows = SIZES.flatMap((size) =>
    (['encrypt', 'decrypt'] as const).map((op) => [
      sizeLabel(size),
      op,
      ...IMPLS.map((impl) => opsLabel(get(impl, op, size))),
      ratio(get('native', op, size), get('python', op, size)),
      ratio(get('portable', op, size), get('fernet (npm)', op, size)),
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log('Fernet ops/s (median of 5 samples; higher is better)');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/**
 * Runs the benchmark, prints the table and returns the figures.
 * @example
 * const results = await runFernetBench();
 */
export async function runFernetBench(): Promise<FernetBenchResult[]> {
  const results: FernetBenchResult[] = [];
  let python = true;
  // Size by size, Python right after the JS figures, so a change in machine load skews ratios less.
  for (const size of SIZES) {
    for (const [impl, subject] of subjects(size)) {
      for (const op of ['encrypt', 'decrypt'] as const) {
        results.push({ impl, op, size, opsPerSecond: measure(() => subject[op]()) });
      }
    }
    const pythonResults = python ? measurePython(size) : undefined;
    if (pythonResults) results.push(...pythonResults);
    else python = false;
  }
  if (!python) console.log(`(python column skipped: ${PYTHON} with "cryptography" not available)`);
  printTable(results);
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFernetBench();
}
