/**
 * Applies and reverts the embedded migrations, recording them in the library's own ledger table
 * (`extension_storage_migrations`), never in a host's `__drizzle_migrations`. Dialects provide the
 * statements and the lock; the order and bookkeeping live here once.
 *
 * Where DDL is not transactional (MySQL, MariaDB), a crash can stop a migration between two of its
 * statements. So there a migration is first marked pending in the ledger (`<tag>:pending`), and a
 * pending migration is finished, or undone, with statements whose work is already done counting as
 * done: `migrate()` and `migrateDown()` both complete after a crash at any point.
 * @module
 */
import type { Migration } from '../../dialect.js';
import { ExtensionStorageError } from '../../errors.js';

/** The name of the library's migrations table on every dialect. */
export const LEDGER_TABLE = 'extension_storage_migrations';

/** What the migrator needs from a dialect, inside its migration lock. */
export interface MigrationSession {
  /** Whether a failed migration leaves nothing behind (transactional DDL): then no pending marks. */
  readonly transactional: boolean;
  /**
   * Refuses a database the library cannot serve correctly (encoding, version, …) with an
   * `UNSUPPORTED_DATABASE` error that says what to change.
   */
  checkDatabase(): Promise<void>;
  /** Creates the ledger table when it does not exist. */
  createLedger(): Promise<void>;
  appliedTags(): Promise<string[]>;
  execute(statement: string): Promise<void>;
  /**
   * Whether `error`, from `execute`, says the statement's work is already done (the object it creates
   * exists, the one it drops is gone). Never true where DDL is transactional.
   */
  alreadyDone(error: unknown): boolean;
  record(tag: string): Promise<void>;
  forget(tag: string): Promise<void>;
  dropLedger(): Promise<void>;
}

const pendingTag = (tag: string) => `${tag}:pending`;

/** Checks the database, then applies, in order, every migration the ledger does not list as done. */
export async function applyMigrations(dialect: string, session: MigrationSession, migrations: readonly Migration[]): Promise<void> {
  await session.checkDatabase();
  const applied = await ledger(dialect, session);
  for (const migration of migrations) {
    const { tag } = migration;
    const pending = applied.has(pendingTag(tag));
    if (applied.has(tag) && !pending) continue;
    await step(dialect, tag, 'apply', async () => {
      const marked = await mark(session, tag, pending);
      for (const [index, statement] of migration.up.entries()) {
        try {
          await session.execute(statement);
        } catch (error) {
          if (pending && session.alreadyDone(error)) continue;
          // The first statement found its object there before us (a foreign table by the same name):
          // nothing of this migration happened, so leave no mark that a later run would resume from.
          if (marked && index === 0 && session.alreadyDone(error)) await session.forget(pendingTag(tag));
          throw error;
        }
      }
      if (applied.has(tag)) await session.forget(tag);
      await session.record(tag);
      if (marked || pending) await session.forget(pendingTag(tag));
    });
  }
}

/** Reverts, newest first, every applied or pending migration, then drops the ledger. */
export async function revertMigrations(dialect: string, session: MigrationSession, migrations: readonly Migration[]): Promise<void> {
  const applied = await ledger(dialect, session);
  for (const migration of [...migrations].reverse()) {
    const { tag } = migration;
    const pending = applied.has(pendingTag(tag));
    if (!applied.has(tag) && !pending) continue;
    await step(dialect, tag, 'revert', async () => {
      const marked = await mark(session, tag, pending);
      for (const statement of migration.down) {
        try {
          await session.execute(statement);
        } catch (error) {
          if (!(pending && session.alreadyDone(error))) throw error;
        }
      }
      if (applied.has(tag)) await session.forget(tag);
      if (marked || pending) await session.forget(pendingTag(tag));
    });
  }
  await session.dropLedger();
}

/** Marks `tag` pending where DDL is not transactional; whether a mark was written now. */
async function mark(session: MigrationSession, tag: string, pending: boolean): Promise<boolean> {
  if (session.transactional || pending) return false;
  await session.record(pendingTag(tag));
  return true;
}

/** The ledger's tags, creating the ledger first; a table by that name that is not ours is refused. */
async function ledger(dialect: string, session: MigrationSession): Promise<Set<string>> {
  try {
    await session.createLedger();
    return new Set(await session.appliedTags());
  } catch (error) {
    if (error instanceof ExtensionStorageError) throw error;
    throw new ExtensionStorageError(
      'MIGRATION',
      `${dialect}: could not create or read the migrations table "${LEDGER_TABLE}" (read-only database, missing privileges, ` +
        `or a table of that name that extension-storage did not create: rename it)`,
      { cause: error },
    );
  }
}

async function step(dialect: string, tag: string, verb: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ExtensionStorageError) throw error;
    throw new ExtensionStorageError('MIGRATION', `${dialect}: could not ${verb} migration ${tag}`, { cause: error });
  }
}
