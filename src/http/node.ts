/**
 * The `node:http` adapter. It hands the handler a `Request` whose body streams from the socket (so a
 * handler that stops reading stops the upload) and writes the answer back with backpressure. Building
 * a full `Request` costs more than the storage's own work (an `AbortSignal`, WebIDL conversions), so
 * the request is made lazily: `method`, `url`, `headers` and `body` are read from the `IncomingMessage`,
 * and the first use of anything else (`signal`, `json()`, `clone()`, …) builds the real `Request`, whose
 * `signal` aborts when the client goes away. It is an `instanceof Request` throughout. The storage
 * handler's own answers are written as they are, without a `Response` in between.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ANSWER, READ_BODY, type Answer, type AnsweringHandler } from './answer.js';

/** A handler that answers a request, or `null` when the request is not its own. */
export type FetchHandler = ((request: Request) => Promise<Response | null>) & AnsweringHandler;

/** A `node:http` request listener; as Express middleware, `next()` is called for requests the handler leaves. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * Adapts a fetch-style handler to `node:http` (and Express/Connect middleware). A request the handler
 * answers `null` goes to `next` when there is one, else is answered 404.
 * @example
 * http.createServer(toNodeHandler(createStorageHandler(storage, { authenticate }))).listen(8080);
 * app.use(toNodeHandler(handle));   // Express: other paths go on to the next middleware
 */
export function toNodeHandler(handle: FetchHandler): NodeHandler {
  const answering = handle[ANSWER];
  return (req, res, next) => {
    serve(handle, answering, req, res, next).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      if (next) return next(error);
      // Only what Node let through and `Headers` refuses gets here: the request is the problem.
      writeAnswer({ status: 400, headers: jsonHeaders(), body: JSON.stringify({ message: 'the request could not be read', code: 'VALIDATION' }) }, req, res);
    });
  };
}

async function serve(
  handle: FetchHandler,
  answering: AnsweringHandler[typeof ANSWER],
  req: IncomingMessage,
  res: ServerResponse,
  next: ((error?: unknown) => void) | undefined,
): Promise<void> {
  const request = lazyRequest(req, res);
  if (answering !== undefined) {
    const answer = await answering(request);
    if (answer === null) return notOurs(res, next);
    if (!res.destroyed) writeAnswer(answer, req, res);
    return;
  }
  const response = await handle(request);
  if (response === null) return notOurs(res, next);
  if (!res.destroyed) await writeResponse(response, req, res);
}

function notOurs(res: ServerResponse, next: ((error?: unknown) => void) | undefined): void {
  if (next) return next();
  res.writeHead(404, jsonHeaders());
  res.end(JSON.stringify({ message: 'not found', code: 'NOT_FOUND' }));
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };
}

/**
 * A request whose body was left unread (a 413, a refusal before reading) ends its connection: the rest
 * of the upload is never read.
 */
function closeIfUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete) res.setHeader('connection', 'close');
}

function writeAnswer(answer: Answer, req: IncomingMessage, res: ServerResponse): void {
  const { headers, body } = answer;
  if (body !== null) headers['content-length'] ??= String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  if (!req.complete) headers.connection = 'close'; // as closeIfUnread
  // One writeHead with the whole object: Node's fast path, without a setHeader per header.
  res.writeHead(answer.status, headers);
  res.end(body ?? undefined);
}

async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  closeIfUnread(req, res);
  if (response.body === null || req.method === 'HEAD') {
    res.end();
    return;
  }
  const reader = (response.body as unknown as NodeReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (res.destroyed) return;
    }
    res.end();
  } finally {
    if (res.destroyed) await reader.cancel().catch(() => undefined);
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** What a lazy request is made of, and the real `Request` once something needed it. */
interface LazyState {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: string;
  headers?: Headers;
  body?: ReadableStream<Uint8Array> | null;
  real?: Request;
}

const STATE = Symbol('node request');
type Lazy = Request & { [STATE]: LazyState };

const FAST = new Set<PropertyKey>(['constructor', 'method', 'url', 'headers', 'body', READ_BODY]);

const lazyPrototype: object = Object.create(Request.prototype, {
  method: {
    get(this: Lazy) {
      return this[STATE].req.method ?? 'GET';
    },
  },
  url: {
    get(this: Lazy) {
      return this[STATE].url;
    },
  },
  headers: {
    get(this: Lazy) {
      const state = this[STATE];
      return (state.headers ??= headersOf(state.req));
    },
  },
  body: {
    get(this: Lazy) {
      const state = this[STATE];
      if (state.real !== undefined) return state.real.body;
      if (state.body === undefined) state.body = bodyOf(state.req);
      return state.body;
    },
  },
  [READ_BODY]: {
    value(this: Lazy, limit: number): Promise<Uint8Array | 'too-large'> {
      const state = this[STATE];
      if (state.body !== undefined || state.real !== undefined) return Promise.reject(new Error('the body is already being read'));
      state.body = null;
      return readSocketBody(state.req, limit);
    },
  },
});
// Everything else the real `Request` has (signal, bodyUsed, json(), clone(), …) comes from it, built once.
for (const name of Reflect.ownKeys(Request.prototype)) {
  if (FAST.has(name)) continue;
  Object.defineProperty(lazyPrototype, name, {
    get(this: Lazy) {
      const real = materialize(this);
      const value: unknown = Reflect.get(real, name);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value;
    },
  });
}

function lazyRequest(req: IncomingMessage, res: ServerResponse): Request {
  const request = Object.create(lazyPrototype) as Lazy;
  request[STATE] = { req, res, url: urlOf(req) };
  return request;
}

function materialize(request: Lazy): Request {
  const state = request[STATE];
  if (state.real !== undefined) return state.real;
  const abort = new AbortController();
  state.res.once('close', () => {
    if (!state.res.writableFinished) abort.abort();
  });
  const method = request.method;
  const init: RequestInit & { duplex?: 'half' } = { method, headers: request.headers, signal: abort.signal };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = request.body;
    init.duplex = 'half';
  }
  state.real = new Request(state.url, init);
  return state.real;
}

/** Express and Connect strip a mount path from `req.url`; `originalUrl` keeps it. */
function urlOf(req: IncomingMessage): string {
  const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const host = req.headers.host;
  // A host that is not one (a path, a user) must not move the path the request line gave.
  const origin = host !== undefined && HOST.test(host) ? `http://${host}` : 'http://localhost';
  return path.startsWith('/') ? origin + path : new URL(path, origin).href;
}

const HOST = /^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> | null {
  return req.method === 'GET' || req.method === 'HEAD' ? null : (Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>);
}

/** The body read from the socket, chunk by chunk; past `limit` it stops reading (the rest is never read). */
function readSocketBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFailure);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.byteLength;
      if (length <= limit) return void chunks.push(chunk);
      finish();
      req.pause();
      resolve('too-large');
    };
    const onEnd = () => {
      finish();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onFailure = (error: unknown) => {
      finish();
      reject(error);
    };
    const onClose = () => {
      if (!req.complete) onFailure(new Error('the client went away before the body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onFailure);
    req.on('close', onClose);
  });
}
