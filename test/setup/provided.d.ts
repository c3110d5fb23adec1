// Values handed from the vitest globalSetup (test/setup/servers.ts) to tests.
// Read them with `inject('pgUrl')` / `inject('mysqlUrl')` from 'vitest'.
// `undefined` means "no such server available here: skip those tests".
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://user@127.0.0.1:port/extstore_test, or undefined when no PostgreSQL is available. */
    pgUrl?: string;
    /** mysql://user:pass@127.0.0.1:port/extstore_test, or undefined when no MariaDB/MySQL is available. */
    mysqlUrl?: string;
  }
}
