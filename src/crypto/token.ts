/**
 * The Fernet token layout (spec version 0x80) and the steps on raw token bytes:
 * `0x80 ‖ timestamp (u64 BE seconds) ‖ IV (16) ‖ AES-128-CBC ciphertext ‖ HMAC-SHA256 (32)`.
 * Nothing here throws on bad input: callers turn `undefined` into the one `InvalidTokenError`.
 * @module
 */
import { type KeyedCipher, paddedLength } from './backend.js';
import { base64 } from './base64.js';

const VERSION = 0x80;
const IV_OFFSET = 9;
const CIPHERTEXT_OFFSET = 25;
const MAC_LENGTH = 32;
/** Shortest token: header, one ciphertext block, MAC. */
const MIN_LENGTH = CIPHERTEXT_OFFSET + 16 + MAC_LENGTH;
/** How far in the future a timestamp may be when a TTL is checked, as in Python `cryptography`. */
const MAX_CLOCK_SKEW = 60;
const TWO_32 = 2 ** 32;

/** A decoded, structurally valid token; nothing in it is authenticated yet. */
export interface RawToken {
  /** Seconds since the epoch. Exact up to 2^53; larger stored values come back rounded. */
  readonly timestamp: number;
  /** Version, timestamp, IV and ciphertext: the bytes the MAC covers. */
  readonly signed: Uint8Array;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
}

/** Time limits of one decryption: the token must be at most `ttl` seconds old at `now`. */
export interface TimeCheck {
  readonly ttl: number;
  readonly now: number;
}

/**
 * Token text of `plaintext` sealed under `keys` at `timestamp` with `iv`.
 * The buffer starts 3 bytes into its ArrayBuffer so the ciphertext (offset 25) sits on a 4-byte
 * boundary, where the portable AES works on 32-bit words in place.
 */
export function sealToken(keys: KeyedCipher, plaintext: Uint8Array, timestamp: number, iv: Uint8Array): string {
  const macOffset = CIPHERTEXT_OFFSET + paddedLength(plaintext.length);
  const length = macOffset + MAC_LENGTH;
  const token = new Uint8Array(new ArrayBuffer(length + 3), 3, length);
  token[0] = VERSION;
  const view = new DataView(token.buffer, token.byteOffset, CIPHERTEXT_OFFSET);
  view.setUint32(1, Math.floor(timestamp / TWO_32));
  view.setUint32(5, timestamp >>> 0);
  token.set(iv, IV_OFFSET);
  keys.encryptInto(iv, plaintext, token.subarray(CIPHERTEXT_OFFSET, macOffset));
  keys.macInto(token.subarray(0, macOffset), token.subarray(macOffset));
  return base64.encode(token);
}

/** The raw parts of token text or ASCII bytes, or `undefined` when it is not a well-formed token. */
export function parseToken(token: string | Uint8Array): RawToken | undefined {
  const text = typeof token === 'string' ? token : base64.fromAscii(token);
  const bytes = base64.decode(text);
  if (bytes === undefined || bytes.length < MIN_LENGTH || (bytes.length - MIN_LENGTH) % 16 !== 0) return undefined;
  if (bytes[0] !== VERSION) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, IV_OFFSET);
  const macOffset = bytes.length - MAC_LENGTH;
  return {
    timestamp: view.getUint32(1) * TWO_32 + view.getUint32(5),
    signed: bytes.subarray(0, macOffset),
    iv: bytes.subarray(IV_OFFSET, CIPHERTEXT_OFFSET),
    ciphertext: bytes.subarray(CIPHERTEXT_OFFSET, macOffset),
    mac: bytes.subarray(macOffset),
  };
}

/**
 * The plaintext lengths a token can hold, `[least, most]`, from its ciphertext's length alone (PKCS #7
 * pads 1..16 bytes), or `undefined` when the bytes are not a well-formed token. Nothing is decrypted.
 */
export function plaintextSizes(token: Uint8Array): readonly [number, number] | undefined {
  const raw = parseToken(token);
  return raw && [raw.ciphertext.length - 16, raw.ciphertext.length - 1];
}

/** Whether the token is within `ttl` of `now` and not more than 60 s ahead of it. */
export function isFresh(raw: RawToken, time: TimeCheck): boolean {
  return raw.timestamp + time.ttl >= time.now && raw.timestamp <= time.now + MAX_CLOCK_SKEW;
}

/** Plaintext of `raw` under `keys`: MAC checked in constant time first, then decrypted; else `undefined`. */
export function openToken(keys: KeyedCipher, raw: RawToken): Uint8Array | undefined {
  if (!keys.verifyMac(raw.signed, raw.mac)) return undefined;
  return keys.decrypt(raw.iv, raw.ciphertext);
}
