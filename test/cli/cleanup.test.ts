/**
 * The cleanup commands (purge-extension, delete-user, delete-resource, purge-expired) run as a child
 * process against SQLite, PostgreSQL and MariaDB: --dry-run prints the counts and changes nothing, a
 * real run removes exactly those rows, and SIGINT stops between batches, a second run finishing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cli, freshDatabase, freshDatabaseEachTest, removeTempFolders, startCli, tableRows, type TestDatabase } from './helpers.js';

const DASHBOARD = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
afterAll(removeTempFolders);

/** Two extensions; users 7 and 8; two dashboards; one entry encrypted. */
async function seed(db: TestDatabase): Promise<void> {
  const storage = db.storage('cleanup cli secret');
  await storage.migrate();
  for (const id of ['acme.one', 'acme.two']) {
    for (const user of [7, 8]) {
      const ext = storage.extension(id, { user: { id: user } });
      await ext.user.set('prefs', 'pp');
      await ext.user.set('token', 'sss', { encrypt: true });
      await ext.global.set(`by-${user}`, 'g');
      await ext.resource('dashboard', DASHBOARD).set(`by-${user}`, 'rrrr');
      await ext.resource('dashboard', 'other').set(`by-${user}`, 'rrrr');
    }
  }
}

/** Every entry, exported: what a dry run must leave as it was. */
async function snapshot(db: TestDatabase): Promise<string> {
  const out = await cli(['export', '--db', db.url]);
  expect(out.code).toBe(0);
  return out.stdout.split('\n').sort().join('\n');
}

describe.each(['sqlite', 'postgres', 'mysql'] as const)('CLI cleanup on %s', (name) => {
  const { db, test } = freshDatabaseEachTest(name);

  test('--dry-run prints per extension and scope what would go, and changes nothing', async () => {
    await seed(db);
    const before = await snapshot(db);
    const user = await cli(['delete-user', '7', '--dry-run', '--db', db.url]);
    expect(user).toMatchObject({ code: 0, stderr: '' });
    expect(tableRows(user.stdout)).toEqual([
      ['extension', 'scope', 'rows', 'bytes', 'encrypted rows'],
      ['acme.one', 'user', '2', '5', '1'],
      ['acme.two', 'user', '2', '5', '1'],
      ['total', '', '4', '10', '2'],
    ]);
    expect(user.stdout).toMatch(/\ndry run: would remove 4 entries \(user-scope entries of user 7\); nothing was changed\n$/);

    const extension = await cli(['purge-extension', 'acme.two', '--dry-run', '--db', db.url]);
    expect(tableRows(extension.stdout).slice(1)).toEqual([
      ['acme.two', 'global', '2', '2', '0'],
      ['acme.two', 'user', '4', '10', '2'],
      ['acme.two', 'resource', '4', '16', '0'],
      ['total', '', '10', '28', '2'],
    ]);
    expect(extension.stdout).toMatch(/would remove 10 entries \(every entry of extension acme\.two\)/);

    const resource = await cli(['delete-resource', 'dashboard', DASHBOARD.toUpperCase(), '--dry-run', '--db', db.url]);
    expect(tableRows(resource.stdout).slice(1)).toEqual([
      ['acme.one', 'resource', '2', '8', '0'],
      ['acme.two', 'resource', '2', '8', '0'],
      ['total', '', '4', '16', '0'],
    ]);
    expect(resource.stdout).toMatch(`would remove 4 entries (entries of resource dashboard ${DASHBOARD})`);

    const expired = await cli(['purge-expired', '--dry-run', '--db', db.url]);
    expect(tableRows(expired.stdout)).toEqual([['extension', 'scope', 'rows', 'bytes', 'encrypted rows'], ['total', '', '0', '0', '0']]);
    expect(await snapshot(db)).toBe(before);
  });

  test('each cleanup removes exactly what its dry run counted, and says how many', async () => {
    await seed(db);
    const user = await cli(['delete-user', '7', '--batch-size', '1', '--db', db.url]);
    expect(user).toMatchObject({ code: 0, stdout: 'removed 4 entries (user-scope entries of user 7)\n' });
    expect(user.stderr).toMatch(/^delete-user: 1\/4 entries \(25%\)/);
    const resource = await cli(['delete-resource', 'dashboard', DASHBOARD, '--db', db.url]);
    expect(resource).toMatchObject({ code: 0, stdout: `removed 4 entries (entries of resource dashboard ${DASHBOARD})\n` });
    const extension = await cli(['purge-extension', 'acme.two', '--db', db.url]);
    expect(extension).toMatchObject({ code: 0, stdout: 'removed 6 entries (every entry of extension acme.two)\n' });
    const stats = JSON.parse((await cli(['stats', '--json', '--db', db.url])).stdout) as { scopes: unknown[]; quotas: unknown[] };
    expect(stats.scopes).toEqual([
      { extensionId: 'acme.one', scope: 'global', rows: 2, bytes: 2, encryptedRows: 0 },
      { extensionId: 'acme.one', scope: 'user', rows: 2, bytes: 5, encryptedRows: 1 },
      { extensionId: 'acme.one', scope: 'resource', rows: 2, bytes: 8, encryptedRows: 0 },
    ]);
    expect(stats.quotas).toEqual([{ extensionId: 'acme.one', usage: { bytes: 15, keys: 6 }, quota: { bytes: null, keys: null } }]);
    const again = await cli(['purge-extension', 'acme.two', '--db', db.url]);
    expect(again).toMatchObject({ code: 0, stdout: 'removed 0 entries (every entry of extension acme.two)\n' });
  });

  test('purge-expired counts and removes the rows expired now', async () => {
    await seed(db);
    const storage = db.storage('cleanup cli secret');
    for (const id of ['acme.one', 'acme.two']) {
      for (const user of [7, 8]) {
        const ext = storage.extension(id, { user: { id: user } });
        // Rewritten with an expiry: prefs and every by-8 entry in 2000, the tokens in 2100.
        await ext.user.set('prefs', 'pp', { expiresAt: new Date('2000-01-01T00:00:00Z') });
        await ext.user.set('token', 'sss', { encrypt: true, expiresAt: new Date('2100-01-01T00:00:00Z') });
        if (user === 8) {
          await ext.global.set('by-8', 'g', { expiresAt: new Date('2000-01-01T00:00:00Z') });
          for (const object of [DASHBOARD, 'other']) await ext.resource('dashboard', object).set('by-8', 'rrrr', { expiresAt: new Date('2000-01-01T00:00:00Z') });
        }
      }
    }
    const dry = await cli(['purge-expired', '--dry-run', '--db', db.url]);
    expect(tableRows(dry.stdout).slice(1)).toEqual([
      ['acme.one', 'global', '1', '1', '0'],
      ['acme.one', 'user', '2', '4', '0'],
      ['acme.one', 'resource', '2', '8', '0'],
      ['acme.two', 'global', '1', '1', '0'],
      ['acme.two', 'user', '2', '4', '0'],
      ['acme.two', 'resource', '2', '8', '0'],
      ['total', '', '10', '26', '0'],
    ]);
    const run = await cli(['purge-expired', '--batch-size', '3', '--db', db.url]);
    expect(run).toMatchObject({ code: 0, stdout: 'removed 10 entries (expired entries)\n' });
    expect((await cli(['purge-expired', '--db', db.url])).stdout).toBe('removed 0 entries (expired entries)\n');
    // Left: the two tokens (expiring in 2100), by-7 global and its two dashboard entries.
    expect(await db.storage().usage('acme.one')).toEqual({ bytes: 2 * 3 + 1 + 2 * 4, keys: 5 });
  });
});

