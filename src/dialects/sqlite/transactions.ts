/**
 * Transactions on SQLite's one connection. better-sqlite3 runs every statement synchronously on the
 * connection the host shares with the library, so a transaction is a state of the connection, not a
 * connection of its own:
 * - the library's own transaction (`BEGIN IMMEDIATE`, taking the write lock at once) holds a gate
 *   that the library's other operations wait behind, so none of them slips into it meanwhile;
 * - nested ones, and those inside a transaction the host opened, are savepoints;
 * - a statement of a transaction's view runs at call time, and only while the connection still has a
 *   transaction open (never on its own, after the host has committed).
 * @module
 */
import type { Database } from 'better-sqlite3';
import { DatabaseError, ValidationError } from '../../errors.js';

/** How a view of the dialect runs its statements: `body` is called synchronously when nothing waits. */
export type Runner = <T>(operation: string, body: () => T) => Promise<T>;

/** The transaction state of one SQLite connection, shared by every view of one dialect instance. */
export class SqliteConnectionState {
  /** Settled when the library's own transaction ends; `null` when none is open. */
  #gate: Promise<void> | null = null;
  #savepoints = 0;
  /**
   * Statements of a transaction's views that failed or whose condition did not hold. A savepoint
   * compares it before and after the synchronous part of its body: see `savepoint`.
   */
  failures = 0;

  /** `wrap` turns a driver error into the library's (`DATABASE`, `NOT_MIGRATED`). */
  constructor(
    readonly raw: Database,
    private readonly wrap: (operation: string, error: unknown) => Error,
  ) {}

  /** Whether the library's own transaction is open: the library's other operations wait for `idle()`. */
  get locked(): boolean {
    return this.#gate !== null;
  }

  /** Settles when the library's own transaction has ended (check `locked` again: another may have begun). */
  idle(): Promise<void> {
    return this.#gate ?? Promise.resolve();
  }

  /** Runs a statement of a transaction's view: now, and only inside the open transaction. */
  readonly inTransaction: Runner = async (operation, body) => {
    if (!this.raw.inTransaction) {
      throw new ValidationError(`sqlite: ${operation}: the transaction it belongs to has ended; nothing was written`);
    }
    try {
      return body();
    } catch (error) {
      this.failures++;
      throw this.wrap(operation, error);
    }
  };

  /**
   * The library's own transaction: waits for the gate, takes it, and runs `body` between `BEGIN
   * IMMEDIATE` (through `begin`, which retries while another process holds the write lock) and
   * `COMMIT`. When a host's transaction is already open on the connection, joins it as a savepoint.
   */
  async transaction<T>(begin: (statement: () => void) => Promise<void>, body: () => Promise<T>): Promise<T> {
    while (this.#gate !== null) await this.#gate;
    if (this.raw.inTransaction) return this.savepoint(body);
    let open!: () => void;
    this.#gate = new Promise((resolve) => (open = resolve));
    try {
      await begin(() => this.raw.exec('BEGIN IMMEDIATE'));
      let result: T;
      try {
        result = await body();
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw error;
      }
      try {
        this.raw.exec('COMMIT');
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw new DatabaseError('sqlite: commit failed', error);
      }
      return result;
    } finally {
      this.#gate = null;
      open();
    }
  }

  /**
   * Runs `body` in a savepoint of the open transaction. When a statement of the synchronous part of
   * `body` failed (or its condition did not hold), the savepoint is rolled back before this returns:
   * a host's synchronous transaction (Drizzle's on better-sqlite3) may commit before the promise settles.
   */
  async savepoint<T>(body: () => Promise<T>): Promise<T> {
    if (!this.raw.inTransaction) throw new ValidationError('sqlite: transaction: the transaction it belongs to has ended; nothing was written');
    const name = `extension_storage_${++this.#savepoints}`;
    this.raw.exec(`SAVEPOINT ${name}`);
    let open = true;
    const end = (keep: boolean) => {
      if (!open) return;
      open = false;
      if (!this.raw.inTransaction) return; // the host ended its transaction meanwhile
      if (!keep) this.raw.exec(`ROLLBACK TO ${name}`);
      this.raw.exec(`RELEASE ${name}`);
    };
    const failuresBefore = this.failures;
    let pending: Promise<T>;
    try {
      pending = body();
    } catch (error) {
      end(false);
      throw error;
    }
    if (this.failures !== failuresBefore) end(false);
    try {
      const result = await pending;
      end(true);
      return result;
    } catch (error) {
      end(false);
      throw error;
    }
  }
}
