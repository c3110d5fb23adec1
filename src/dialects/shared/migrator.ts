/**
 * Applies and reverts the embedded migrations, recording them in the library's own ledger table
 * (`extension_storage_migrations`), never in a host's `__drizzle_migrations`. Dialects provide the
 * statements and the lock; the order and bookkeeping live here once.
 * @module
 */
import type { Migration } from '../../dialect.js';
import { sanitizeDriverError } from '../../driver-error.js';
import { ExtensionStorageError } from '../../errors.js';

/** The name of the library's migrations table on every dialect. */
export const LEDGER_TABLE = 'extension_storage_migrations';

/** What the migrator needs from a dialect, inside its migration lock. */
export interface MigrationSession {
  /** Creates the ledger table when it does not exist. */
  createLedger(): Promise<void>;
  appliedTags(): Promise<string[]>;
  execute(statement: string): Promise<void>;
  record(tag: string): Promise<void>;
  forget(tag: string): Promise<void>;
  dropLedger(): Promise<void>;
}

/** Applies, in order, every migration the ledger does not list. */
export async function applyMigrations(dialect: string, session: MigrationSession, migrations: readonly Migration[]): Promise<void> {
  await session.createLedger();
  const applied = new Set(await session.appliedTags());
  for (const migration of migrations) {
    if (applied.has(migration.tag)) continue;
    await step(dialect, migration.tag, 'apply', async () => {
      for (const statement of migration.up) await session.execute(statement);
      await session.record(migration.tag);
    });
  }
}

/** Reverts, newest first, every applied migration, then drops the ledger. */
export async function revertMigrations(dialect: string, session: MigrationSession, migrations: readonly Migration[]): Promise<void> {
  await session.createLedger();
  const applied = new Set(await session.appliedTags());
  for (const migration of [...migrations].reverse()) {
    if (!applied.has(migration.tag)) continue;
    await step(dialect, migration.tag, 'revert', async () => {
      for (const statement of migration.down) await session.execute(statement);
      await session.forget(migration.tag);
    });
  }
  await session.dropLedger();
}

async function step(dialect: string, tag: string, verb: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    throw new ExtensionStorageError('MIGRATION', `${dialect}: could not ${verb} migration ${tag}`, { cause: sanitizeDriverError(error) });
  }
}
