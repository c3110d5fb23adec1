/**
 * Picks the crypto backend: `auto` takes native (node:crypto) when the runtime has it, else portable.
 * Each backend is built once, on first use.
 * @module
 */
import { ValidationError } from '../errors.js';
import type { BackendChoice, CryptoBackend } from './backend.js';
import { createNativeBackend, findNodeCrypto } from './native.js';
import { portableBackend } from './portable.js';
import { describeType } from './validate.js';

let native: CryptoBackend | null | undefined; // undefined: not looked for yet; null: unavailable

/** The native backend, or `undefined` when this runtime has no `node:crypto`. */
export function nativeBackend(): CryptoBackend | undefined {
  if (native === undefined) {
    const crypto = findNodeCrypto();
    native = crypto ? createNativeBackend(crypto) : null;
  }
  return native ?? undefined;
}

/**
 * The backend for `choice`: `'auto'` (default), `'native'` or `'portable'`.
 * @example
 * resolveBackend('portable').hkdf(ikm, salt, info, 32);
 */
export function resolveBackend(choice: BackendChoice = 'auto'): CryptoBackend {
  switch (choice) {
    case 'auto':
      return nativeBackend() ?? portableBackend;
    case 'portable':
      return portableBackend;
    case 'native': {
      const backend = nativeBackend();
      if (!backend) {
        throw new ValidationError(
          '"backend" "native" needs node:crypto (process.getBuiltinModule), which this runtime lacks',
        );
      }
      return backend;
    }
    default: {
      // Never the value itself: a secret put in the wrong option would end up in logs.
      throw new ValidationError(`"backend" expected "auto", "native" or "portable", got ${describeType(choice)}`);
    }
  }
}
