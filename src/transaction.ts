/**
 * Storage views bound to a transaction: the one `storage.transaction` opens, or the host's own
 * (`storage.withTransaction`). A view has the `extension()` API of the storage; every statement of its
 * handles runs inside the transaction.
 * @module
 */
import { ConflictError, ValidationError } from './errors.js';
import { ExtensionHandle, type UserSource } from './extension.js';
import { OperationQueue } from './operation-queue.js';
import { EXTENSION_OPTIONS, TRANSACTION_OPTIONS } from './option-names.js';
import { backoff, retries as retryCount } from './retry.js';
import type { StorageContext } from './scope.js';
import type { ExtensionOptions } from './storage.js';
import type { TransactionOptions } from './types.js';
import * as validate from './validation.js';

/**
 * The storage inside one transaction. Obtain it from `storage.transaction(fn)` or
 * `storage.withTransaction(hostTx)`; use it only while that transaction is open. The operations of
 * its handles (and its nested transactions) run one after another in call order, also when called side
 * by side (see the README's Transactions section).
 */
export class TransactionStorage {
  readonly #context: StorageContext;
  readonly #user: UserSource;
  readonly #queue: OperationQueue;

  /** @internal */
  constructor(context: StorageContext, user: UserSource, queue: OperationQueue) {
    this.#context = context;
    this.#user = user;
    this.#queue = queue;
  }

  /** The handle of one extension, its statements inside this transaction. See `ExtensionStorage.extension`. */
  extension(extensionId: string, options?: ExtensionOptions): ExtensionHandle {
    const { user } = validate.options('options', options, EXTENSION_OPTIONS);
    return new ExtensionHandle(this.#context, extensionId, user === undefined ? this.#user : user, this.#queue);
  }

  /**
   * A nested transaction: a savepoint, rolled back alone when `fn` throws. It takes its turn among this
   * view's operations; inside `fn`, use the view it is given. See `ExtensionStorage.transaction`.
   */
  transaction<T>(fn: (tx: TransactionStorage) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.#queue.run(() => runTransaction(this.#context, this.#user, fn, options, this.#queue.atCallTime));
  }
}

/**
 * The queue of each host transaction handle: every view `withTransaction` makes over one handle shares
 * it, so that two views of one transaction still take turns.
 */
const hostQueues = new WeakMap<object, OperationQueue>();

/**
 * The view of a transaction the host opened. On a dialect that `runsAtCallTime` (SQLite) its operations
 * start when called: the host's transaction may be synchronous, and ends when its callback returns.
 */
export function hostView(context: StorageContext, user: UserSource, host: unknown): TransactionStorage {
  const dialect = context.dialect.withTransaction(host);
  const key = host as object;
  let queue = hostQueues.get(key);
  if (queue === undefined) hostQueues.set(key, (queue = new OperationQueue(dialect.runsAtCallTime === true)));
  return new TransactionStorage({ ...context, dialect, transactional: true }, user, queue);
}

/**
 * Runs `fn` in a transaction of `context.dialect` (a savepoint when that dialect is already inside
 * one), again up to `retries` times when the database aborted it (`CONFLICT`, `retryable: true`). The
 * transaction ends once `fn` and the operations it started have settled; operations called on its view
 * after that are refused (`VALIDATION`). `atCallTime`: see `OperationQueue`.
 */
export async function runTransaction<T>(
  context: StorageContext,
  user: UserSource,
  fn: (tx: TransactionStorage) => Promise<T>,
  transactionOptions: TransactionOptions | undefined,
  atCallTime = false,
): Promise<T> {
  if (typeof fn !== 'function') throw new ValidationError(`"fn" expected a function, got ${typeof fn}`);
  const retries = retryCount(validate.options('options', transactionOptions, TRANSACTION_OPTIONS).retries, 0);
  for (let attempt = 0; ; attempt++) {
    try {
      return await context.dialect.transaction((dialect) => {
        const queue = new OperationQueue(atCallTime);
        return settled(queue, () => fn(new TransactionStorage({ ...context, dialect, transactional: true }, user, queue)));
      });
    } catch (error) {
      if (!(error instanceof ConflictError && error.retryable) || attempt >= retries) throw error;
    }
    await backoff(attempt);
  }
}

/**
 * What the callback's promise settles to, once the operations it started have settled too: when it
 * resolved, all of them (they belong to the transaction); when it threw, the one running (those not
 * started are refused: the transaction rolls back). Either way the view is closed before the end.
 */
async function settled<T>(queue: OperationQueue, callback: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await callback();
  } catch (error) {
    await queue.close(false);
    throw error;
  }
  await queue.close(true);
  return result;
}
