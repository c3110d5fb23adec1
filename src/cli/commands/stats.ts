/**
 * `stats`: rows, bytes and encrypted rows per extension and kind of scope, and each extension's quota
 * use, as tables or JSON.
 * @module
 */
import type { ScopeStats } from '../../stats.js';
import { extensionOption } from '../args.js';
import { print } from '../io.js';
import { quotaTable, scopeTable, type QuotaUse } from '../tables.js';
import type { Command } from './command.js';

export const statsCommand: Command = {
  name: 'stats',
  summary: 'rows, bytes, encrypted rows and quota use per extension and scope',
  usage: 'stats --db <url> [--extension <id>] [--json]',
  description: [
    'Counts the entries of every extension (or of one) per kind of scope (global, user, resource): rows,',
    'bytes (the values\' sizes, plaintext for encrypted ones) and encrypted rows, with a total line.',
    'Then each extension\'s quota use: the usage record the database keeps (bytes and keys, expired',
    'entries included until purged) against the quota recorded with it by the application\'s last write',
    '("none": no limit recorded).',
    '--json prints {"scopes": [...], "quotas": [...]} with the same figures (no total), for scripts.',
  ].join('\n'),
  options: {
    extension: { type: 'string', value: 'id', description: 'only this extension' },
    json: { type: 'boolean', description: 'print JSON instead of tables' },
  },
  async run({ args, io, open }) {
    const extensionId = extensionOption(args);
    const session = await open();
    let scopes: ScopeStats[];
    const quotas: QuotaUse[] = [];
    try {
      const { storage } = session;
      scopes = await storage.stats(extensionId === undefined ? {} : { extensionId });
      for (const id of new Set(scopes.map((row) => row.extensionId))) {
        quotas.push({ extensionId: id, usage: await storage.usage(id), quota: await storage.recordedQuota(id) });
      }
    } finally {
      await session.close();
    }
    print(io, args.values.json === true ? JSON.stringify({ scopes, quotas }, null, 2) : `${scopeTable(scopes)}\n${quotaTable(quotas)}`);
    return 0;
  },
};
