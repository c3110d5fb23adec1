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
