/**
 * `import`: reads JSON Lines written by `export` (from a file or stdin) into the database, a batch per
 * transaction, keeping each entry's uuid, version, timestamps, authors and tokens.
 * @module
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ImportConflict } from '../../dialect.js';
import type { ImportResult } from '../../transfer.js';
import { choiceOption, integerOption, stringOption } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { print } from '../io.js';
import { readEntries } from '../jsonl.js';
import { progress } from '../progress.js';
import type { Command } from './command.js';

const CONFLICT_MODES: readonly ImportConflict[] = ['fail', 'skip', 'overwrite'];

export const importCommand: Command = {
  name: 'import',
  summary: 'read entries written by export',
  usage: 'import --db <url> [--in <file>] [--on-conflict fail|skip|overwrite] [--batch-size N]',
  description: [
    'Reads JSON Lines written by export (from --in, or stdin) and writes the entries, each batch in one',
    'transaction, keeping their uuid, version, timestamps, authors and stored values: a Fernet token is',
    'written as it is and opens with the same keys (with the default "scope" key binding the row key',
    'derives from the entry\'s extension, scope and key, which the import keeps, so tokens move between',
    'databases unchanged). Entries exported with --decrypt are encrypted again under the current key.',
    '',
    'An entry whose scoped key or uuid exists already: --on-conflict fail (default) stops there,',
    'skip leaves the existing entry, overwrite replaces it. A conflict under fail, or a line that is not',
    'a valid entry, stops the import at that line: the entries before it are imported, none after.',
    '(Entry N in messages is line N of the file.)',
  ].join('\n'),
  options: {
    in: { type: 'string', short: 'i', value: 'file', description: 'read this file (default stdin)' },
    'on-conflict': { type: 'string', value: 'fail|skip|overwrite', description: 'what to do with an entry that exists (default fail)' },
    'batch-size': { type: 'string', value: 'N', description: 'entries per transaction, 1..10000 (default 500)' },
  },
  async run({ args, io, open }) {
    const file = stringOption(args, 'in');
    const onConflict = choiceOption(args, 'on-conflict', CONFLICT_MODES, 'fail');
    const batchSize = integerOption(args, 'batch-size', 1, 10_000);
    if (file === undefined && io.stdin.isTTY === true) throw new UsageError('import reads JSON Lines from --in <file> or from a pipe on stdin');
    const { input, size } = file === undefined ? { input: io.stdin, size: null } : await openInput(file);
    const session = await open();
    const display = await progress(io, 'import', 'bytes', size);
    let read = 0;
    let result: ImportResult;
    try {
      result = await session.storage.importEntries(
        readEntries(input, (bytes) => display.update((read += bytes))),
        batchSize === undefined ? { onConflict } : { onConflict, batchSize },
      );
    } finally {
      display.stop();
      input.destroy();
      await session.close();
    }
    print(io, `inserted ${result.inserted}, replaced ${result.replaced}, skipped ${result.skipped}`);
    return 0;
  },
};

async function openInput(file: string): Promise<{ input: Readable; size: number }> {
  try {
    const { size } = await stat(file);
    return { input: createReadStream(file), size };
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as { code?: string }).code ?? String(error)}`);
  }
}
