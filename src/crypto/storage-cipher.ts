/**
 * Encryption at rest for the storage: Fernet tokens under keys derived from the configured secrets,
 * bound by default to each row's identity so a token copied into another row does not decrypt.
 *
 * Key derivation (normative; reimplementable in any language):
 *   master key M (32 bytes)  = SHA-256(UTF-8(secret))   for a string secret (as `deriveFernetKey`)
 *                            = the 32 bytes themselves  for a Uint8Array key
 *   binding 'none':  row key = M                        (the reference implementation's single key)
 *   binding 'scope': row key = HKDF-SHA256(IKM = M, salt = empty, L = 32,
 *                              info = "extension-storage/row-key/v1" ‖ 0x00 ‖ SHA-256(identity))
 *     identity = for each of extension_id, user_id, resource_type, resource_id, key (in that order,
 *                '' for scope columns that do not apply): u32 big-endian byte length ‖ UTF-8 bytes
 *   The row key's first 16 bytes sign and the last 16 encrypt, as in any Fernet key.
 * @module
 */
import type { Scope } from '../dialect.js';
import { DecryptionFailedError, ValidationError } from '../errors.js';
import type { RowCipher } from '../row-cipher.js';
import type { BackendChoice, CryptoBackend, KeyedCipher } from './backend.js';
import { hkdfExpand, hkdfExtract } from './hkdf.js';
import { resolveBackend } from './select-backend.js';
import { openToken, parseToken, sealToken, type RawToken } from './token.js';
import { describeType } from './validate.js';

/** One configured key: a secret string (hashed into a key), or 32 raw key bytes. */
export type EncryptionKey = string | Uint8Array;

/** How row keys relate to the configured keys. */
export type EncryptionKeyBinding = 'scope' | 'none';

const ROW_KEY_LABEL = new TextEncoder().encode('extension-storage/row-key/v1\u0000');
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Normalises the `encryptionKeys` option to master keys, first one encrypting. */
export function masterKeys(input: EncryptionKey | readonly EncryptionKey[], backend: CryptoBackend): Uint8Array[] {
  const list = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ValidationError('"encryptionKeys" expected a string, 32 bytes, or a non-empty list of them');
  }
  return list.map((key: unknown, i: number) => {
    const field = `encryptionKeys[${i}]`;
    if (typeof key === 'string') {
      if (key.length === 0) throw new ValidationError(`"${field}" expected a non-empty secret`);
      return backend.sha256(encoder.encode(key));
    }
    if (key instanceof Uint8Array) {
      if (key.length !== 32) throw new ValidationError(`"${field}" expected 32 bytes, got ${key.length}`);
      return Uint8Array.from(key);
    }
    throw new ValidationError(`"${field}" expected a string or a Uint8Array, got ${key === null ? 'null' : typeof key}`);
  });
}

