/**
 * The cleanup commands: `purge-extension`, `delete-user`, `delete-resource` and `purge-expired`. Each
 * counts first (the library's stats narrowed to the cleanup's rows): `--dry-run` prints that count and
 * stops; otherwise it is the progress bar's total while the rows go, a batch per statement.
 * @module
 */
import type { CleanupOptions } from '../../cleanup.js';
import { ExtensionStorageError, ValidationError } from '../../errors.js';
import type { StatsOptions } from '../../stats.js';
import type { ExtensionStorage } from '../../storage.js';
import * as validate from '../../validation.js';
import { integerOption, type OptionSpec } from '../args.js';
import { UsageError } from '../errors.js';
import { print, say, type Io } from '../io.js';
import { progress } from '../progress.js';
import { stopOnSignals } from '../signals.js';
import { scopeTable } from '../tables.js';
import type { Command } from './command.js';

/** One cleanup, from the command's arguments (checked before anything connects). */
interface Cleanup {
  /** The entries it removes, in words: `every entry of extension acme.ext`. */
  readonly what: string;
  /** The stats that count them. */
  readonly count: StatsOptions;
  remove(storage: ExtensionStorage, options: CleanupOptions): Promise<number>;
}

interface CleanupSpec {
  readonly name: string;
  readonly summary: string;
  /** The positional arguments, as usage shows them: `<type> <id>`. */
  readonly operands: readonly string[];
  readonly description: string;
  /** @throws ValidationError for a bad argument. */
  cleanup(operands: readonly string[]): Cleanup;
}

const OPTIONS = {
  'dry-run': { type: 'boolean', description: 'print what would be removed, per extension and scope, and change nothing' },
  'batch-size': { type: 'string', value: 'N', description: 'rows deleted per statement, 1..10000 (default 1000)' },
} as const satisfies Record<string, OptionSpec>;

const STOPPING = [
  '',
  'Rows are deleted in batches, each its own statement, so the application keeps running. Ctrl-C',
  '(SIGINT) or SIGTERM stops after the current batch: what was removed stays removed, and running the',
  'command again removes the rest. --dry-run counts the same rows and changes nothing.',
  '',
  'Exit code: 0 when done; 130 / 143 when stopped by SIGINT / SIGTERM.',
].join('\n');

function cleanupCommand(spec: CleanupSpec): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `${[spec.name, ...spec.operands].join(' ')} --db <url> [--dry-run] [--batch-size N]`,
    description: `${spec.description}\n${STOPPING}`,
    options: OPTIONS,
    positionals: spec.operands.length,
    async run({ args, io, open }) {
      if (args.positionals.length < spec.operands.length) {
        throw new UsageError(`expected ${spec.operands.join(' ')} (see extension-storage ${spec.name} --help)`);
      }
      const cleanup = checked(() => spec.cleanup(args.positionals));
      const batchSize = integerOption(args, 'batch-size', 1, 10_000);
      const session = await open();
      try {
        const counts = await session.storage.stats(cleanup.count);
        const total = counts.reduce((sum, row) => sum + row.rows, 0);
        if (args.values['dry-run'] === true) {
          print(io, scopeTable(counts));
          print(io, `dry run: would remove ${total} entries (${cleanup.what}); nothing was changed`);
          return 0;
        }
        return await remove(spec.name, cleanup, total, batchSize, { io, storage: session.storage });
      } finally {
        await session.close();
      }
    },
  };
}

/** Runs the cleanup with progress, stopping between batches at SIGINT or SIGTERM. */
async function remove(
  name: string,
  cleanup: Cleanup,
  total: number,
  batchSize: number | undefined,
  { io, storage }: { io: Io; storage: ExtensionStorage },
): Promise<number> {
  const stopper = stopOnSignals(io, name);
  const display = await progress(io, name, 'entries', total);
  let removed = 0;
  try {
    removed = await cleanup.remove(storage, {
      ...(batchSize === undefined ? {} : { batchSize }),
      signal: stopper.signal,
      onProgress: (done) => display.update((removed = done)),
    });
  } catch (error) {
    const stoppedBy = stopper.stoppedBy();
    if (stoppedBy === undefined || !(error instanceof ExtensionStorageError && error.code === 'ABORTED')) throw error;
    display.stop();
    say(io, `${name}: stopped by ${stoppedBy} after removing ${removed} of ${total} entries (${cleanup.what}). Run ${name} again to remove the rest.`);
    return stopper.exitCode(stoppedBy);
  } finally {
    stopper.release();
  }
  display.stop();
  print(io, `removed ${removed} entries (${cleanup.what})`);
  return 0;
}

/** A bad argument is a usage error (exit code 2), in the library's words. */
function checked<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message);
    throw error;
  }
}

export const purgeExtension = cleanupCommand({
  name: 'purge-extension',
  summary: 'uninstall cleanup: remove every entry of an extension',
  operands: ['<id>'],
  description: [
    'Removes every entry of the extension <id> (publisher.name) in every scope: what to run once an',
    'extension is uninstalled. Exactly that id: purging acme.ext never touches acme.ext2.',
  ].join('\n'),
  cleanup([id]) {
    const extensionId = validate.extensionId(id);
    return {
      what: `every entry of extension ${extensionId}`,
      count: { extensionId },
      remove: (storage, options) => storage.purgeExtension(extensionId, options),
    };
  },
});

export const deleteUser = cleanupCommand({
  name: 'delete-user',
  summary: "remove a deleted user's user-scope entries, of every extension",
  operands: ['<id>'],
  description: [
    "Removes the user-scope entries of user <id> in every extension: what to run once the host deleted",
    'the user. Global and resource entries the user wrote stay.',
  ].join('\n'),
  cleanup([id]) {
    const userId = validate.userId(id, 'userId');
    return {
      what: `user-scope entries of user ${userId}`,
      count: { userId },
      remove: (storage, options) => storage.deleteUser(userId, options),
    };
  },
});

export const deleteResource = cleanupCommand({
  name: 'delete-resource',
  summary: "remove a deleted host object's resource-scope entries, of every extension",
  operands: ['<type>', '<id>'],
  description: [
    'Removes the resource-scope entries of the host object <type> <id> (e.g. dashboard 42) in every',
    'extension: what to run once the host deleted the object. UUIDs match in any case.',
  ].join('\n'),
  cleanup([type, id]) {
    const resourceType = validate.resourceType(type);
    const resourceId = validate.resourceId(id);
    return {
      what: `entries of resource ${resourceType} ${resourceId}`,
      count: { resourceType, resourceId },
      remove: (storage, options) => storage.deleteResource(resourceType, resourceId, options),
    };
  },
});

export const purgeExpired = cleanupCommand({
  name: 'purge-expired',
  summary: 'remove the entries whose expiry has passed',
  operands: [],
  description: [
    'Removes the entries whose expiry has passed (now, by this machine\'s clock), oldest expiry first.',
    'Expired entries are already invisible to the application; this reclaims their space and their',
    'share of the quota.',
  ].join('\n'),
  cleanup: () => ({
    what: 'expired entries',
    count: { expired: true },
    remove: (storage, options) => storage.purgeExpired(options),
  }),
});
