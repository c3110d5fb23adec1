/**
 * Extension handles: one extension's view of the storage, with its three kinds of scope.
 * @module
 */
import type { Scope, UsageRecord } from './dialect.js';
import { UnauthenticatedError } from './errors.js';
import { queuedHandle, type OperationQueue } from './operation-queue.js';
import { ScopeHandle, type StorageContext } from './scope.js';
import type { User } from './types.js';
import * as validate from './validation.js';

/** Where a handle finds the caller's user: given once, or asked for at every operation. */
export type UserSource = User | (() => User | undefined | null) | undefined | null;

/**
 * One extension's storage. Cheap to create (no I/O): hosts make one per request.
 * @example
 * const ext = storage.extension('acme.my-ext', { user: { id: 42 } });
 * await ext.user.set('prefs', 'compact');
 * await ext.resource('dashboard', dashboardUuid).set('state', bytes);
 */
export class ExtensionHandle {
  /** The validated extension id. */
  readonly id: string;
  /** Entries shared by all users of the host. */
  readonly global: ScopeHandle;
  /** Entries private to the caller's user; operations fail with `UNAUTHENTICATED` when there is none. */
  readonly user: ScopeHandle;
  readonly #context: StorageContext;
  readonly #currentUserId: () => string | null;
  /** A transaction view's queue, which every operation of this handle's scopes goes through; else `undefined`. */
  readonly #queue: OperationQueue | undefined;

  /** @internal Use `storage.extension(id, options)`. */
  constructor(context: StorageContext, extensionId: string, user: UserSource, queue?: OperationQueue) {
    this.id = validate.extensionId(extensionId);
    this.#context = context;
    this.#currentUserId = userResolver(user);
    this.#queue = queue;
    const id = this.id;
    const currentUserId = this.#currentUserId;
    const global: Scope = { extensionId: id, userId: '', resourceType: '', resourceId: '' };
    this.global = this.#queued(new ScopeHandle(context, () => ({ scope: global, userId: currentUserId() })));
    this.user = this.#queued(
      new ScopeHandle(context, () => {
        const userId = currentUserId();
        if (userId === null) {
          throw new UnauthenticatedError(`"user" is required for the user scope of "${id}", and none was given`);
        }
        return { scope: { extensionId: id, userId, resourceType: '', resourceId: '' }, userId };
      }),
    );
  }

  /** What this extension stores in all scopes: `{ bytes, keys }` (see `storage.usage`). */
  usage(): Promise<UsageRecord> {
    const { dialect } = this.#context;
    return this.#queue === undefined ? dialect.usage(this.id) : this.#queue.run(() => dialect.usage(this.id));
  }

  /**
   * Entries attached to one host object, e.g. a dashboard. `type` is `[a-z][a-z0-9_-]*` (≤ 64); `id` is
   * 1..255 characters or a safe integer, and UUIDs are lowercased.
   */
  resource(type: string, id: string | number): ScopeHandle {
    const scope: Scope = {
      extensionId: this.id,
      userId: '',
      resourceType: validate.resourceType(type),
      resourceId: validate.resourceId(id),
    };
    const currentUserId = this.#currentUserId;
    return this.#queued(new ScopeHandle(this.#context, () => ({ scope, userId: currentUserId() })));
  }

  #queued(handle: ScopeHandle): ScopeHandle {
    return this.#queue === undefined ? handle : queuedHandle(handle, this.#queue);
  }
}

/** Validates a fixed user once; a user function is called (and validated) at every operation. */
function userResolver(source: UserSource): () => string | null {
  if (typeof source === 'function') {
    return () => {
      let user: User | undefined | null;
      try {
        user = source();
      } catch (error) {
        throw new UnauthenticatedError('the storage\'s "user" function threw, so the caller\'s user is unknown', { cause: error });
      }
      return user === undefined || user === null ? null : validate.userId(user.id);
    };
  }
  const fixed = source === undefined || source === null ? null : validate.userId(source.id);
  return () => fixed;
}
