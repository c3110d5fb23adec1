/**
 * The connections of a MySQL transaction: the one the transaction runs on, lent to every statement of
 * its view. Same shape as `client.ts`'s `Connections`, so the dialect's statements run unchanged inside
 * a transaction; nested transactions are savepoints.
 * @module
 */
import type { Connection } from 'mysql2/promise';
import type { Connections } from './client.js';

/**
 * The connections of a view inside the transaction open on `connection`. An operation of several
 * statements (an upsert and its read-back) simply joins the open transaction: a savepoint per
 * operation would break when a batch issues several at once on the one connection (releasing the
 * first savepoint releases the ones opened after it).
 */
export function inTransaction(connection: Connection): Connections {
  return Object.freeze({
    client: connection,
    // The transaction already has the connection to itself: nothing to wait for.
    turn: <T>(body: () => Promise<T>) => body(),
    alone: <T>(body: (connection: Connection, broken: () => void) => Promise<T>) => body(connection, () => undefined),
    transaction: <T>(body: (connection: Connection) => Promise<T>) => body(connection),
  });
}

let savepoints = 0;

/** Runs `body` in a savepoint of the transaction open on `connection`: a nested transaction. */
export async function savepoint<T>(connection: Connection, body: (connection: Connection) => Promise<T>): Promise<T> {
  const name = `extension_storage_${++savepoints}`;
  await connection.query(`SAVEPOINT ${name}`);
  try {
    const result = await body(connection);
    await connection.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    // After a deadlock the server has rolled the whole transaction back, savepoint included.
    await connection.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
    throw error;
  }
}

/** ER_LOCK_DEADLOCK: the server rolled the whole transaction back (a deadlock, or a Galera conflict). */
const ROLLED_BACK = 1213;

/**
 * `connection` for the statements of one transaction: sent one at a time in call order, and none once
 * the server has rolled the transaction back (error 1213). A batch issues its statements together, and
 * mysql2 sends each queued one after the last answer: after a deadlock they ran outside any transaction
 * and committed on their own, so a `setMany` that failed left some of its entries written (found by a
 * tryout: 12 of 50 keys with 12 batches racing). Each later statement now fails as the conflict it is.
 */
export function guarded(connection: Connection): Connection {
  let turn: Promise<unknown> = Promise.resolve();
  let rolledBack: unknown;
  const send =
    (method: 'execute' | 'query') =>
    (...args: unknown[]): Promise<unknown> => {
      const result = turn
        .then(() => {
          if (rolledBack !== undefined) {
            throw Object.assign(new Error('the transaction was rolled back by an earlier deadlock; this statement was not sent'), {
              errno: ROLLED_BACK,
              code: 'ER_LOCK_DEADLOCK',
            });
          }
          return (connection[method] as (...a: unknown[]) => Promise<unknown>)(...args);
        })
        .catch((error: unknown) => {
          if ((error as { errno?: unknown } | null)?.errno === ROLLED_BACK) rolledBack ??= error;
          throw error;
        });
      turn = result.catch(() => undefined);
      return result;
    };
  const overrides: Record<PropertyKey, unknown> = { execute: send('execute'), query: send('query') };
  return new Proxy(connection, {
    get(target, property) {
      if (property in overrides) return overrides[property];
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
