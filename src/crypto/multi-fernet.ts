/**
 * `MultiFernet`: key rotation over several Fernet keys, as Python `cryptography`'s MultiFernet.
 * The first key encrypts; any key decrypts; `rotate` re-encrypts under the first key and keeps the
 * token's original timestamp.
 * @module
 */
import { ValidationError } from '../errors.js';
import { InvalidTokenError } from './errors.js';
import {
  type DecryptOptions,
  type EncryptOptions,
  type Fernet,
  type FernetState,
  type FernetToken,
  encryptWith,
  fernetState,
  readTimeCheck,
  readToken,
} from './fernet.js';
import { type RawToken, isFresh, openToken, sealToken } from './token.js';
import { describeType } from './validate.js';

/**
 * Several keys, newest first.
 * @example
 * const multi = new MultiFernet([new Fernet(newKey), new Fernet(oldKey)]);
 * const fresh = multi.rotate(oldToken); // now under newKey, same timestamp
 */
export class MultiFernet {
  readonly #states: readonly FernetState[];

  /** @throws ValidationError when `fernets` is empty or holds something other than `Fernet`s. */
  constructor(fernets: Iterable<Fernet>) {
    if (fernets === null || typeof (fernets as Partial<Iterable<Fernet>>)?.[Symbol.iterator] !== 'function') {
      throw new ValidationError(`"fernets" expected an iterable of Fernet instances, got ${describeType(fernets)}`);
    }
    const states = Array.from(fernets, (fernet, i) => fernetState(fernet, `fernets[${i}]`));
    if (states.length === 0) throw new ValidationError('"fernets" expected at least one Fernet instance, got 0');
    this.#states = states;
  }

  /**
   * Token text for `data` under the first key.
   * @example
   * const token = multi.encrypt('hello');
   */
  encrypt(data: Uint8Array | string, options?: EncryptOptions): string {
    return encryptWith(this.#states[0]!, data, options);
  }

  /**
   * The bytes inside `token`, made under any of the keys; same checks and errors as `Fernet#decrypt`.
   * @example
   * const bytes = multi.decrypt(token, { ttl: 3600 });
   */
  decrypt(token: FernetToken, options?: DecryptOptions): Uint8Array {
    const time = readTimeCheck(options);
    const raw = readToken(token);
    if (time && !isFresh(raw, time)) throw new InvalidTokenError();
    return this.#open(raw);
  }

  /**
   * `token` re-encrypted under the first key with a fresh IV and its original timestamp. Accepts a
   * token under any key, at any age (no TTL), like Python's `MultiFernet.rotate`.
   * @example
   * const rotated = multi.rotate(token);
   */
  rotate(token: FernetToken): string {
    const raw = readToken(token);
    const first = this.#states[0]!;
    return sealToken(first.keys, this.#open(raw), raw.timestamp, first.backend.randomIv());
  }

  /**
   * When `token` was made, in Unix seconds, once its MAC verifies under one of the keys.
   * @example
   * const createdAt = new Date(multi.extractTimestamp(token) * 1000);
   */
  extractTimestamp(token: FernetToken): number {
    const raw = readToken(token);
    if (this.#indexOf(raw) < 0) throw new InvalidTokenError();
    return raw.timestamp;
  }

  /**
   * Index of the first key whose MAC verifies `token`, or -1 (also for a malformed token). An HMAC
   * check per key, no decryption: `keyIndex(token) === 0` means "already under the newest key".
   * @example
   * if (multi.keyIndex(token) !== 0) token = multi.rotate(token);
   */
  keyIndex(token: FernetToken): number {
    if (typeof token !== 'string' && !(token instanceof Uint8Array)) return -1;
    try {
      return this.#indexOf(readToken(token));
    } catch (error) {
      if (error instanceof InvalidTokenError) return -1;
      throw error;
    }
  }

  #indexOf(raw: RawToken): number {
    return this.#states.findIndex((state) => state.keys.verifyMac(raw.signed, raw.mac));
  }

  /** Plaintext under the first key whose MAC verifies and whose padding is valid. */
  #open(raw: RawToken): Uint8Array {
    for (const state of this.#states) {
      const plaintext = openToken(state.keys, raw);
      if (plaintext) return plaintext;
    }
    throw new InvalidTokenError();
  }
}
