/**
 * `stats`: rows, bytes and encrypted rows per extension and kind of scope, as a table or JSON.
 * @module
 */
import Table from 'cli-table3';
import type { ScopeStats } from '../../stats.js';
import { stringOption } from '../args.js';
import { print } from '../io.js';
import type { Command } from './command.js';

export const statsCommand: Command = {
  name: 'stats',
  summary: 'rows, bytes and encrypted rows per extension and scope',
  usage: 'stats --db <url> [--extension <id>] [--json]',
  description: [
    'Counts the entries of every extension (or of one) per kind of scope (global, user, resource): rows,',
    'bytes (the values\' sizes, plaintext for encrypted ones) and encrypted rows, with a total line.',
    '--json prints the same rows as a JSON array (no total), for scripts.',
  ].join('\n'),
  options: {
    extension: { type: 'string', value: 'id', description: 'only this extension' },
    json: { type: 'boolean', description: 'print JSON instead of a table' },
  },
  async run({ args, io, open }) {
    const extensionId = stringOption(args, 'extension');
    const session = await open();
    let rows: ScopeStats[];
    try {
      rows = await session.storage.stats(extensionId === undefined ? {} : { extensionId });
    } finally {
      await session.close();
    }
    print(io, args.values.json === true ? JSON.stringify(rows, null, 2) : table(rows));
    return 0;
  },
};

function table(rows: readonly ScopeStats[]): string {
  const output = new Table({
    head: ['extension', 'scope', 'rows', 'bytes', 'encrypted rows'],
    colAligns: ['left', 'left', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const row of rows) output.push([row.extensionId, row.scope, row.rows, row.bytes, row.encryptedRows]);
  const sum = (pick: (row: ScopeStats) => number) => rows.reduce((total, row) => total + pick(row), 0);
  output.push(['total', '', sum((row) => row.rows), sum((row) => row.bytes), sum((row) => row.encryptedRows)]);
  return output.toString();
}
