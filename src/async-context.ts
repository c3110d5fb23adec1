/**
 * `AsyncLocalStorage` where the runtime has it (Node, Bun, Deno), fetched at run time and never
 * imported, so that bundles for other runtimes load without it; `undefined` elsewhere.
 * @module
 */
import type { AsyncLocalStorage } from 'node:async_hooks';

export function asyncContext<T>(): AsyncLocalStorage<T> | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const hooks = process?.getBuiltinModule?.('node:async_hooks') as typeof import('node:async_hooks') | undefined;
    return hooks === undefined ? undefined : new hooks.AsyncLocalStorage<T>();
  } catch {
    return undefined;
  }
}
