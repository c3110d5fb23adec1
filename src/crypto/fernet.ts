/**
 * `Fernet`: authenticated symmetric encryption whose keys and tokens are byte-for-byte those of
 * Python's `cryptography.fernet.Fernet` (spec version 0x80: AES-128-CBC, then HMAC-SHA256).
 * @module
 */
import { ValidationError } from '../errors.js';
import type { BackendChoice, BackendName, CryptoBackend, KeyedCipher } from './backend.js';
import { InvalidTokenError } from './errors.js';
import { generateKeyText, parseKey } from './keys.js';
import { resolveBackend } from './select-backend.js';
import { type RawToken, type TimeCheck, isFresh, openToken, parseToken, sealToken } from './token.js';
import { DECRYPT_OPTIONS, ENCRYPT_OPTIONS, FERNET_OPTIONS } from '../option-names.js';
import { options as knownOptions } from '../validation.js';
import { describeType, expectBytes, expectData, expectSeconds } from './validate.js';

/** A key: 44 characters of padded url-safe base64, or the 32 raw bytes. */
export type FernetKey = string | Uint8Array;

/** A token: its text, or that text as ASCII bytes. */
export type FernetToken = string | Uint8Array;

/** Options of `new Fernet(key, options)`. */
export interface FernetOptions {
  /** `'auto'` (default): node:crypto when the runtime has it, else pure JS. Force either by name. */
  backend?: BackendChoice;
}

/** Options of `encrypt`. Both exist for test vectors and tests; leave them out in production. */
export interface EncryptOptions {
  /** Timestamp to record, in Unix seconds. Default: now. */
  now?: number;
  /** The 16-byte IV. Default: fresh random bytes. Reusing an IV with the same key leaks data. */
  iv?: Uint8Array;
}

/** Options of `decrypt`. */
export interface DecryptOptions {
  /** Maximum token age in seconds. When given, tokens older than this or more than 60 s in the future are rejected. */
  ttl?: number;
  /** Current time in Unix seconds for the `ttl` check (default: now). Unused without `ttl`. */
  now?: number;
}

/** What `MultiFernet` needs from a `Fernet`, kept out of the public surface. */
export interface FernetState {
  readonly keys: KeyedCipher;
  readonly backend: CryptoBackend;
}

const states = new WeakMap<Fernet, FernetState>();

/** Current Unix time in whole seconds. */
const unixNow = (): number => Math.floor(Date.now() / 1000);

/** The internal state of `fernet`; `ValidationError` if it is not a `Fernet`. */
export function fernetState(fernet: unknown, field: string): FernetState {
  const state = fernet instanceof Fernet ? states.get(fernet) : undefined;
  if (!state) throw new ValidationError(`"${field}" expected a Fernet instance, got ${describeType(fernet)}`);
  return state;
}

/** Decoded token parts; `ValidationError` for a wrong type, `InvalidTokenError` for a bad token. */
export function readToken(token: unknown): RawToken {
  if (typeof token !== 'string' && !(token instanceof Uint8Array)) {
    throw new ValidationError(`"token" expected a string or Uint8Array, got ${describeType(token)}`);
  }
  const raw = parseToken(token);
  if (!raw) throw new InvalidTokenError();
  return raw;
}

/** The TTL check asked for by `options`, or `undefined` when no `ttl` is given. */
export function readTimeCheck(options: DecryptOptions | undefined): TimeCheck | undefined {
  const { ttl, now } = knownOptions('options', options, DECRYPT_OPTIONS);
  if (ttl === undefined) return undefined;
  return { ttl: expectSeconds(ttl, 'ttl'), now: now === undefined ? unixNow() : expectSeconds(now, 'now') };
}

/** Token text of `data` under `state`'s keys, with the timestamp and IV from `options` or fresh. */
export function encryptWith(state: FernetState, data: unknown, options: EncryptOptions | undefined): string {
  const plaintext = expectData(data, 'data');
  const { now, iv } = knownOptions('options', options, ENCRYPT_OPTIONS);
  const timestamp = now === undefined ? unixNow() : expectSeconds(now, 'now');
  const ivBytes = iv === undefined ? state.backend.randomIv() : expectBytes(iv, 'iv', 16);
  return sealToken(state.keys, plaintext, timestamp, ivBytes);
}

/**
 * Encrypts and authenticates messages with one key. Tokens interoperate with Python `cryptography`
 * and every implementation of the Fernet spec.
 * @example
 * const fernet = new Fernet(Fernet.generateKey());
 * const token = fernet.encrypt('hello');
 * new TextDecoder().decode(fernet.decrypt(token, { ttl: 3600 })); // 'hello'
 */
export class Fernet {
  /** Which implementation this instance runs on. */
  readonly backend: BackendName;

  /**
   * @param key 44-character url-safe base64 text (as from `Fernet.generateKey()`) or 32 raw bytes.
   * @throws ValidationError when the key or an option is malformed.
   */
  constructor(key: FernetKey, options?: FernetOptions) {
    const backend = resolveBackend(knownOptions('options', options, FERNET_OPTIONS).backend);
    const { signingKey, encryptionKey } = parseKey(key);
    states.set(this, { keys: backend.keyed(signingKey, encryptionKey), backend });
    this.backend = backend.name;
  }

  /**
   * A new random key as 44-character text.
   * @example
   * const key = Fernet.generateKey(); // e.g. 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='
   */
  static generateKey(): string {
    return generateKeyText(resolveBackend());
  }

  /**
   * Token text for `data` (bytes, or a string taken as UTF-8).
   * @example
   * const token = fernet.encrypt(new Uint8Array([1, 2, 3]));
   */
  encrypt(data: Uint8Array | string, options?: EncryptOptions): string {
    return encryptWith(fernetState(this, 'this'), data, options);
  }

  /**
   * The bytes inside `token`; throws `InvalidTokenError` if it is malformed, forged, under another
   * key or (with `ttl`) too old or too far in the future.
   * @example
   * const bytes = fernet.decrypt(token, { ttl: 60 });
   */
  decrypt(token: FernetToken, options?: DecryptOptions): Uint8Array {
    const time = readTimeCheck(options);
    const raw = readToken(token);
    if (time && !isFresh(raw, time)) throw new InvalidTokenError();
    const plaintext = openToken(fernetState(this, 'this').keys, raw);
    if (!plaintext) throw new InvalidTokenError();
    return plaintext;
  }

  /**
   * When `token` was made, in Unix seconds, once its MAC is verified (no decryption, no TTL check).
   * @example
   * const ageSeconds = Date.now() / 1000 - fernet.extractTimestamp(token);
   */
  extractTimestamp(token: FernetToken): number {
    const raw = readToken(token);
    if (!fernetState(this, 'this').keys.verifyMac(raw.signed, raw.mac)) throw new InvalidTokenError();
    return raw.timestamp;
  }

  /**
   * Whether `token` is well formed and its MAC verifies under this key: a cheap "was this made with
   * this key?" check. It neither decrypts nor checks a TTL, and never throws for a bad token.
   * @example
   * if (!current.verify(token)) token = multi.rotate(token);
   */
  verify(token: FernetToken): boolean {
    if (typeof token !== 'string' && !(token instanceof Uint8Array)) return false;
    const raw = parseToken(token);
    return raw !== undefined && fernetState(this, 'this').keys.verifyMac(raw.signed, raw.mac);
  }
}
