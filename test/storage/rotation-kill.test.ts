/**
 * Resumability: a rotation killed mid-run leaves every row readable (under the old or the new key),
 * and a second run completes it, after which the new key alone opens every row.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ExtensionStorage } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';

const folder = mkdtempSync(join(tmpdir(), 'extension-storage-rotation-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

it('a rotation killed mid-run is completed by a second run', async () => {
  const file = join(folder, 'app.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const old = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: 'old secret' });
  await old.migrate();
  for (let i = 0; i < 100; i++) await old.extension('acme.kill').global.set(`k${i}`, `value ${i}`, { encrypt: true });

  // One process (node with tsx as a loader, not the tsx wrapper), so the kill ends the rotation itself.
  const worker = join(process.cwd(), 'test', 'storage', 'rotation-kill-worker.ts');
  const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', worker, file, '4']).on('exit', (_, signal) => resolve(signal)),
  );
  expect(exit).toBe('SIGKILL');

  const both = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: ['new secret', 'old secret'] });
  for (let i = 0; i < 100; i++) expect(await both.extension('acme.kill').global.getText(`k${i}`)).toBe(`value ${i}`);
  const resumed = await both.rotateKeys();
  expect(resumed).toEqual({ scanned: 100, rotated: 60, alreadyCurrent: 40, failed: 0, failedIds: [] });

  const onlyNew = new ExtensionStorage({ dialect: sqlite(db), encryptionKeys: 'new secret' });
  for (let i = 0; i < 100; i++) expect(await onlyNew.extension('acme.kill').global.getText(`k${i}`)).toBe(`value ${i}`);
  db.close();
}, 60_000);
