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
import { ConflictError, DatabaseError, ValidationError } from '../../errors.js';
import { insideTransaction, refuseInsideTransaction } from '../shared/own-transaction.js';

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
    while (this.#gate !== null) {
      refuseInsideTransaction(this.raw, 'sqlite', 'transaction');
      await this.#gate;
    }
    if (this.raw.inTransaction) return this.savepoint(body);
    let open!: () => void;
    this.#gate = new Promise((resolve) => (open = resolve));
    try {
      await begin(() => this.raw.exec('BEGIN IMMEDIATE'));
      let result: T;
      try {
        result = await insideTransaction(this.raw, body);
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
      this.#stack.length = 0;
      this.#gate = null;
      open();
    }
  }

  /**
   * Runs `body` in a savepoint of the open transaction. When a statement of the synchronous part of
   * `body` failed (or its condition did not hold), the savepoint is rolled back before this returns:
   * a host's synchronous transaction (Drizzle's on better-sqlite3) may commit before the promise settles.
   * Savepoints nest as a stack on the connection; where operations run beside each other (a host's view,
   * whose operations start when called) one may end while another opened after it is still open: see `#end`.
   */
  async savepoint<T>(body: () => Promise<T>): Promise<T> {
    if (!this.raw.inTransaction) throw new ValidationError('sqlite: transaction: the transaction it belongs to has ended; nothing was written');
    const savepoint: Savepoint = { name: `extension_storage_${++this.#savepoints}`, state: 'open' };
    this.raw.exec(`SAVEPOINT ${savepoint.name}`);
    this.#stack.push(savepoint);
    const failuresBefore = this.failures;
    let pending: Promise<T>;
    try {
      pending = body();
    } catch (error) {
      this.#end(savepoint, false);
      throw error;
    }
    if (this.failures !== failuresBefore) this.#end(savepoint, false);
    let result: T;
    try {
      result = await pending;
    } catch (error) {
      this.#end(savepoint, false);
      throw error;
    }
    this.#end(savepoint, true);
    return result;
  }

  /** The savepoints open on the connection, innermost last. */
  #stack: Savepoint[] = [];

  /**
   * Ends `savepoint`, keeping or undoing its writes. Rolling it back also undoes the savepoints opened
   * after it: those still open are marked, and their end fails (`CONFLICT`, retryable) instead of
   * reporting writes that are gone. A kept one with others still open above it is released once they
   * have ended (releasing it now would release them too, and they could no longer roll back alone).
   */
  #end(savepoint: Savepoint, keep: boolean): void {
    if (savepoint.state === 'done') return;
    if (!this.raw.inTransaction) {
      // The host ended its transaction meanwhile: every savepoint went with it.
      this.#stack.length = 0;
      savepoint.state = 'done';
      return;
    }
    if (savepoint.state === 'undone') {
      savepoint.state = 'done';
      if (!keep) return;
      throw new ConflictError(
        'sqlite: transaction: a savepoint opened before this one, by an operation beside it, was rolled back and undid its writes; nothing of it was written',
        { currentVersion: null, retryable: true },
      );
    }
    const depth = this.#stack.indexOf(savepoint);
    savepoint.state = 'done';
    if (!keep) {
      for (const above of this.#stack.splice(depth)) if (above.state === 'open') above.state = 'undone';
      this.#exec(`ROLLBACK TO ${savepoint.name}`);
      this.#exec(`RELEASE ${savepoint.name}`);
    }
    for (let top = this.#stack.at(-1); top?.state === 'done'; top = this.#stack.at(-1)) {
      this.#stack.pop();
      this.#exec(`RELEASE ${top.name}`);
    }
  }

  /** Ends a savepoint; a failure (say, another transaction began on the connection meanwhile) is typed. */
  #exec(statement: string): void {
    try {
      this.raw.exec(statement);
    } catch (error) {
      this.#stack.length = 0;
      throw this.wrap('transaction', error);
    }
  }
}

/** One savepoint of the connection: `undone` when one opened before it was rolled back meanwhile. */
interface Savepoint {
  readonly name: string;
  state: 'open' | 'done' | 'undone';
}
