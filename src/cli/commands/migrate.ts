/**
 * `migrate`: creates or upgrades the library's table; `--down` removes it and every entry, after a
 * confirmation.
 * @module
 */
import { createInterface } from 'node:readline/promises';
import { describeTarget } from '../database.js';
import { UsageError } from '../errors.js';
import { interactive, print, say, type Io } from '../io.js';
import type { Command } from './command.js';

export const migrate: Command = {
  name: 'migrate',
  summary: 'create or upgrade the extension_storage table (--down removes it)',
  usage: 'migrate --db <url> [--down [--yes]]',
  description: [
    'Applies the pending migrations, under a lock: safe to run from several processes, and a no-op when',
    'the table is up to date. A missing SQLite file is created.',
    '',
    'With --down, undoes every migration: drops the extension_storage table, with every entry in it, and',
    'the migrations ledger. It asks for confirmation on a terminal; --yes skips the question, and without',
    'a terminal --yes is required.',
  ].join('\n'),
  options: {
    down: { type: 'boolean', description: 'remove the table and every entry in it' },
    yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation (--down)' },
  },
  async run({ args, io, target, open }) {
    const down = args.values.down === true;
    if (down && args.values.yes !== true) {
      if (!interactive(io)) throw new UsageError('migrate --down deletes every entry and there is no terminal to confirm on: pass --yes');
      if (!(await confirm(io, `This removes the extension_storage table and every entry in it from ${describeTarget(target)}.\nType "yes" to continue: `))) {
        say(io, 'migrate --down: not confirmed; nothing was changed');
        return 1;
      }
    }
    const session = await open({ create: !down });
    try {
      if (down) {
        await session.storage.migrateDown();
        print(io, `migrate --down: removed the extension_storage table and its migrations from ${describeTarget(target)}`);
      } else {
        await session.storage.migrate();
        print(io, `migrate: ${describeTarget(target)} is up to date`);
      }
      return 0;
    } finally {
      await session.close();
    }
  },
};

async function confirm(io: Io, question: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return (await prompt.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}
