/**
 * The seam between the core and encryption at rest: turns a row's plaintext into the bytes stored in
 * its `value` column and back. The row's identity is passed so a cipher can bind tokens to rows.
 * @module
 */
import type { Scope } from './dialect.js';

/** Encrypts, decrypts and re-encrypts the values of encrypted rows. */
export interface RowCipher {
  /** The stored form (ASCII bytes of a Fernet token) of `plaintext` for the row `(scope, key)`. */
  encrypt(scope: Scope, key: string, plaintext: Uint8Array): Uint8Array;
  /** The plaintext of a stored token; throws `DECRYPTION_FAILED` when no configured key opens it. */
  decrypt(scope: Scope, key: string, stored: Uint8Array): Uint8Array;
  /**
   * The token re-encrypted under the first key, keeping its timestamp, or `null` when it already is
   * (found by a MAC check, without decrypting); throws like `decrypt`.
   */
  reencrypt(scope: Scope, key: string, stored: Uint8Array): Uint8Array | null;
}
