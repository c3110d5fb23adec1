/**
 * The CLI on a terminal: run under a real pseudo-terminal (util-linux `script`), it draws a progress
 * bar and asks before `migrate --down`; on pipes it prints plain lines and never asks.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, freshDatabase, removeTempFolders, type TestDatabase } from './helpers.js';

interface TerminalResult {
  readonly code: number | null;
  /** Everything the terminal showed (stdout, stderr and the echo of what was typed), escapes included. */
  readonly screen: string;
}

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * Runs the CLI with a pseudo-terminal as its stdin, stdout and stderr (`script -e` passes its exit code
 * on); `answer` is typed once `prompt` is on the screen.
 */
function inTerminal(args: readonly string[], options: { env?: Record<string, string>; prompt?: string; answer?: string } = {}): Promise<TerminalResult> {
  const command = [process.execPath, '--import', 'tsx', CLI, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let typed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
    if (!typed && options.prompt !== undefined && screen.includes(options.prompt)) {
      typed = true;
      child.stdin.end(`${options.answer}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}

/** The screen without its escape sequences. */
const plain = (screen: string) => screen.replaceAll(/\x1b(\[[?0-9;]*[A-Za-z]|7|8)/g, '');

const PROMPT = 'Type "yes" to continue: ';
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('sqlite');
  const storage = db.storage('old terminal secret');
  await storage.migrate();
  for (let i = 0; i < 300; i++) await storage.extension('acme.term').global.set(`k${i}`, 'x'.repeat(1000), { encrypt: true });
}, 60_000);
afterAll(async () => {
  await db?.close();
  removeTempFolders();
});

describe('on a terminal', () => {
  const keys = { EXTENSION_STORAGE_KEYS: JSON.stringify(['new terminal secret', 'old terminal secret']) };

  it('rotate-keys draws a bar (rows done / total, rate, ETA), redrawn in place', async () => {
    // Batches of one row: a run of batches of five took ~0.1 s on a fast machine, one redraw interval
    // of the bar, so only its first and last frames were drawn.
    const { code, screen } = await inTerminal(['rotate-keys', '--batch-size', '1', '--db', db.url], { env: keys });
    expect(code, screen).toBe(0);
    const frames = [...plain(screen).matchAll(/rotate-keys \[[█░]{40}\] (\d+)\/300 rows \| \d+ rows\/s \| ETA \d+s/g)].map((frame) => Number(frame[1]));
    expect(frames[0]).toBe(0);
    expect(frames.at(-1)).toBe(300);
    expect(new Set(frames).size, screen).toBeGreaterThan(2); // drawn while it ran, not only at the ends
    expect(screen).toContain('\x1b[1Grotate-keys ['); // each frame redraws the line from its first column
    expect(plain(screen)).toMatch(/scanned 300, rotated 300, already current 0, failed 0\r\n/);
    expect(screen).not.toMatch(/rotate-keys: \d+\/300 rows \(/); // no plain lines on a terminal
  });

  it('on pipes, rotate-keys prints plain progress lines instead, and no escapes', async () => {
    const piped = await cli(['rotate-keys', '--batch-size', '5', '--db', db.url], { env: keys });
    expect(piped.code).toBe(0);
    expect(piped.stderr).toMatch(/^rotate-keys: 5\/300 rows \(1%\), \d+ rows\/s(, ETA \d+s)?\n(rotate-keys: \d+\/300 rows .*\n)*rotate-keys: 300\/300 rows \(100%\)/);
    expect(piped.stderr).not.toContain('\x1b');
  });

  it('purge-extension --dry-run on a terminal prints its table; the cleanup draws a bar', async () => {
    await db.storage().extension('acme.gone').global.set('k', 'v');
    const dry = await inTerminal(['purge-extension', 'acme.gone', '--dry-run', '--db', db.url]);
    expect(dry.code).toBe(0);
    expect(plain(dry.screen)).toContain('dry run: would remove 1 entries (every entry of extension acme.gone); nothing was changed');
    const run = await inTerminal(['purge-extension', 'acme.gone', '--db', db.url]);
    expect(run.code).toBe(0);
    expect(plain(run.screen)).toMatch(/purge-extension \[█{40}\] 1\/1 entries \| \d+ entries\/s \| ETA 0s/);
    expect(plain(run.screen)).toContain('removed 1 entries (every entry of extension acme.gone)');
  });

  it('migrate --down asks first: anything but "yes" changes nothing (exit 1), "yes" removes the table', async () => {
    for (const answer of ['n', 'y', '']) {
      const refused = await inTerminal(['migrate', '--down', '--db', db.url], { prompt: PROMPT, answer });
      expect(refused.code, refused.screen).toBe(1);
      expect(plain(refused.screen)).toContain('This removes the extension_storage table and every entry in it from SQLite file');
      expect(plain(refused.screen)).toContain('migrate --down: not confirmed; nothing was changed');
      expect(await db.storage().usage('acme.term')).toMatchObject({ keys: 300 });
    }
    const confirmed = await inTerminal(['migrate', '--down', '--db', db.url], { prompt: PROMPT, answer: 'yes' });
    expect(confirmed.code, confirmed.screen).toBe(0);
    expect(plain(confirmed.screen)).toContain('migrate --down: removed the extension_storage table');
    await expect(db.storage().usage('acme.term')).rejects.toMatchObject({ code: 'NOT_MIGRATED' });
    // Without a terminal it never asks: --yes or exit code 2.
    await db.storage().migrate();
    const piped = await cli(['migrate', '--down', '--db', db.url], { input: 'yes\n' });
    expect(piped).toMatchObject({ code: 2, stdout: '' });
    expect(piped.stderr).toContain('there is no terminal to confirm on: pass --yes');
    expect(await db.storage().usage('acme.term')).toEqual({ bytes: 0, keys: 0 });
  });
});
