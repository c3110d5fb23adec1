/**
 * The export format: JSON Lines, one entry per line, the value in base64 (standard alphabet) and the
 * timestamps in ISO 8601 (UTC, milliseconds). An encrypted entry's value is its Fernet token's ASCII
 * bytes unless `"decrypted": true`.
 *
 *   {"extensionId":"acme.ext","userId":"42","resourceType":null,"resourceId":null,"key":"prefs",
 *    "uuid":"…","valueType":"application/json","category":null,"description":null,"encrypted":false,
 *    "version":3,"size":17,"createdAt":"2026-…Z","updatedAt":"2026-…Z","createdBy":"42",
 *    "updatedBy":"42","expiresAt":null,"value":"eyJ0aGVtZSI6ImRhcmsifQ=="}
 * @module
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ExportedEntry } from '../transfer.js';
import { CliError } from './errors.js';

/** One entry as one line, newline included. */
export function entryLine(entry: ExportedEntry): string {
  return `${JSON.stringify({
    extensionId: entry.extensionId,
    userId: entry.userId,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    key: entry.key,
    uuid: entry.uuid,
    valueType: entry.valueType,
    category: entry.category,
    description: entry.description,
    encrypted: entry.encrypted,
    ...(entry.decrypted === true ? { decrypted: true } : {}),
    version: entry.version,
    size: entry.size,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
    createdBy: entry.createdBy,
    updatedBy: entry.updatedBy,
    expiresAt: entry.expiresAt ? entry.expiresAt.toISOString() : null,
    value: Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength).toString('base64'),
  })}\n`;
}

// A flat character class and the length checked apart: a pattern of repeated groups overflows the
// regular expression engine's stack on a value of a few MB (a 16 MiB value is a 22 MB line).
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (text: string): boolean => text.length % 4 === 0 && BASE64.test(text);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/**
 * The entries of a JSON Lines stream, read a line at a time (the stream pauses while the consumer
 * works). `onLine` hears each line's length in bytes, for progress.
 * @throws CliError naming the line of a line that is not an entry (fields are checked by the import itself).
 */
export async function* readEntries(input: Readable, onLine?: (bytes: number) => void): AsyncGenerator<ExportedEntry> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const line of lines) {
      number++;
      onLine?.(Buffer.byteLength(line) + 1);
      yield parseEntry(line, number);
    }
  } finally {
    lines.close();
  }
}

function parseEntry(line: string, number: number): ExportedEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new CliError(`line ${number}: not JSON${line.trim() === '' ? ' (an empty line)' : ''}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`line ${number}: expected a JSON object`);
  const fields = parsed as Record<string, unknown>;
  const value = fields.value;
  if (typeof value !== 'string' || !isBase64(value)) throw new CliError(`line ${number}: "value" expected base64`);
  const date = (name: string): Date => {
    const text = fields[name];
    if (typeof text !== 'string' || !ISO_DATE.test(text) || Number.isNaN(Date.parse(text))) {
      throw new CliError(`line ${number}: "${name}" expected an ISO 8601 UTC timestamp`);
    }
    return new Date(text);
  };
  const bytes = Buffer.from(value, 'base64');
  return {
    ...(fields as unknown as ExportedEntry),
    createdAt: date('createdAt'),
    updatedAt: date('updatedAt'),
    expiresAt: fields.expiresAt === null || fields.expiresAt === undefined ? null : date('expiresAt'),
    value: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  };
}
