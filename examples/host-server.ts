/**
 * A host application on `node:http` serving its extensions' storage under its own API, as a browser
 * front end uses it: a session-cookie login, a CSRF double-submit check on every write, and a static
 * page whose script saves, lists and reads through the API. Run with `npm run example:server` and open
 * the printed address (users: alice / wonderland, bob / builder). `PORT` picks the port (0: any free one).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { ExtensionStorage } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import { createStorageHandler, toNodeHandler } from '../src/http/index.js';

const API = '/api/v1/extensions';
const USERS = new Map([
  ['alice', { id: 1, password: 'wonderland' }],
  ['bob', { id: 2, password: 'builder' }],
]);

/** session id → the user it logged in, and the CSRF token issued with it. */
const sessions = new Map<string, { userId: number; csrf: string }>();

function cookies(header: string | null | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) jar.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return jar;
}

function sessionOf(cookieHeader: string | null | undefined) {
  const id = cookies(cookieHeader).get('session');
  return id === undefined ? undefined : sessions.get(id);
}

function same(a: string, b: string): boolean {
  // Compared as bytes: two strings of one length in characters may differ in bytes (non-ASCII).
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const storage = new ExtensionStorage({ dialect: sqlite(new Database(':memory:')) });
await storage.migrate();

const storageApi = toNodeHandler(
  createStorageHandler(storage, {
    basePath: API,
    authenticate: (request) => {
      const session = sessionOf(request.headers.get('cookie'));
      return session === undefined ? null : { id: session.userId };
    },
    // Double submit: the header a page script copied from the `csrf` cookie (which another site's page
    // can neither read nor set) must equal the cookie, and the token issued with this very session.
    verifyRequest: (request) => {
      const session = sessionOf(request.headers.get('cookie'));
      const header = request.headers.get('x-csrf-token');
      const cookie = cookies(request.headers.get('cookie')).get('csrf');
      return session !== undefined && header !== null && cookie !== undefined && same(header, cookie) && same(header, session.csrf);
    },
    onError: (error) => console.error('storage failure:', error),
  }),
);

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>Notes (an extension's front end)</title>
<form id="login"><input name="user" value="alice"> <input name="password" type="password" value="wonderland"> <button>Log in</button></form>
<form id="note"><input name="text" placeholder="a note"> <button>Save</button></form>
<ul id="notes"></ul>
<script type="module">
const BASE = '${API}/acme/notes/storage/persistent/user';
const csrf = () => document.cookie.match(/(?:^|; )csrf=([^;]+)/)?.[1] ?? '';
async function refresh() {
  const response = await fetch(BASE + '/?category=notes');
  if (!response.ok) return;
  const { result } = await response.json();
  const list = document.getElementById('notes');
  list.replaceChildren();
  for (const item of result) {
    const text = await fetch(BASE + '/' + encodeURIComponent(item.key)).then((r) => r.text());
    list.append(Object.assign(document.createElement('li'), { textContent: item.changed_on + ': ' + text }));
  }
}
document.getElementById('login').onsubmit = async (event) => {
  event.preventDefault();
  await fetch('/login', { method: 'POST', body: new URLSearchParams(new FormData(event.target)) });
  await refresh();
};
document.getElementById('note').onsubmit = async (event) => {
  event.preventDefault();
  const text = new FormData(event.target).get('text');
  await fetch(BASE + '/note-' + Date.now(), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
    body: JSON.stringify({ value: text, value_type: 'text/plain; charset=utf-8', category: 'notes' }),
  });
  await refresh();
};
refresh();
</script>
`;

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === API || path.startsWith(`${API}/`)) {
    return storageApi(req, res);
  }
  if (req.method === 'GET' && path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff' });
    return res.end(PAGE);
  }
  if (req.method === 'POST' && path === '/login') {
    const form = await readForm(req).catch(() => new URLSearchParams());
    const user = USERS.get(form.get('user') ?? '');
    if (user === undefined || !same(form.get('password') ?? '', user.password)) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      return res.end('wrong user or password\n');
    }
    const session = randomBytes(24).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    sessions.set(session, { userId: user.id, csrf });
    res.writeHead(204, {
      'set-cookie': [`session=${session}; HttpOnly; SameSite=Lax; Path=/`, `csrf=${csrf}; SameSite=Strict; Path=/`],
    });
    return res.end();
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port}`);
});
