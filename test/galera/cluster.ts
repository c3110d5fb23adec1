/**
 * The library's connections spread over the nodes of the test Galera cluster: a pool per node, and one
 * object with the mysql2 Pool surface the dialect uses (`query`, `execute`, `getConnection`, `escape`)
 * that hands each call to the next node in turn, as a host behind a round-robin balancer would see it.
 */
import mysql2, { type Pool } from 'mysql2/promise';
import { createTempDatabase, type TempDatabase } from '../setup/databases.js';

/** Pools on every node, the round-robin pool over them, and the database they share. */
export interface ClusterPools {
  readonly nodes: readonly Pool[];
  readonly roundRobin: Pool;
  readonly database: TempDatabase;
  /** Each node's URL of the shared database. */
  readonly urls: readonly string[];
  close(): Promise<void>;
}

/** The URL of `database` on the node of `nodeUrl`. */
export function onNode(nodeUrl: string, database: string): string {
  const url = new URL(nodeUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Hands each call to the next of `pools`. */
export function roundRobin(pools: readonly Pool[]): Pool {
  let next = 0;
  const pick = () => pools[next++ % pools.length]!;
  const surface = {
    query: (...args: unknown[]) => (pick().query as (...a: unknown[]) => unknown)(...args),
    execute: (...args: unknown[]) => (pick().execute as (...a: unknown[]) => unknown)(...args),
    getConnection: () => pick().getConnection(),
    escape: (value: unknown) => pools[0]!.escape(value),
    end: async () => {
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
  return surface as unknown as Pool;
}

/** A fresh database (created through node 1, replicated), a pool of `perNode` connections on each node. */
export async function clusterPools(nodeUrls: readonly string[], perNode = 4): Promise<ClusterPools> {
  const database = await createTempDatabase(nodeUrls[0]!);
  const urls = nodeUrls.map((url) => onNode(url, database.name));
  const nodes = urls.map((uri) => mysql2.createPool({ uri, connectionLimit: perNode }));
  return {
    nodes,
    roundRobin: roundRobin(nodes),
    database,
    urls,
    async close() {
      await Promise.all(nodes.map((pool) => pool.end()));
      await database.drop();
    },
  };
}
