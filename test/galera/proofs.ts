/**
 * What the Galera cluster adds to the conformance suite: concurrency through several nodes, causal
 * reads across nodes, host processes on different nodes, concurrent migrations, and the loss of a node.
 * Called from test/conformance/galera.test.ts so that they run after the suite, one at a time: the
 * node-loss test stops a node the others would be using.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql2, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtensionStorage, ExtensionStorageError } from '../../src/index.js';
import { mysql } from '../../src/dialects/mysql/index.js';
import { galeraAware } from '../../src/dialects/mysql/galera.js';
import { migrations } from '../../src/dialects/mysql/migrations.js';
import type { GaleraNode } from '../setup/servers.js';
import { galeraSynced } from '../setup/servers.js';
import { clusterPools, roundRobin, type ClusterPools } from './cluster.js';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');

/** Certification failures and brute-force aborts, summed over the nodes (the server's own counters). */
async function conflicts(pools: readonly Pool[]): Promise<number> {
  let total = 0;
  for (const pool of pools) {
    const [rows] = await pool.query<RowDataPacket[]>(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')",
    );
    for (const row of rows) total += Number(row.Value);
  }
  return total;
}

/** Waits until the node of `pool` sees a cluster of `size` nodes. */
async function galeraSize(pool: Pool, size: number): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const [rows] = await pool.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'");
    if (Number(rows[0]?.Value) === size) return;
  }
  throw new Error(`the cluster did not reach ${size} nodes`);
}

/** A query on one node that first waits until the node applied everything committed before it. */
async function causal(pool: Pool, statement: string, values?: unknown[]): Promise<RowDataPacket[]> {
  const [rows] = await pool.query<RowDataPacket[]>(`SET STATEMENT wsrep_sync_wait=15 FOR ${statement}`, values);
  return rows;
}

/** Figures for the report, printed once the tests ran. */
const figures: string[] = [];
const note = (line: string) => figures.push(line);

