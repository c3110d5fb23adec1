/** The export format's reader on values of every size the library stores. */
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { entryLine, readEntries } from '../../src/cli/jsonl.js';
import type { ExportedEntry } from '../../src/index.js';

it('a line holding a value of the largest size (16 MiB - 1) reads back, and bad base64 is refused by line', async () => {
  const value = new Uint8Array(16 * 1024 * 1024 - 1).fill(7);
  const entry: ExportedEntry = {
    extensionId: 'acme.big',
    userId: null,
    resourceType: null,
    resourceId: null,
    key: 'big',
    uuid: '00000000-0000-4000-8000-000000000000',
    valueType: 'application/octet-stream',
    category: null,
    description: null,
    encrypted: false,
    version: 1,
    size: value.byteLength,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    createdBy: null,
    updatedBy: null,
    expiresAt: null,
    value,
  };
  const read: ExportedEntry[] = [];
  for await (const parsed of readEntries(Readable.from([entryLine(entry)]))) read.push(parsed);
  expect(read).toHaveLength(1);
  expect(Buffer.from(read[0]!.value).equals(Buffer.from(value))).toBe(true);
  for (const bad of ['QUFB=', 'QU=B', 'QUFB!A==']) {
    const line = entryLine(entry).replace(/"value":"[^"]*"/, `"value":"${bad}"`);
    await expect(readEntries(Readable.from([line])).next()).rejects.toThrow('line 1: "value" expected base64');
  }
});
