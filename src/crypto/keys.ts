/**
 * Fernet keys: 32 bytes (16-byte signing key ‖ 16-byte encryption key), written as 44 characters
 * of padded url-safe base64. Parsing is strict; messages say what is wrong, never what the key is.
 * @module
 */
import { ValidationError } from '../errors.js';
import type { CryptoBackend } from './backend.js';
import { base64 } from './base64.js';
import { resolveBackend } from './select-backend.js';
import { describeType, expectData } from './validate.js';

const KEY_BYTES = 32;
const KEY_TEXT_LENGTH = 44;
const KEY_TEXT = /^[A-Za-z0-9_-]{43}=$/;

/** A Fernet key split into its two halves. */
export interface KeyParts {
  readonly signingKey: Uint8Array;
  readonly encryptionKey: Uint8Array;
}

/** The halves of a key given as 44-character text or 32 raw bytes; throws `ValidationError` otherwise. */
export function parseKey(key: unknown, field = 'key'): KeyParts {
  let bytes: Uint8Array | undefined;
  if (typeof key === 'string') {
    if (key.length !== KEY_TEXT_LENGTH) {
      throw new ValidationError(
        `"${field}" expected ${KEY_TEXT_LENGTH} characters of url-safe base64, got ${key.length}`,
      );
    }
    if (!KEY_TEXT.test(key)) {
      throw new ValidationError(
        `"${field}" expected url-safe base64 (A-Z a-z 0-9 - _) ending in one "=" padding character`,
      );
    }
    bytes = base64.decode(key);
    if (bytes === undefined) {
      throw new ValidationError(
        `"${field}" is not canonical base64: the last character before "=" must encode zero low bits`,
      );
    }
  } else if (key instanceof Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw new ValidationError(`"${field}" expected ${KEY_BYTES} bytes, got ${key.length}`);
    }
    bytes = key;
  } else {
    throw new ValidationError(`"${field}" expected a string or Uint8Array, got ${describeType(key)}`);
  }
  // Copies (a Buffer's `slice` would be a view of the caller's memory).
  return {
    signingKey: Uint8Array.from(bytes.subarray(0, 16)),
    encryptionKey: Uint8Array.from(bytes.subarray(16)),
  };
}

/** A new random key as 44-character text. */
export function generateKeyText(backend: CryptoBackend): string {
  return base64.encode(backend.randomBytes(KEY_BYTES));
}

/**
 * A Fernet key from any secret: padded url-safe base64 of SHA-256(UTF-8 of `secret`), the same as
 * Python's `base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())`. A plain hash, not a
 * password KDF: use it for high-entropy secrets (a long random environment variable), not for passwords.
 * @example
 * const fernet = new Fernet(deriveFernetKey(process.env.APP_SECRET!));
 */
export function deriveFernetKey(secret: string | Uint8Array): string {
  const bytes = expectData(secret, 'secret');
  if (bytes.length === 0) throw new ValidationError('"secret" expected a non-empty string or Uint8Array');
  return base64.encode(resolveBackend().sha256(bytes));
}
