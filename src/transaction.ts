/**
 * Storage views bound to a transaction: the one `storage.transaction` opens, or the host's own
 * (`storage.withTransaction`). A view has the `extension()` API of the storage; every statement of its
 * handles runs inside the transaction.
 * @module
 */
import { ConflictError, ValidationError } from './errors.js';
import { ExtensionHandle, type UserSource } from './extension.js';
import { EXTENSION_OPTIONS, TRANSACTION_OPTIONS } from './option-names.js';
import { backoff, retries as retryCount } from './retry.js';
import type { StorageContext } from './scope.js';
import type { ExtensionOptions } from './storage.js';
import type { TransactionOptions } from './types.js';
import * as validate from './validation.js';

/**
 * The storage inside one transaction. Obtain it from `storage.transaction(fn)` or
 * `storage.withTransaction(hostTx)`; use it only while that transaction is open.
 */
export class TransactionStorage {
  readonly #context: StorageContext;
  readonly #user: UserSource;

  /** @internal */
  constructor(context: StorageContext, user: UserSource) {
    this.#context = context;
    this.#user = user;
  }

  /** The handle of one extension, its statements inside this transaction. See `ExtensionStorage.extension`. */
  extension(extensionId: string, options?: ExtensionOptions): ExtensionHandle {
    const { user } = validate.options('options', options, EXTENSION_OPTIONS);
    return new ExtensionHandle(this.#context, extensionId, user === undefined ? this.#user : user);
  }

  /** A nested transaction: a savepoint, rolled back alone when `fn` throws. See `ExtensionStorage.transaction`. */
  transaction<T>(fn: (tx: TransactionStorage) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return runTransaction(this.#context, this.#user, fn, options);
  }
}

/**
 * Runs `fn` in a transaction of `context.dialect` (a savepoint when that dialect is already inside
 * one), again up to `retries` times when the database aborted it (`CONFLICT`, `retryable: true`).
 */
export async function runTransaction<T>(
  context: StorageContext,
  user: UserSource,
  fn: (tx: TransactionStorage) => Promise<T>,
  transactionOptions: TransactionOptions | undefined,
): Promise<T> {
  if (typeof fn !== 'function') throw new ValidationError(`"fn" expected a function, got ${typeof fn}`);
  const retries = retryCount(validate.options('options', transactionOptions, TRANSACTION_OPTIONS).retries, 0);
  for (let attempt = 0; ; attempt++) {
    try {
      return await context.dialect.transaction((dialect) =>
        fn(new TransactionStorage({ ...context, dialect, transactional: true }, user)),
      );
    } catch (error) {
      if (!(error instanceof ConflictError && error.retryable) || attempt >= retries) throw error;
    }
    await backoff(attempt);
  }
}
