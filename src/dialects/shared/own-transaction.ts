/**
 * Which dialect's library transaction the current code runs inside. An operation of the storage itself,
 * called inside its own transaction's callback instead of through the transaction's handles, waits for
 * that transaction: on one connection (SQLite, PGlite) for the connection, on a pool for the locks the
 * transaction holds (the extension's usage row, a key it wrote), which it keeps until the callback
 * returns: a deadlock the database cannot see. Every dialect refuses it instead, typed.
 * @module
 */
import { asyncContext } from '../../async-context.js';
import { ValidationError } from '../../errors.js';

/** A library transaction of the dialect `connection` stands for; `open` until it has ended. */
interface Frame {
  readonly connection: object;
  open: boolean;
}

const inside = asyncContext<Frame>();

/**
 * Runs `body` marked as inside a library transaction of the dialect `connection` stands for. The mark
 * lifts when `body` settles: a timer or callback it scheduled that runs later is not inside it.
 */
export function insideTransaction<T>(connection: object, body: () => Promise<T>): Promise<T> {
  if (inside === undefined) return body();
  const frame: Frame = { connection, open: true };
  const close = () => {
    frame.open = false;
  };
  const result = inside.run(frame, body);
  result.then(close, close);
  return result;
}

/**
 * Throws `VALIDATION` when the current code runs inside a library transaction on `connection` (where the
 * runtime can tell): the operation would wait for that transaction, which waits for the operation.
 */
export function refuseInsideTransaction(connection: object, name: string, operation: string): void {
  const frame = inside?.getStore();
  if (frame !== undefined && frame.connection === connection && frame.open) {
    throw new ValidationError(
      `${name}: ${operation}: called on the storage itself inside its own transaction, where it would wait for that ` +
        `transaction forever: use the transaction's handles (tx.extension(...), tx.transaction(...)); nothing was done`,
    );
  }
}
