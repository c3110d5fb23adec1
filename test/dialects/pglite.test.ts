/**
 * PGlite-specific checks beyond the conformance suite (which runs PGlite through Drizzle): the raw
 * `PGlite` form is accepted, the hot queries use the indexes, and other clients are refused.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { pglite } from '../../src/dialects/pglite/index.js';
import { ExtensionStorage, ExtensionStorageError } from '../../src/index.js';
import { expectIndexed, expectPurgeIndexed, fillTable, hotOperations, plans, StatementRecorder, type RunSql } from './postgres-plans.js';

describe('pglite dialect', () => {
  const clients: PGlite[] = [];
  const open = () => {
    const client = new PGlite();
    clients.push(client);
    return client;
  };
  afterAll(() => Promise.all(clients.map((client) => client.close())));

  it('accepts a raw PGlite instance', async () => {
    const storage = new ExtensionStorage({ dialect: pglite(open()) });
    await storage.migrate();
    await storage.migrate();
    const ext = storage.extension('acme.raw', { user: { id: 7 } });
    await ext.user.set('k', new Uint8Array([0, 255, 1]));
    expect(await ext.user.getValue('k')).toEqual(new Uint8Array([0, 255, 1]));
    expect(await ext.user.count()).toBe(1);
  });

  it('every hot query reads through an index, and listings need no sort', async () => {
    const client = open();
    const recorder = new StatementRecorder();
    // Records what the dialect sends, and otherwise is the client itself.
    const recording = new Proxy(client, {
      get(target, property) {
        if (property === 'query') {
          return (query: string, params?: unknown[], options?: object) => {
            recorder.record(query, params ?? []);
            return target.query(query, params, options);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const storage = new ExtensionStorage({ dialect: pglite(recording) });
    await storage.migrate();
    // without parameters, exec (the simple protocol): PREPARE's own $n must reach the server as text
    const run: RunSql = async (query, params = []) =>
      params.length > 0 ? (await client.query<Record<string, unknown>>(query, [...params])).rows : ((await client.exec(query)).at(-1)?.rows ?? []);
    await fillTable(run);
    recorder.recording = true;
    await hotOperations(storage);
    recorder.recording = false;
    expect(recorder.statements).toHaveLength(12);
    for (const statement of recorder.statements) {
      const { custom, generic } = await plans(run, statement);
      expectIndexed(statement, custom);
      expectIndexed(statement, generic);
    }
    await expectPurgeIndexed(run, recorder, storage);
  });

  it('rejects anything else with a VALIDATION error', () => {
    for (const client of [null, {}, { $client: {} }, { query: () => 1 }]) {
      const error = (() => {
        try {
          pglite(client as never);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ExtensionStorageError);
      expect((error as ExtensionStorageError).code).toBe('VALIDATION');
    }
  });
});
