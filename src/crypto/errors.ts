/**
 * The one error every rejected Fernet token raises. Its message is fixed, so a caller (or an
 * attacker watching responses) cannot tell a bad MAC from bad padding, an expired token or bad base64.
 * @module
 */
import { ExtensionStorageError } from '../errors.js';

const MESSAGE = 'Invalid Fernet token';

/**
 * A token was rejected: malformed, tampered with, under another key, expired or from the future.
 * @example
 * try { fernet.decrypt(token, { ttl: 3600 }); }
 * catch (e) { if (e instanceof InvalidTokenError) return null; throw e; }
 */
export class InvalidTokenError extends ExtensionStorageError {
  constructor() {
    super('INVALID_TOKEN', MESSAGE);
  }
}
