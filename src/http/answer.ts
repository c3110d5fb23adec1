/**
 * Answers before they are `Response`s: status, headers and a body of bytes or text. The handler builds
 * these and turns them into a `Response`; the `node:http` adapter writes them as they are when the
 * handler offers them (through `ANSWER`), which spares a `Response` and its body stream per request.
 * @module
 */

/** An answer: header names are lowercase. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string | null;
}

/** Where a storage handler keeps the function that answers with an `Answer` instead of a `Response`. */
export const ANSWER: unique symbol = Symbol('extension-storage/http answer');

/** A handler that also answers with `Answer`s, for an adapter that writes them itself. */
export interface AnsweringHandler {
  readonly [ANSWER]?: (request: Request) => Promise<Answer | null>;
}

/**
 * Where a request from the `node:http` adapter keeps a reader of its body straight from the socket,
 * `(limit) => bytes | 'too-large'`, which spares the web stream per request; it stops reading past `limit`.
 */
export const READ_BODY: unique symbol = Symbol('extension-storage/http read body');

/** A request that may offer such a reader. */
export interface BodyReadingRequest {
  readonly [READ_BODY]?: (limit: number) => Promise<Uint8Array | 'too-large'>;
}

export function toResponse(answer: Answer): Response {
  return new Response(answer.body as ConstructorParameters<typeof Response>[0], { status: answer.status, headers: answer.headers });
}