/** The identity a row key is bound to (see the module comment). */
function rowIdentity(scope: Scope, key: string): Uint8Array {
  const parts = [scope.extensionId, scope.userId, scope.resourceType, scope.resourceId, key].map((part) => encoder.encode(part));
  const out = new Uint8Array(parts.reduce((sum, part) => sum + 4 + part.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const part of parts) {
    view.setUint32(offset, part.length);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

function describeScope(scope: Scope, key: string): string {
  const where = scope.userId !== '' ? 'user scope' : scope.resourceType !== '' ? `resource ${scope.resourceType}/${scope.resourceId}` : 'global scope';
  return `"${key}" (${where} of "${scope.extensionId}")`;
}

/** One row's keys, derived only as far as they are needed (most rows open with the first). */
type RowKeys = (index: number) => KeyedCipher;

/**
 * The storage's cipher over `keys` (newest first). It works on Fernet's token format directly, below
 * the `Fernet` class: a token is decoded once, and a row derives only the keys it needs.
 * @example
 * const cipher = new StorageCipher(['new secret', 'old secret'], 'scope');
 */
export class StorageCipher implements RowCipher {
  readonly #backend: CryptoBackend;
  readonly #keyCount: number;
  /** HKDF-Extract of each master key, done once: a row key then costs one HMAC (HKDF-Expand). */
  readonly #pseudorandomKeys: readonly Uint8Array[];
  /** With binding 'none' every row uses the same keys: built once. */
  readonly #shared: readonly KeyedCipher[] | undefined;

  constructor(keys: EncryptionKey | readonly EncryptionKey[], binding: EncryptionKeyBinding = 'scope', backend: BackendChoice = 'auto') {
    if (binding !== 'scope' && binding !== 'none') {
      // Never the value itself: a secret put in the wrong option would end up in logs.
      throw new ValidationError(`"encryptionKeyBinding" expected "scope" or "none", got ${describeType(binding)}`);
    }
    this.#backend = resolveBackend(backend);
    const masters = masterKeys(keys, this.#backend);
    this.#keyCount = masters.length;
    this.#pseudorandomKeys = binding === 'scope' ? masters.map((master) => hkdfExtract(this.#backend, EMPTY, master)) : [];
    this.#shared = binding === 'none' ? masters.map((master) => this.#keyed(master)) : undefined;
  }

  encrypt(scope: Scope, key: string, plaintext: Uint8Array): Uint8Array {
    const token = sealToken(this.#rowKeys(scope, key)(0), plaintext, Math.floor(Date.now() / 1000), this.#backend.randomIv());
    return encoder.encode(token);
  }

  decrypt(scope: Scope, key: string, stored: Uint8Array): Uint8Array {
    const raw = parseToken(stored);
    const plaintext = raw && this.#open(this.#rowKeys(scope, key), raw, 0);
    if (!plaintext) throw this.#failure(scope, key);
    return plaintext;
  }

  reencrypt(scope: Scope, key: string, stored: Uint8Array): Uint8Array | null {
    const raw = parseToken(stored);
    if (!raw) throw this.#failure(scope, key);
    const keys = this.#rowKeys(scope, key);
    const current = keys(0);
    if (current.verifyMac(raw.signed, raw.mac)) return null;
    const plaintext = this.#open(keys, raw, 1);
    if (!plaintext) throw this.#failure(scope, key);
    // The original timestamp is kept, as MultiFernet.rotate does.
    return encoder.encode(sealToken(current, plaintext, raw.timestamp, this.#backend.randomIv()));
  }

  /** The plaintext under the first of the row's keys from `from` on that opens the token. */
  #open(keys: RowKeys, raw: RawToken, from: number): Uint8Array | undefined {
    for (let index = from; index < this.#keyCount; index++) {
      const plaintext = openToken(keys(index), raw);
      if (plaintext) return plaintext;
    }
    return undefined;
  }

  #rowKeys(scope: Scope, key: string): RowKeys {
    const shared = this.#shared;
    if (shared) return (index) => shared[index]!;
    const info = new Uint8Array(ROW_KEY_LABEL.length + 32);
    info.set(ROW_KEY_LABEL);
    info.set(this.#backend.sha256(rowIdentity(scope, key)), ROW_KEY_LABEL.length);
    const derived: KeyedCipher[] = [];
    return (index) => (derived[index] ??= this.#keyed(hkdfExpand(this.#backend, this.#pseudorandomKeys[index]!, info, 32)));
  }

  /** A Fernet key's two halves: the first 16 bytes sign, the last 16 encrypt. */
  #keyed(fernetKey: Uint8Array): KeyedCipher {
    return this.#backend.keyed(fernetKey.subarray(0, 16), fernetKey.subarray(16, 32));
  }

  #failure(scope: Scope, key: string): DecryptionFailedError {
    return new DecryptionFailedError(`no configured encryption key opens the value of ${describeScope(scope, key)}`);
  }
}
