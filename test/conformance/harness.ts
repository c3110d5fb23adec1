/**
 * What the conformance suite needs from each dialect under test: a migrated, empty database and a way
 * to empty it again between tests.
 */
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
