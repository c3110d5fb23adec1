/**
 * The `node:http` adapter: turns an `IncomingMessage` into a web `Request` whose body streams from the
 * socket (so a handler that stops reading stops the upload), and writes the `Response` back with
 * backpressure. A client that goes away aborts the request's `signal`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** A handler that answers a request, or `null` when the request is not its own. */
export type FetchHandler = (request: Request) => Promise<Response | null>;

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
  return (req, res, next) => {
    serve(handle, req, res, next).catch((error: unknown) => {
      // Only writing the answer can fail here (the handler answers its own errors): end the exchange.
      if (next) next(error);
      else res.destroy(error instanceof Error ? error : undefined);
    });
  };
}

async function serve(handle: FetchHandler, req: IncomingMessage, res: ServerResponse, next: ((error?: unknown) => void) | undefined): Promise<void> {
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const request = toRequest(req, abort.signal);
  const response = await handle(request);
  if (response === null) {
    if (next) return next();
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end(JSON.stringify({ message: 'not found', code: 'NOT_FOUND' }));
    return;
  }
  if (res.destroyed) return;
  await writeResponse(response, req, res, abort.signal);
}

/** Express and Connect strip a mount path from `req.url`; `originalUrl` keeps it. */
function pathOf(req: IncomingMessage): string {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  let url: URL;
  try {
    url = new URL(pathOf(req), `http://${req.headers.host ?? 'localhost'}`);
  } catch {
    url = new URL(pathOf(req), 'http://localhost');
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers, signal });
  const body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
  return new Request(url, { method, headers, body, signal, duplex: 'half' } as RequestInit);
}

async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  // A request whose body was left unread (a 413, a refusal before reading) ends its connection: the
  // rest of the upload is never read.
  if (!req.complete) res.setHeader('connection', 'close');
  if (response.body === null || req.method === 'HEAD') {
    res.end();
    return;
  }
  const reader = (response.body as unknown as NodeReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res, signal);
      if (signal.aborted) return;
    }
    res.end();
  } finally {
    if (signal.aborted) await reader.cancel().catch(() => undefined);
  }
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done);
  });
}
