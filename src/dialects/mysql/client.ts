/**
 * The host's mysql2 client as the MySQL dialect uses it. Single statements run wherever the client
 * runs them; a transaction or a named lock needs one connection to itself: a pool lends one, and a
 * lone connection is shared by turns (each operation waits for the one before it, so no statement
 * can slip into another operation's transaction).
 * @module
 */
import type { Connection, Pool, PoolConnection } from 'mysql2/promise';

/** The connections of one dialect instance. */
export interface Connections {
  /** The pool or connection Drizzle's prepared statements run on. */
  readonly client: Pool | Connection;
  /** Runs an operation: on a pool at once, on a lone connection after the operations before it. */
  turn<T>(body: () => Promise<T>): Promise<T>;
  /**
   * Runs `body` on a connection nothing else uses meanwhile. Call inside `turn`. `broken()` says the
   * connection's session state is unknown: a pool connection is then closed instead of returned.
   */
  alone<T>(body: (connection: Connection, broken: () => void) => Promise<T>): Promise<T>;
  /** Runs `body` in a transaction of its own, committed when it resolves, rolled back when it throws. */
  transaction<T>(body: (connection: Connection) => Promise<T>): Promise<T>;
}

function isPool(client: Pool | Connection): client is Pool {
  return typeof (client as Partial<Pool>).getConnection === 'function';
}

/** The connections over a mysql2 promise pool or connection. */
export function connections(client: Pool | Connection): Connections {
  let tail: Promise<unknown> = Promise.resolve();
  const turn = isPool(client)
    ? <T>(body: () => Promise<T>) => body()
    : <T>(body: () => Promise<T>) => {
        const result = tail.then(body);
        tail = result.catch(() => undefined);
        return result;
      };

  /** Lends `body` a connection; `broken()` retires a pool connection whose state is unknown. */
  async function lend<T>(body: (connection: Connection, broken: () => void) => Promise<T>): Promise<T> {
    if (!isPool(client)) return body(client, () => undefined);
    const connection: PoolConnection = await client.getConnection();
    let healthy = true;
    try {
      return await body(connection, () => {
        healthy = false;
      });
    } finally {
      if (healthy) connection.release();
      else connection.destroy();
    }
  }

  return Object.freeze({
    client,
    turn,
    alone: lend,
    transaction: <T>(body: (connection: Connection) => Promise<T>) =>
      lend(async (connection, broken) => {
        await connection.beginTransaction();
        try {
          const result = await body(connection);
          await connection.commit();
          return result;
        } catch (error) {
          // A failed ROLLBACK leaves the transaction open: never hand that connection out again.
          await connection.rollback().catch(broken);
          throw error;
        }
      }),
  });
}

/** The connection options of a mysql2 client that change what a statement returns, as the library reads them. */
export interface ClientConfig {
  readonly typeCast?: unknown;
  readonly rowsAsArray?: unknown;
  readonly nestTables?: unknown;
  readonly dateStrings?: unknown;
  readonly timezone?: unknown;
}

/** The options under a mysql2 promise pool or connection (its callback-API object's), or `undefined` where they cannot be seen. */
export function clientConfig(client: Pool | Connection): ClientConfig | undefined {
  const inner = client as { pool?: { config?: { connectionConfig?: ClientConfig } }; connection?: { config?: ClientConfig } };
  return inner.pool?.config?.connectionConfig ?? inner.connection?.config;
}

type Execute = (options: unknown, values: unknown) => Promise<unknown>;
type CallbackExecute = (options: unknown, values: unknown, done: (error: unknown, rows?: unknown, fields?: unknown) => void) => void;

/**
 * `execute` of a mysql2 promise pool or connection, run on the callback-API object under it (its `pool`
 * or `connection`), answering as the promise API does (`[rows, fields]`). The promise wrapper captures
 * the call site's stack on every call (`trace`, on by default) for its error messages; the library
 * wraps every error itself, and the capture cost ~12 µs of CPU per statement (measured on MariaDB 10.11,
 * 16 callers: 48 µs → 37 µs per `get`). Anything else runs its own `execute`.
 */
export function callbackExecute(target: Pool | Connection): Execute {
  const { pool, connection } = target as unknown as { pool?: { execute?: unknown }; connection?: { execute?: unknown } };
  const inner = typeof pool?.execute === 'function' ? pool : typeof connection?.execute === 'function' ? connection : undefined;
  if (inner === undefined) return (options, values) => (target.execute as Execute)(options, values);
  const run = (inner.execute as CallbackExecute).bind(inner);
  return (options, values) =>
    new Promise((resolve, reject) => run(options, values, (error, rows, fields) => (error ? reject(error) : resolve([rows, fields]))));
}
