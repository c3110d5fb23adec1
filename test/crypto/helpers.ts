/**
 * Shared helpers of the Fernet tests: the backend list, vector time conversion, the "rejected as an
 * invalid token" assertion, and the bridge to Python's `cryptography` (one python3 process per batch).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { InvalidTokenError } from '../../src/crypto/index.js';

export const BACKENDS = ['native', 'portable'] as const;

/** Unix seconds of an RFC 3339 time from the spec vectors. */
export const unixSeconds = (rfc3339: string): number => Date.parse(rfc3339) / 1000;

export const randomBytes = (length: number): Uint8Array => new Uint8Array(nodeRandomBytes(length));

/** Padded url-safe base64 of raw token bytes, computed independently of the code under test. */
export const tokenText = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString('base64url') + '='.repeat((3 - (bytes.length % 3)) % 3);

/** Standard base64 (for the JSON bridge to Python). */
export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const fromB64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** Asserts that `fn` throws the one opaque `InvalidTokenError`, and nothing else. */
export function expectInvalidToken(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidTokenError);
  expect((thrown as InvalidTokenError).code).toBe('INVALID_TOKEN');
  expect((thrown as InvalidTokenError).message).toBe('Invalid Fernet token');
}

/** One request to the Python oracle (see python-oracle.py). */
export type PythonRequest =
  | { op: 'encrypt'; key: string; data: string; now: number; iv?: string }
  | { op: 'decrypt'; keys: string[]; token: string; ttl?: number; now?: number }
  | { op: 'rotate'; keys: string[]; token: string }
  | { op: 'timestamp'; keys: string[]; token: string }
  | { op: 'derive'; secret: string };

export type PythonResult = { ok: string | number } | { invalid: true };

const ORACLE = fileURLToPath(new URL('./python-oracle.py', import.meta.url));

/**
 * Runs `requests` through Python's `cryptography` in one python3 process. Fails loudly (never
 * skips) when python3 or the `cryptography` package is missing: these tests must run in CI.
 */
export function runPython(requests: PythonRequest[]): PythonResult[] {
  const python = process.env.PYTHON ?? 'python3';
  const result = spawnSync(python, [ORACLE], {
    input: JSON.stringify(requests),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (result.error || result.status !== 0) {
    throw new Error(
      `The Fernet interop tests need ${python} with the "cryptography" package (pip install cryptography); ` +
        `running it failed: ${result.error?.message ?? result.stderr}`,
    );
  }
  const results = JSON.parse(result.stdout) as PythonResult[];
  expect(results).toHaveLength(requests.length);
  return results;
}

/** The value of a successful oracle result; fails the test on `invalid`. */
export function ok(result: PythonResult | undefined): string | number {
  if (!result || !('ok' in result)) throw new Error(`Python rejected a token: ${JSON.stringify(result)}`);
  return result.ok;
}

/**
 * Asserts equal bytes. Large arrays are compared natively (vitest's deep equality takes seconds on
 * 1 MiB); on a mismatch the first differing offset is reported.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, label = ''): void {
  expect(actual, label).toBeInstanceOf(Uint8Array);
  expect(actual.length, `${label} length`).toBe(expected.length);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  if (!a.equals(b)) {
    const at = a.findIndex((byte, i) => byte !== b[i]);
    expect.fail(`${label}: bytes differ first at offset ${at}`);
  }
}

/**
 * Collects oracle requests while a test file sets up, then runs them all in one python3 process:
 * `const answer = batch.ask(request)` before `batch.run()`, `answer()` after.
 */
export class PythonBatch {
  readonly #requests: PythonRequest[] = [];
  #results: PythonResult[] | undefined;

  ask(request: PythonRequest): () => PythonResult {
    const index = this.#requests.push(request) - 1;
    return () => {
      if (!this.#results) throw new Error('PythonBatch.run() has not run');
      return this.#results[index]!;
    };
  }

  run(): void {
    this.#results = runPython(this.#requests);
  }
}
