/**
 * `export`: streams entries as JSON Lines to a file or stdout, a batch at a time, waiting for the
 * output to drain: memory stays at about one batch whatever the table's size.
 * @module
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { extensionOption, integerOption, stringOption } from '../args.js';
import { CliError } from '../errors.js';
import { say, write } from '../io.js';
import { entryLine } from '../jsonl.js';
import { progress } from '../progress.js';
import type { Command } from './command.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write entries as JSON Lines (a backup, or the way to another database)',
  usage: 'export --db <url> [--extension <id>] [--out <file>] [--decrypt] [--batch-size N]',
  description: [
    'Writes every entry (or one extension\'s) as JSON Lines, one entry per line: extension id, scope',
    '(userId, or resourceType and resourceId; all null for global), key, uuid, valueType, category,',
    'description, encrypted, version, size, createdAt/updatedAt (ISO 8601 UTC), createdBy/updatedBy,',
    'and the value in base64. Encrypted values are written as their Fernet tokens: they open wherever',
    'the same keys are configured. --decrypt writes their plaintext instead (marked "decrypted": true;',
    'keep such a file as secret as the keys); import encrypts it again under its own current key.',
    '',
    'Rows are read in primary-key batches; memory stays bounded whatever the table size.',
  ].join('\n'),
  options: {
    extension: { type: 'string', value: 'id', description: "only this extension's entries" },
    out: { type: 'string', short: 'o', value: 'file', description: 'write to this file (default stdout)' },
    decrypt: { type: 'boolean', description: 'write the plaintext of encrypted values (needs the keys)' },
    'batch-size': { type: 'string', value: 'N', description: 'rows per batch, 1..10000 (default 500)' },
  },
  async run({ args, io, open }) {
    const extensionId = extensionOption(args);
    const file = stringOption(args, 'out');
    const decrypt = args.values.decrypt === true;
    const batchSize = integerOption(args, 'batch-size', 1, 10_000);
    const session = await open(decrypt ? { keysNeededFor: 'export --decrypt' } : {});
    try {
      const entries = session.storage.exportEntries({
        ...(extensionId === undefined ? {} : { extensionId }),
        ...(batchSize === undefined ? {} : { batchSize }),
        decrypt,
      });
      const total = (await session.storage.stats(extensionId === undefined ? {} : { extensionId })).reduce((sum, row) => sum + row.rows, 0);
      // A file is written beside its path and renamed once complete: a failed export never leaves a
      // partial file there, nor destroys the backup it was to replace.
      const partial = file === undefined ? undefined : `${file}.partial-${process.pid}`;
      const out = partial === undefined ? io.stdout : await openOutput(partial, file!);
      const display = await progress(io, 'export', 'entries', total);
      let written = 0;
      let complete = false;
      try {
        for await (const entry of entries) {
          await write(out, entryLine(entry));
          display.update(++written);
        }
        complete = true;
      } finally {
        display.stop();
        if (partial !== undefined) {
          out.end();
          try {
            await finished(out);
            if (complete) await rename(partial, file!);
          } finally {
            await rm(partial, { force: true });
          }
        }
      }
      say(io, `export: ${written} entries written to ${file ?? 'stdout'}`);
      return 0;
    } finally {
      await session.close();
    }
  },
};

async function openOutput(path: string, file: string): Promise<Writable> {
  const out = createWriteStream(path);
  try {
    await once(out, 'open');
  } catch (error) {
    throw new CliError(`cannot write ${file}: ${(error as { code?: string }).code ?? String(error)}`);
  }
  return out;
}