it('purge-extension stopped by SIGINT says how far it got; running it again removes the rest', async () => {
  const db = await freshDatabase('sqlite');
  const ROWS = 1000;
  try {
    const storage = db.storage();
    await storage.migrate();
    // Batches of one 32 KiB row, each committed to the file: slow by their size, not by a sleep.
    const value = new Uint8Array(32 * 1024).fill(7);
    for (let i = 0; i < ROWS; i++) await storage.extension('acme.big').global.set(`k${i}`, value);
    await storage.extension('acme.keep').global.set('k', 'v');
    const { child, done } = startCli(['purge-extension', 'acme.big', '--batch-size', '1', '--db', db.url]);
    child.stderr!.on('data', function firstLine(chunk: string) {
      if (chunk.includes('purge-extension: ')) {
        child.stderr!.off('data', firstLine);
        child.kill('SIGINT');
      }
    });
    const first = await done;
    expect(first.code, first.stderr).toBe(130);
    expect(first.stdout).toBe('');
    const stop = /stopped by SIGINT after removing (\d+) of 1000 entries \(every entry of extension acme\.big\)\. Run purge-extension again to remove the rest\.\n$/.exec(first.stderr);
    expect(stop, first.stderr).not.toBeNull();
    const removed = Number(stop![1]);
    expect(removed).toBeGreaterThan(0);
    expect(removed).toBeLessThan(ROWS);
    expect(await storage.usage('acme.big')).toEqual({ bytes: (ROWS - removed) * value.length, keys: ROWS - removed });

    const second = await cli(['purge-extension', 'acme.big', '--db', db.url]);
    expect(second).toMatchObject({ code: 0, stdout: `removed ${ROWS - removed} entries (every entry of extension acme.big)\n` });
    expect(await storage.usage('acme.big')).toEqual({ bytes: 0, keys: 0 });
    expect(await storage.usage('acme.keep')).toEqual({ bytes: 1, keys: 1 });
  } finally {
    await db.close();
  }
}, 120_000);
