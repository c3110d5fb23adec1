/**
 * What the conformance suite needs from each dialect under test: a migrated, empty database and a way
 * to empty it again between tests.
 */
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { Dialect } from '../../src/index.js';

/** One open database under test. */
export interface Harness {
  readonly dialect: Dialect;
  /** Deletes every row of the library's table. */
  clear(): Promise<void>;
  /** Names of the tables in the database under test. */
  tables(): Promise<string[]>;
  /** Runs one SQL statement of the test's own (no parameters) on the database under test; its rows. */
  query(statement: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
  /**
   * The ways a host opens a transaction of its own on this database, by name. Each runs `body` with
   * the handle `withTransaction` takes, then commits, or rolls back when `rollback` is set. On SQLite
   * (synchronous transactions) `body` is called synchronously and its promise is not awaited inside.
   * Resolves with what `body`'s promise settled to (a rejection as `{ error }`).
   */
  readonly hosts: Readonly<Record<string, HostTransaction>>;
  /** Another dialect over the same database on connections of its own, or `null` when there is one connection. */
  peer(): Promise<{ dialect: Dialect; close(): Promise<void> } | null>;
}

/** Runs `body` inside a transaction the host opened. */
export type HostTransaction = (body: (hostTx: unknown) => Promise<unknown>, rollback: boolean) => Promise<unknown>;

/** Thrown inside a host's transaction to roll it back. */
export const ROLLBACK = new Error('host rollback');

/** A host transaction of an async driver: `begin(fn)` runs `fn` in a transaction and rolls back when it throws. */
export function asyncHost(begin: (fn: (tx: unknown) => Promise<void>) => Promise<unknown>): HostTransaction {
  return async (body, rollback) => {
    let outcome: unknown;
    try {
      await begin(async (tx) => {
        outcome = await body(tx).catch((error: unknown) => ({ error }));
        if (rollback) throw ROLLBACK;
      });
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
    return outcome;
  };
}

/** How to get a database of one dialect, and what it cannot do. */
export interface DialectFactory {
  readonly name: string;
  /** A reason this dialect cannot run here (no server), or null. */
  unavailable?(): string | null;
  /** A fresh database with nothing of the library's in it (not migrated). */
  open(): Promise<Harness>;
  /** Test names this dialect skips, each with the reason. */
  readonly skips?: Readonly<Record<string, string>>;
}

/**
 * Drizzle's better-sqlite3 transaction: synchronous, so `body` runs inside it without being awaited
 * (the library runs each operation's statements at call time); its promise is awaited after the commit.
 */
export function sqliteHost(db: BetterSQLite3Database<Record<string, never>>): HostTransaction {
  return async (body, rollback) => {
    let pending: Promise<unknown> | undefined;
    try {
      db.transaction((tx) => {
        pending = body(tx).catch((error: unknown) => ({ error }));
        if (rollback) throw ROLLBACK;
      });
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
    return pending;
  };
}
