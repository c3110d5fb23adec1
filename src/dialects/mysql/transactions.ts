/**
 * The connections of a MySQL transaction: the one the transaction runs on, lent to every statement of
 * its view, with nested transactions as savepoints. Same shape as `client.ts`'s `Connections`, so the
 * dialect's statements run unchanged inside a transaction.
 * @module
 */
import type { Connection } from 'mysql2/promise';
import type { Connections } from './client.js';

/** The connections of a view inside the transaction open on `connection`. */
export function inTransaction(connection: Connection): Connections {
  let savepoints = 0;
  return Object.freeze({
    client: connection,
    // The transaction already has the connection to itself: nothing to wait for.
    turn: <T>(body: () => Promise<T>) => body(),
    alone: <T>(body: (connection: Connection, broken: () => void) => Promise<T>) => body(connection, () => undefined),
    transaction: async <T>(body: (connection: Connection) => Promise<T>) => {
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
    },
  });
}
