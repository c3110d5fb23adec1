/**
 * examples/host-server.ts as a host runs it: a child process on a free port, driven over HTTP as its
 * page's script drives it (login, then the storage API with and without the CSRF token).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';

let child: ChildProcess;
let origin: string;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'examples/host-server.ts'], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    const match = /listening on (http:\/\/\S+)/.exec(output);
    if (match) {
      origin = match[1]!;
      break;
    }
  }
  expect(origin).toBeDefined();
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill();
    await once(child, 'exit');
  }
});

const NOTES = '/api/v1/extensions/acme/notes/storage/persistent/user';

async function login(user: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${origin}/login`, { method: 'POST', body: new URLSearchParams({ user, password }) });
  expect(response.status).toBe(204);
  const jar = response.headers.getSetCookie().map((line) => line.split(';')[0]!);
  return { cookie: jar.join('; '), csrf: jar.find((pair) => pair.startsWith('csrf='))!.slice('csrf='.length) };
}

it('serves its page, whose script uses the storage API', async () => {
  const page = await fetch(`${origin}/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(NOTES);
  expect(html).toContain("'X-CSRF-Token': csrf()");
});

it('logs in, refuses a write without the CSRF token, and stores and reads with it', async () => {
  expect((await fetch(`${origin}/login`, { method: 'POST', body: new URLSearchParams({ user: 'alice', password: 'wrong' }) })).status).toBe(401);
  expect((await fetch(`${origin}${NOTES}/`)).status).toBe(401);
  const alice = await login('alice', 'wonderland');
  const put = (headers: Record<string, string>) =>
    fetch(`${origin}${NOTES}/note-1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ value: 'buy milk', value_type: 'text/plain; charset=utf-8', category: 'notes' }),
    });
  expect((await put({ cookie: alice.cookie })).status).toBe(403);
  expect((await put({ cookie: alice.cookie, 'x-csrf-token': 'forged' })).status).toBe(403);
  // As many characters as the real token, more bytes: refused like any forgery, never a 503.
  expect((await put({ cookie: alice.cookie, 'x-csrf-token': 'é'.repeat(alice.csrf.length) })).status).toBe(403);
  const bob = await login('bob', 'builder');
  // Bob's token with Alice's session: the token must be the one issued with this session.
  expect((await put({ cookie: alice.cookie.replace(/csrf=[^;]+/, `csrf=${bob.csrf}`), 'x-csrf-token': bob.csrf })).status).toBe(403);
  expect((await put({ cookie: alice.cookie, 'x-csrf-token': alice.csrf })).status).toBe(201);
  const read = await fetch(`${origin}${NOTES}/note-1`, { headers: { cookie: alice.cookie } });
  expect(await read.text()).toBe('buy milk');
  const listed = (await (await fetch(`${origin}${NOTES}/?category=notes`, { headers: { cookie: alice.cookie } })).json()) as { count: number };
  expect(listed.count).toBe(1);
  expect((await fetch(`${origin}${NOTES}/note-1`, { headers: { cookie: bob.cookie } })).status).toBe(404);
});
