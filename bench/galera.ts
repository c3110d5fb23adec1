/**
 * Section `galera`: get and 1 KiB upsert through a three-node MariaDB Galera cluster (the library's calls
 * spread round-robin over the nodes, as in the conformance suite) beside the same on one MariaDB server,
 * sequentially and with 16 concurrent callers; what the causal wait costs a read (the same SELECT
 * round-robin with and without `wsrep_sync_wait`); and how often 16 concurrent writers of one key meet a
 * certification conflict, which the dialect retries.
 * @module
 */
import mysql2, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { ExtensionStorage } from '../src/index.js';
import { mysql } from '../src/dialects/mysql/index.js';
import { createTempDatabase } from '../test/setup/databases.js';
import { clusterPools } from '../test/galera/cluster.js';
import type { MeasureOptions } from './harness.js';
import { measureOperations, OP, type Store } from './operations.js';
import { describeMeasure, printComparison, printSkipped, printTable, reasonOf } from './report.js';
import { server } from './servers.js';
import { EXTENSION_ID, keyNames, values } from './workload.js';

/** Options of the section. */
export interface GaleraBenchOptions {
  readonly rows: number;
  readonly measure: Partial<MeasureOptions>;
}

const CONNECTIONS = 16;
const WRITERS = 16;
const CONFLICT_MS = 3000;
const GET = 'SELECT id, `key`, value, version FROM extension_storage WHERE extension_id = ? AND user_id = ? AND resource_type = ? AND resource_id = ? AND `key` = ?';
const NOT_HERE = 'measured in the other sections';

/** Certification failures and brute-force aborts, summed over the nodes: each one an aborted write. */
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

/** Runs the section, or prints why it cannot. */
export async function runGaleraBench(options: GaleraBenchOptions): Promise<void> {
  const [cluster, single] = await Promise.all([server('galera'), server('mysql')]);
  if ('skipped' in cluster) return printSkipped('galera', cluster.skipped);
  if ('skipped' in single) return printSkipped('galera', `no single MariaDB server to compare with: ${single.skipped}`);
  let nodes: Awaited<ReturnType<typeof clusterPools>>;
  let database: Awaited<ReturnType<typeof createTempDatabase>>;
  try {
    nodes = await clusterPools(cluster.url.split(','), CONNECTIONS);
    database = await createTempDatabase(single.url);
  } catch (error) {
    return printSkipped('galera', `cannot create the temporary databases (${reasonOf(error)})`);
  }
  const pool = mysql2.createPool({ uri: database.url, connectionLimit: CONNECTIONS });
  try {
    const keys = keyNames(options.rows);
    const { plain } = values();
    const onCluster = new ExtensionStorage({ dialect: mysql(nodes.roundRobin) });
    const onServer = new ExtensionStorage({ dialect: mysql(pool) });
    const seed = async (storage: ExtensionStorage) => {
      await storage.migrate();
      const scope = storage.extension(EXTENSION_ID).global;
      for (let from = 0; from < keys.length; from += 64) {
        await Promise.all(keys.slice(from, from + 64).map((key) => scope.set(key, plain[0]!)));
      }
      return scope;
    };
    const [clusterScope, serverScope] = await Promise.all([seed(onCluster), seed(onServer)]);
    const rawGet = (prefix: string) => (key: string) => nodes.roundRobin.execute(prefix + GET, [Buffer.from(EXTENSION_ID), '', '', '', Buffer.from(key)]);

    const stores: Store[] = [
      { name: 'one MariaDB server', get: (key) => serverScope.get(key), upsert: (key, variant) => serverScope.set(key, plain[variant]!), missing: NOT_HERE },
      {
        name: 'Galera, 3 nodes round-robin',
        get: (key) => clusterScope.get(key),
        upsert: (key, variant) => clusterScope.set(key, plain[variant]!),
        missing: NOT_HERE,
      },
      { name: 'raw SELECT, round-robin', get: rawGet(''), missing: 'reads only' },
      { name: 'raw SELECT, round-robin, causal', get: rawGet('SET STATEMENT wsrep_sync_wait=15 FOR '), missing: 'reads only' },
    ];
    for (const concurrency of [1, CONNECTIONS]) {
      const measure = { ...options.measure, concurrency };
      const results = (await measureOperations(stores, keys, measure)).filter((r) => r.operation === OP.get || r.operation === OP.upsert);
      printComparison(`galera vs one server · ${keys.length.toLocaleString('en-US')} keys · ${describeMeasure(measure)}`, results, [
        `each side: a mysql2 pool of ${CONNECTIONS} connections per server (three on the cluster, the library's calls spread round-robin).`,
        'On Galera every statement of the library waits for causality (SET STATEMENT wsrep_sync_wait=15 FOR …), and the',
        '  upsert is INSERT … ON DUPLICATE KEY UPDATE + SELECT in a transaction (one RETURNING statement on the single server).',
        'The two raw rows: the same point SELECT spread round-robin over the nodes, without and with the causal wait',
        '  (wsrep_sync_wait): what causality costs a read.',
      ]);
    }

    // 16 writers of one key, through the three nodes, for a few seconds.
    const scope = onCluster.extension(EXTENSION_ID).global;
    await scope.set('contended', plain[0]!);
    const before = await conflicts(nodes.nodes);
    let writes = 0;
    const until = Date.now() + CONFLICT_MS;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        while (Date.now() < until) {
          await scope.set('contended', plain[writer & 3]!);
          writes++;
        }
      }),
    );
    const aborted = (await conflicts(nodes.nodes)) - before;
    const version = (await scope.get('contended'))?.version ?? 0;
    printTable(
      `galera · ${WRITERS} concurrent writers of one key through 3 nodes · ${CONFLICT_MS / 1000} s`,
      [{ header: 'writes', align: 'right' }, { header: 'writes/s', align: 'right' }, { header: 'conflicts', align: 'right' }, { header: 'retries per write', align: 'right' }],
      [[String(writes), String(Math.round(writes / (CONFLICT_MS / 1000))), String(aborted), (aborted / Math.max(writes, 1)).toFixed(2)]],
      [
        'conflicts: certification failures + brute-force aborts on the three nodes (wsrep_local_cert_failures + wsrep_local_bf_aborts);',
        '  each is a write the dialect ran again. Every write succeeded: the key\'s version went up by exactly the writes.',
      ],
    );
    if (version !== writes + 1) throw new Error(`galera: ${writes} writes of one key, but its version is ${version} (expected ${writes + 1})`);
  } finally {
    await pool.end();
    await database.drop();
    await nodes.close();
  }
}
