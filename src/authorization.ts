/**
 * Authorization: the host's optional hook, asked before every operation of a scope handle with what is
 * about to happen. Without a hook, everything a handle can address is allowed: the user scope is always
 * the caller's own, whatever the hook says, and a handle never reaches another extension.
 * @module
 */
import type { Scope } from './dialect.js';
import { ForbiddenError } from './errors.js';

/** What an operation does: reads values, writes them, deletes entries, or lists or counts them. */
export type StorageAction = 'read' | 'write' | 'delete' | 'list';

/** The kind of scope an operation addresses. */
export type ScopeKind = 'global' | 'user' | 'resource';

/**
 * One operation, as the hook sees it. `key` is absent for `list` (and `count`); `userId` is the caller's
 * user when one is known (always, in the user scope); `resource` is set in the resource scope.
 */
export interface AuthorizationRequest {
  readonly action: StorageAction;
  readonly scope: ScopeKind;
  readonly extensionId: string;
  readonly key?: string;
  readonly userId?: string;
  readonly resource?: { readonly type: string; readonly id: string };
}

/**
 * The host's decision, sync or async: `true` allows; anything else (false, undefined, a thrown error)
 * refuses with `FORBIDDEN`, so a hook that fails never opens access.
 * @example
 * authorize: ({ action, scope, resource, userId }) =>
 *   scope !== 'resource' || permissions.can(userId, action === 'read' || action === 'list' ? 'can_read' : 'can_write', resource)
 */
export type Authorize = (request: AuthorizationRequest) => boolean | Promise<boolean>;

/** The kind of a scope, from which of its columns are set. */
export function scopeKind(scope: Scope): ScopeKind {
  return scope.resourceType !== '' ? 'resource' : scope.userId !== '' ? 'user' : 'global';
}

/** The request the hook is asked about, for one operation on `scope` by `userId`. */
export function authorizationRequest(action: StorageAction, scope: Scope, userId: string | null, key?: string): AuthorizationRequest {
  const kind = scopeKind(scope);
  return {
    action,
    scope: kind,
    extensionId: scope.extensionId,
    ...(key === undefined ? {} : { key }),
    ...(userId === null ? {} : { userId }),
    ...(kind === 'resource' ? { resource: { type: scope.resourceType, id: scope.resourceId } } : {}),
  };
}

/**
 * Asks the hook; throws `ForbiddenError` unless it answers `true`. A synchronous answer is judged at
 * once (`undefined` returned, nothing to await), so an operation with a synchronous hook still runs its
 * statements when called, as a SQLite host's synchronous transaction needs; an asynchronous one is
 * judged by the promise returned.
 */
export function checkAuthorized(hook: Authorize, request: AuthorizationRequest): Promise<void> | undefined {
  const refused = (error: unknown) => new ForbiddenError(`the authorize hook failed for ${describe(request)}: access is refused`, { cause: error });
  const judge = (answer: unknown) => {
    if (answer !== true) throw new ForbiddenError(`${describe(request)} is not allowed`);
  };
  let answer: unknown;
  try {
    answer = hook(request);
  } catch (error) {
    throw refused(error);
  }
  if (typeof (answer as PromiseLike<unknown> | null)?.then !== 'function') {
    judge(answer);
    return undefined;
  }
  return Promise.resolve(answer).then(judge, (error: unknown) => {
    throw refused(error);
  });
}

/** `"write" of the resource scope of "acme.ext"`: the operation, never a key or value. */
function describe(request: AuthorizationRequest): string {
  return `"${request.action}" in the ${request.scope} scope of "${request.extensionId}"`;
}