export function galeraProofs(nodes: readonly GaleraNode[] | undefined, mysqlUrl: string | undefined): void {
  describe.skipIf(!nodes)('galera: three nodes', () => {
    let cluster: ClusterPools;
    let storage: ExtensionStorage;
    beforeAll(async () => {
      cluster = await clusterPools(nodes!.map((node) => node.url), 16);
      storage = new ExtensionStorage({ dialect: mysql(cluster.roundRobin) });
      await storage.migrate();
    }, 60_000);
    afterAll(async () => {
      await cluster?.close();
      if (figures.length) process.stderr.write(`\n[galera figures]\n${figures.join('\n')}\n`);
    });

    it.skipIf(!mysqlUrl)('a Galera node is detected as one, a single MariaDB server is not', async () => {
      expect(await galeraAware(cluster.nodes[1]!).isGalera()).toBe(true);
      const single = mysql2.createPool({ uri: mysqlUrl!, connectionLimit: 1 });
      try {
        expect(await galeraAware(single).isGalera()).toBe(false);
      } finally {
        await single.end();
      }
    });

    it('64 concurrent sets of one new key through three nodes leave exactly one row', async () => {
      for (let round = 0; round < 6; round++) {
        // Fresh connections each round: every statement is prepared anew inside the transactions, where a
        // node once lost a brute-force abort and its COMMIT then answered OK (about 1 round in 10).
        const pools = cluster.urls.map((uri) => mysql2.createPool({ uri, connectionLimit: 16 }));
        const scope = new ExtensionStorage({ dialect: mysql(roundRobin(pools)) }).extension('acme.race').global;
        const key = `new-${round}`;
        const before = await conflicts(cluster.nodes);
        const t0 = performance.now();
        const written = await Promise.all(Array.from({ length: 64 }, (_, i) => scope.set(key, `writer ${i}`))).finally(() =>
          Promise.all(pools.map((pool) => pool.end())),
        );
        const ms = performance.now() - t0;
        // each set that resolved was applied once, and read back its own write
        expect(written.map((entry) => entry.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
        const rows = await causal(cluster.nodes[round % 3]!, 'SELECT COUNT(*) AS n, MAX(version) AS version FROM extension_storage WHERE `key` = ?', [
          Buffer.from(key),
        ]);
        expect(Number(rows[0]!.n)).toBe(1);
        expect(Number(rows[0]!.version)).toBe(64);
        note(`64 sets of one new key: ${ms.toFixed(0)} ms, ${(await conflicts(cluster.nodes)) - before} certification conflicts`);
      }
    });

    it('200 concurrent increments and 200 concurrent updates of one key through three nodes end at exactly 200 each', async () => {
      // A storage per node, the calls dealt to them in turn: every node writes the one row at once.
      const scopes = cluster.nodes.map((pool) => new ExtensionStorage({ dialect: mysql(pool) }).extension('acme.counters').global);
      let before = await conflicts(cluster.nodes);
      let t0 = performance.now();
      const sums = await Promise.all(Array.from({ length: 200 }, (_, i) => scopes[i % 3]!.increment('hits')));
      let ms = performance.now() - t0;
      // each increment was applied once: the values returned are 1..200, each once
      expect([...sums].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      for (const pool of cluster.nodes) {
        const rows = await causal(pool, 'SELECT value FROM extension_storage WHERE `key` = ?', [Buffer.from('hits')]);
        expect(Buffer.from(rows[0]!.value as Uint8Array).toString()).toBe('200');
      }
      note(`200 increments of one key through three nodes: ${ms.toFixed(0)} ms, ${(await conflicts(cluster.nodes)) - before} certification conflicts`);

      before = await conflicts(cluster.nodes);
      const calls = Array.from({ length: 200 }, () => 0); // fn calls per update: attempts
      t0 = performance.now();
      const written = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          scopes[i % 3]!.updateJSON<{ n: number }>(
            'stats',
            (current) => {
              calls[i]!++;
              return { n: (current?.n ?? 0) + 1 };
            },
            { retries: 100 },
          ),
        ),
      );
      ms = performance.now() - t0;
      expect(written.map((value) => value.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      for (const scope of scopes) {
        expect(await scope.getJSON('stats')).toEqual({ n: 200 });
        expect((await scope.get('stats'))?.version).toBe(200);
      }
      note(
        `200 updates of one key through three nodes: ${ms.toFixed(0)} ms, ${calls.reduce((a, b) => a + b) - 200} compare-and-set retries ` +
          `(at most ${Math.max(...calls) - 1} for one call, of the 100 allowed), ` +
          `${(await conflicts(cluster.nodes)) - before} certification conflicts`,
      );
    }, 120_000);

    it('32 concurrent writers of one extension through three nodes never exceed its quota, and usage equals a recount', async () => {
      for (let round = 0; round < 3; round++) {
        const extensionId = `acme.quota-${round}`;
        // 100 bytes: room for exactly 10 of the 32 new 10-byte entries.
        const storages = cluster.nodes.map((pool) => new ExtensionStorage({ dialect: mysql(pool), limits: { quotaBytesPerExtension: 100 } }));
        const before = await conflicts(cluster.nodes);
        const t0 = performance.now();
        const outcomes = await Promise.allSettled(
          Array.from({ length: 32 }, (_, i) => storages[i % 3]!.extension(extensionId).global.set(`key-${String(i).padStart(2, '0')}`, 'ten bytes!')),
        );
        const ms = performance.now() - t0;
        const refused = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason as unknown);
        for (const error of refused) {
          expect(error).toBeInstanceOf(ExtensionStorageError);
          expect((error as ExtensionStorageError).code).toBe('QUOTA_EXCEEDED');
        }
        expect(outcomes.length - refused.length).toBe(10);
        for (const [index, pool] of cluster.nodes.entries()) {
          const [recount] = await causal(pool, 'SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS n FROM extension_storage WHERE extension_id = ?', [
            Buffer.from(extensionId),
          ]);
          expect({ bytes: Number(recount!.bytes), keys: Number(recount!.n) }).toEqual({ bytes: 100, keys: 10 });
          expect(await storages[index]!.usage(extensionId)).toEqual({ bytes: 100, keys: 10 });
        }
        note(
          `32 writers of one extension (quota 100 bytes) through three nodes: ${ms.toFixed(0)} ms, ` +
            `${outcomes.length - refused.length} written, ${refused.length} QUOTA_EXCEEDED, ${(await conflicts(cluster.nodes)) - before} certification conflicts`,
        );
      }
    }, 120_000);

    it('a write through node 1 is read at once through node 2, 1,000 times', async () => {
      const on = (pool: Pool) => new ExtensionStorage({ dialect: mysql(pool) }).extension('acme.causal').global;
      const [writer, reader] = [on(cluster.nodes[0]!), on(cluster.nodes[1]!)];
      const misses: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) {
        await writer.set(`key-${i % 10}`, `value ${i}`);
        if ((await reader.getText(`key-${i % 10}`)) !== `value ${i}`) misses.push(i);
      }
      note(`read-your-writes across nodes: 1,000 write+read pairs in ${(performance.now() - t0).toFixed(0)} ms, ${misses.length} stale`);
      expect(misses).toEqual([]);
    }, 60_000);

    it("a host's transaction on node 1 right after a write through node 2 waits for it, and a retried abort loses or repeats nothing, 1,000 times", async () => {
      // Without a causal wait, the host's statement would lock the row before node 1 applied node 2's
      // write of it; the write set, arriving next, brute-force aborts the host's whole transaction
      // (measured: 1 in 300 before the library's statements in a host's transaction waited). A host
      // retries what the cluster aborts, as Galera asks; each increment must then count exactly once.
      const host = cluster.nodes[0]!;
      const writer = new ExtensionStorage({ dialect: mysql(cluster.nodes[1]!) }).extension('acme.host-causal').global;
      const library = new ExtensionStorage({ dialect: mysql(host) });
      const wrong: string[] = [];
      let retried = 0;
      for (let i = 0; i < 1000; i++) {
        await writer.set('counter', String(i));
        for (let attempt = 1; ; attempt++) {
          const connection = await host.getConnection();
          try {
            await connection.beginTransaction();
            const sum = await library.withTransaction(connection).extension('acme.host-causal').global.increment('counter');
            await connection.commit();
            if (sum !== i + 1) wrong.push(`${i}: read ${sum - 1}`);
            break;
          } catch (error) {
            await connection.rollback().catch(() => undefined);
            const abort = error instanceof ExtensionStorageError ? error.code === 'CONFLICT' : (error as { errno?: unknown }).errno === 1213;
            if (!abort || attempt === 5) throw error;
            retried++;
          } finally {
            connection.release();
          }
        }
      }
      note(`host transactions right after another node's write: 1,000, ${retried} aborted by the cluster and run again`);
      expect(wrong).toEqual([]);
      expect(await writer.getText('counter')).toBe('1000');
      expect(retried).toBeLessThan(20);
    }, 120_000);

    it('three host processes, one per node, lose nothing and read what the others wrote', async () => {
      const writers = 3;
      const perWriter = 100;
      const script = join(process.cwd(), 'test', 'dialects', 'mysql-writer.ts');
      const t0 = performance.now();
      const runs = await Promise.all(
        cluster.urls.map((url, index) =>
          promisify(execFile)(tsx, [script, url, String(index), String(writers), String(perWriter)], { timeout: 90_000 }),
        ),
      );
      note(`three processes x ${perWriter} keys on three nodes: ${(performance.now() - t0).toFixed(0)} ms`);
      for (const { stdout } of runs) expect(JSON.parse(stdout)).toEqual({ errors: [] });
      const scope = storage.extension('acme.writers').global;
      expect(await scope.count({ prefix: 'key-' })).toBe(writers * perWriter);
      for (let i = 0; i < writers * perWriter; i++) {
        expect(await scope.getText(`key-${String(i).padStart(6, '0')}`)).toBe(`written by ${i % writers}`);
      }
      expect((await scope.get('shared'))?.version).toBe(writers * perWriter);
    }, 120_000);

    it('migrate() started at once from three processes on three nodes applies each migration once', async () => {
      for (let round = 0; round < 2; round++) {
        const fresh = await clusterPools(nodes!.map((node) => node.url), 1);
        try {
          const script = join(process.cwd(), 'test', 'galera', 'migrate-worker.ts');
          const startAt = Date.now() + 4000; // after the three processes have started
          const runs = await Promise.all(
            fresh.urls.map((url) => promisify(execFile)(tsx, [script, url, String(startAt)], { timeout: 90_000 })),
          );
          const results = runs.map(({ stdout }) => JSON.parse(stdout) as { ms: number; error: string | null });
          note(`concurrent migrate() on three nodes: ${results.map((r) => `${r.ms} ms`).join(', ')}`);
          expect(results.map((r) => r.error)).toEqual([null, null, null]);
          const ledger = await causal(fresh.nodes[2]!, 'SELECT tag FROM extension_storage_migrations');
          expect(ledger.map((row) => row.tag).sort()).toEqual(migrations.map((m) => m.tag)); // each once, none pending
          const lease = await causal(fresh.nodes[1]!, 'SELECT * FROM extension_storage_migration_lock');
          expect(lease).toEqual([]);
        } finally {
          await fresh.close();
        }
      }
    }, 120_000);

    // Last: it stops a node.
    it.skipIf(!nodes?.every((node) => node.process))(
      'a node killed mid-workload: the others go on, nothing committed is lost, the node rejoins',
      async () => {
        const victim = nodes![2]!.process!;
        const scopes = cluster.nodes.map((pool) => new ExtensionStorage({ dialect: mysql(pool) }).extension('acme.loss').global);
        const committed: string[][] = [[], [], []];
        const failures: unknown[][] = [[], [], []];
        let stop = false;
        const writer = async (node: number) => {
          for (let i = 0; !stop; i++) {
            const key = `node${node}-${String(i).padStart(5, '0')}`;
            try {
              await scopes[node]!.set(key, `value ${i}`);
              committed[node]!.push(key);
            } catch (error) {
              failures[node]!.push(error);
              if (node !== 2) throw error;
              await new Promise((resolve) => setTimeout(resolve, 50)); // the lost node: keep knocking
            }
          }
        };
        const writing = Promise.all([0, 1, 2].map(writer));
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const pid = Number(fs.readFileSync(victim.pidFile, 'utf8').trim());
        process.kill(pid, 'SIGKILL');
        const killedAt = Date.now();
        // The survivors' commits wait until the group evicts the silent node (evs.suspect_timeout, 5 s by
        // default); then they go on, two nodes being a majority of three.
        await galeraSize(cluster.nodes[0]!, 2);
        const evictedMs = Date.now() - killedAt;
        const countsAtEviction = committed.map((keys) => keys.length);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const afterKill = committed.map((keys, node) => keys.length - countsAtEviction[node]!);

        // Restart the node as a joiner of the running cluster (it catches up by IST from the others).
        const t0 = Date.now();
        const log = fs.openSync(victim.logFile, 'a');
        const child = spawn(victim.command, victim.args, {
          cwd: victim.cwd,
          uid: victim.uid,
          gid: victim.gid,
          stdio: ['ignore', log, log],
          detached: true,
        });
        child.unref();
        fs.closeSync(log);
        await galeraSynced(nodes![2]!.url, 3, 60_000);
        const rejoinMs = Date.now() - t0;
        stop = true;
        await writing;

        note(
          `node loss: evicted ${evictedMs} ms after the kill; writes on nodes 1 and 2 in the 2 s after: ${afterKill[0]}, ${afterKill[1]}; ` +
            `failed calls on the lost node: ${failures[2]!.length}; rejoined (Synced) ${rejoinMs} ms after restart`,
        );
        expect(failures[0]).toEqual([]);
        expect(failures[1]).toEqual([]);
        expect(afterKill[0]).toBeGreaterThan(10);
        expect(afterKill[1]).toBeGreaterThan(10);
        expect(failures[2]!.length).toBeGreaterThan(0);
        for (const error of failures[2]!) {
          expect(error).toBeInstanceOf(ExtensionStorageError);
          expect((error as ExtensionStorageError).code).toBe('DATABASE');
        }
        // Everything committed anywhere, read back through the node that rejoined.
        const rejoined = scopes[2]!;
        for (const key of committed.flat()) expect(await rejoined.getText(key), key).not.toBeNull();
        expect(await rejoined.count({ prefix: 'node' })).toBeGreaterThanOrEqual(committed.flat().length);
      },
      120_000,
    );
  });
}
