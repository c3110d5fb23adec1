// Values handed from the vitest globalSetup (test/setup/servers.ts) to tests.
// Read them with `inject('pgUrl')` / `inject('mysqlUrl')` / `inject('galeraNodes')` from 'vitest'.
// `undefined` means "no such server available here: skip those tests".
import type { GaleraNode } from './servers';

export type { GaleraNode };

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://user@127.0.0.1:port/extstore_test, or undefined when no PostgreSQL is available. */
    pgUrl?: string;
    /** mysql://user:pass@127.0.0.1:port/extstore_test, or undefined when no MariaDB/MySQL is available. */
    mysqlUrl?: string;
    /** The three nodes of a MariaDB Galera cluster, or undefined when none is available. */
    galeraNodes?: GaleraNode[];
  }
}
