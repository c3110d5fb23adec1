/**
 * The conformance suite: every behavioural test of the library, run unchanged against every dialect.
 * A dialect file calls `conformance(factory)`; the cases live in the files imported below.
 */
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { ExtensionStorage, type Dialect, type ExtensionStorageOptions } from '../../src/index.js';
import { coreCases } from './core.cases.js';
import { encryptionCases } from './encryption.cases.js';
import { expiryCases } from './expiry.cases.js';
import { integrityCases } from './integrity.cases.js';
import type { DialectFactory, Harness, HostTransaction } from './harness.js';
import { migrationCases } from './migration.cases.js';
import { modelCases } from './model.cases.js';
import { authorizationCases } from './authorization.cases.js';
import { lifecycleCases } from './lifecycle.cases.js';
import { orderingCases } from './ordering.cases.js';
import { transferCases } from './transfer.cases.js';
import { writesCases } from './writes.cases.js';

/** What the case files get: the dialect under test and a way to build storages over it. */
export interface SuiteContext {
  readonly name: string;
  dialect(): Dialect;
  /** Names of the tables in the database under test. */
  tables(): Promise<string[]>;
  /** Runs one SQL statement of the test's own (no parameters) on the database under test; its rows. */
  query(statement: string): Promise<Record<string, unknown>[]>;
  /** The ways a host opens its own transaction on the database under test. */
  hosts(): Readonly<Record<string, HostTransaction>>;
  /** Another dialect over the same database on connections of its own, or `null`. */
  peer: Harness['peer'];
  storage(options?: Omit<ExtensionStorageOptions, 'dialect'>): ExtensionStorage;
  /** `it`, unless the dialect declared it skips this test (then `it.skip`, with the reason in the name). */
  readonly test: (name: string, body: () => Promise<void>, timeout?: number) => void;
}

export function conformance(factory: DialectFactory): void {
  const unavailable = factory.unavailable?.() ?? null;
  describe.skipIf(unavailable !== null)(`conformance: ${factory.name}`, () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await factory.open();
      await harness.dialect.migrate();
    }, 120_000);
    afterAll(async () => {
      await harness?.close();
    });
    beforeEach(async () => {
      await harness.clear();
    });

    const context: SuiteContext = {
      name: factory.name,
      dialect: () => harness.dialect,
      tables: () => harness.tables(),
      query: (statement) => harness.query(statement),
      hosts: () => harness.hosts,
      peer: () => harness.peer(),
      storage: (options = {}) => new ExtensionStorage({ ...options, dialect: harness.dialect }),
      test: (name, body, timeout) => {
        const reason = factory.skips?.[name];
        if (reason) it.skip(`${name} (skipped on ${factory.name}: ${reason})`, body);
        else it(name, body, timeout);
      },
    };
    coreCases(context);
    orderingCases(context);
    encryptionCases(context);
    integrityCases(context);
    modelCases(context);
    writesCases(context);
    migrationCases(context);
    lifecycleCases(context);
    expiryCases(context);
    authorizationCases(context);
    transferCases(context);
  });
  if (unavailable !== null) {
    console.warn(`!!! conformance: ${factory.name} skipped: ${unavailable}`);
  }
}
