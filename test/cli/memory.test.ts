/**
 * Bounded memory: a 100,000-row export and its import, of more data (~190 MiB of JSON Lines) than the
 * bound, keep a bounded peak resident memory (the child's VmHWM, polled from /proc). The CLI runs as
 * the package ships it, bundled (tsx alone adds ~55 MiB). The figures are printed for the record.
 *
 * The child's heap is capped (old space 64 MiB, semi-spaces 2 MiB): an export or import that held the
 * rows would die of it, so completing proves the bound on every Node, whatever its garbage collector's
 * defaults. Without the cap, V8 lets dead Buffers (values read, lines written) pile up before it
 * collects them, and how many differs by version: peak RSS of this run, uncapped, was ~104 MiB on Node
 * 20, ~147–151 MiB on Node 22 and ~230 MiB on Node 24. Under the cap the peak stays below 128 MiB (Node
 * 20 with better-sqlite3 loaded already takes ~50 MiB).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ExportedEntry } from '../../src/index.js';
import { build } from 'esbuild';
import { freshDatabase, removeTempFolders, startCli, type CliResult } from './helpers.js';

const ROWS = 100_000;
const VALUE_BYTES = 1200;
const LIMIT_KIB = 128 * 1024;
/** The child's heap limits: a run that kept the rows in memory runs out of heap and fails. */
const HEAP_CAP = '--max-old-space-size=64 --max-semi-space-size=2';
const folder = mkdtempSync(join(tmpdir(), 'extension-storage-memory-'));
const folders = [folder];
afterAll(() => {
  for (const path of folders) rmSync(path, { recursive: true, force: true });
  removeTempFolders();
});

function* entries(): Generator<ExportedEntry> {
  const now = new Date();
  for (let i = 0; i < ROWS; i++) {
    const value = new Uint8Array(VALUE_BYTES).fill(i % 251);
    yield {
      extensionId: `acme.ext${i % 7}`,
      userId: i % 3 === 0 ? String(i % 1000) : null,
      resourceType: null,
      resourceId: null,
      key: `key/${i}`,
      uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      valueType: 'application/octet-stream',
      category: null,
      description: null,
      encrypted: false,
      version: 1,
      size: VALUE_BYTES,
      createdAt: now,
      updatedAt: now,
      createdBy: null,
      updatedBy: null,
      value,
    };
  }
}

/**
 * The CLI bundled as tsup bundles it for the package (dynamic imports split out), into the repository's
 * ignored tmp/ folder so that its imports resolve to node_modules.
 */
async function bundledCli(): Promise<string> {
  const outdir = join(process.cwd(), 'tmp', `cli-memory-${process.pid}`);
  await build({
    entryPoints: [join(process.cwd(), 'src', 'cli', 'main.ts')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir,
    logLevel: 'warning',
  });
  folders.push(outdir);
  return join(outdir, 'main.js');
}

/** Runs the CLI and returns its result with its peak RSS in KiB, polled from /proc while it runs. */
async function measured(script: string, args: string[]): Promise<CliResult & { peakKiB: number }> {
  const { child, done } = startCli(args, { script, env: { NODE_OPTIONS: HEAP_CAP } });
  let peakKiB = 0;
  const { readFileSync } = await import('node:fs');
  const timer = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
    } catch {
      // exited
    }
  }, 10);
  const result = await done;
  clearInterval(timer);
  return { ...result, peakKiB };
}

it.skipIf(!existsSync('/proc/self/status'))(
  'a 100,000-row export and import keep a bounded peak RSS (under 128 MiB)',
  async () => {
    const source = await freshDatabase('sqlite');
    const target = await freshDatabase('sqlite');
    try {
      const storage = source.storage();
      await storage.migrate();
      expect(await storage.importEntries(entries(), { batchSize: 2000 })).toMatchObject({ inserted: ROWS });
      const file = join(folder, 'big.jsonl');

      const script = await bundledCli();
      const exported = await measured(script, ['export', '--db', source.url, '--out', file]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toMatch(/export: 100000 entries written/);
      const bytes = statSync(file).size;
      expect(bytes).toBeGreaterThan(LIMIT_KIB * 1024);

      await target.storage().migrate();
      const imported = await measured(script, ['import', '--db', target.url, '--in', file]);
      expect(imported, imported.stderr).toMatchObject({ code: 0, stdout: `inserted ${ROWS}, replaced 0, skipped 0\n` });
      console.log(
        `memory: export of ${ROWS} rows (${(bytes / 2 ** 20).toFixed(0)} MiB of JSON Lines) peaked at ${(exported.peakKiB / 1024).toFixed(1)} MiB RSS, ` +
          `import at ${(imported.peakKiB / 1024).toFixed(1)} MiB`,
      );
      expect(exported.peakKiB).toBeGreaterThan(0);
      expect(exported.peakKiB).toBeLessThan(LIMIT_KIB);
      expect(imported.peakKiB).toBeLessThan(LIMIT_KIB);
      expect((await target.storage().stats()).reduce((sum, row) => sum + row.rows, 0)).toBe(ROWS);
    } finally {
      await source.close();
      await target.close();
    }
  },
  300_000,
);
