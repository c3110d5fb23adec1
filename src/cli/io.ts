/**
 * Where the CLI reads and writes: results on stdout (what a script pipes on), progress and messages
 * on stderr, so `export > backup.jsonl` and `stats --json | jq` see results only.
 * @module
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

/** The streams and environment of one run. */
export interface Io {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable & { readonly isTTY?: boolean };
  readonly stderr: Writable & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** The process's own streams and environment. */
export function processIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Writes one line of results on stdout. */
export function print(io: Io, line: string): void {
  io.stdout.write(`${line}\n`);
}

/** Writes one line of progress or a message on stderr. */
export function say(io: Io, line: string): void {
  io.stderr.write(`${line}\n`);
}

/** Writes `chunk`, waiting while the stream's buffer is full: a slow reader slows the writer, memory stays bounded. */
export async function write(stream: Writable, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** Whether a person is at the terminal (a prompt can be answered, a bar redrawn). */
export function interactive(io: Io): boolean {
  return io.stdin.isTTY === true && io.stderr.isTTY === true;
}
