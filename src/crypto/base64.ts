/**
 * Strict url-safe base64 (RFC 4648 §5) with `=` padding, the text form of Fernet keys and tokens.
 * Decoding accepts only the canonical encoding: length a multiple of 4, alphabet `A–Z a–z 0–9 - _`,
 * padding only at the end and only as much as needed, unused trailing bits zero. Anything else
 * (whitespace, `+` `/`, missing padding, junk after the padding) decodes to `undefined`.
 * Python's `base64.urlsafe_b64decode` is laxer; every token Python *produces* is canonical.
 * @module
 */

/** Encoder and strict decoder for padded url-safe base64. */
export interface Base64Codec {
  /** Padded url-safe base64 of `bytes`. */
  encode(bytes: Uint8Array): string;
  /** Bytes of canonical padded url-safe base64 `text`, or `undefined` if it is not canonical. */
  decode(text: string): Uint8Array | undefined;
  /** Text of a token given as bytes (each byte one character; non-ASCII bytes never decode). */
  fromAscii(bytes: Uint8Array): string;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const INVALID = 0xff;
const PADDING = ['', '==', '='] as const;

const ENCODE = new Uint8Array(64);
const DECODE = new Uint8Array(128).fill(INVALID);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = ALPHABET.charCodeAt(i);
  DECODE[ALPHABET.charCodeAt(i)] = i;
}
const EQUALS = 0x3d;

// UTF-8, which every runtime's TextDecoder supports: ASCII maps to itself and any other byte becomes a
// non-ASCII character that never decodes. `ignoreBOM` keeps a leading BOM in the text, so it is refused too.
const ascii = new TextDecoder('utf-8', { ignoreBOM: true });

/** Pure TypeScript codec: runs anywhere (browsers, edge runtimes, workers). */
export const portableBase64: Base64Codec = {
  encode(bytes) {
    const n = bytes.length;
    const out = new Uint8Array(Math.ceil(n / 3) * 4);
    let i = 0;
    let o = 0;
    for (; i + 2 < n; i += 3) {
      const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      out[o++] = ENCODE[v >>> 18]!;
      out[o++] = ENCODE[(v >>> 12) & 63]!;
      out[o++] = ENCODE[(v >>> 6) & 63]!;
      out[o++] = ENCODE[v & 63]!;
    }
    if (i < n) {
      const v = (bytes[i]! << 16) | (i + 1 < n ? bytes[i + 1]! << 8 : 0);
      out[o++] = ENCODE[v >>> 18]!;
      out[o++] = ENCODE[(v >>> 12) & 63]!;
      out[o++] = i + 1 < n ? ENCODE[(v >>> 6) & 63]! : EQUALS;
      out[o++] = EQUALS;
    }
    return ascii.decode(out);
  },

  decode(text) {
    const len = text.length;
    if (len % 4 !== 0) return undefined;
    const pad = text.charCodeAt(len - 1) !== EQUALS ? 0 : text.charCodeAt(len - 2) === EQUALS ? 2 : 1;
    const out = new Uint8Array((len / 4) * 3 - pad);
    const full = pad === 0 ? len : len - 4;
    let codes = 0; // OR of every char code: > 127 means a non-ASCII character
    let digits = 0; // OR of every table entry: INVALID sets bits a digit (0..63) never has
    let o = 0;
    for (let i = 0; i < full; i += 4) {
      const c0 = text.charCodeAt(i);
      const c1 = text.charCodeAt(i + 1);
      const c2 = text.charCodeAt(i + 2);
      const c3 = text.charCodeAt(i + 3);
      codes |= c0 | c1 | c2 | c3;
      const d0 = DECODE[c0 & 127]!;
      const d1 = DECODE[c1 & 127]!;
      const d2 = DECODE[c2 & 127]!;
      const d3 = DECODE[c3 & 127]!;
      digits |= d0 | d1 | d2 | d3;
      out[o++] = (d0 << 2) | (d1 >>> 4);
      out[o++] = (d1 << 4) | (d2 >>> 2);
      out[o++] = (d2 << 6) | d3;
    }
    if (pad !== 0) {
      const c0 = text.charCodeAt(full);
      const c1 = text.charCodeAt(full + 1);
      const c2 = pad === 1 ? text.charCodeAt(full + 2) : ALPHABET.charCodeAt(0);
      codes |= c0 | c1 | c2;
      const d0 = DECODE[c0 & 127]!;
      const d1 = DECODE[c1 & 127]!;
      const d2 = DECODE[c2 & 127]!;
      digits |= d0 | d1 | d2;
      // Canonical form: the bits past the last whole byte are zero.
      if (pad === 2 ? (d1 & 0x0f) !== 0 : (d2 & 0x03) !== 0) return undefined;
      out[o++] = (d0 << 2) | (d1 >>> 4);
      if (pad === 1) out[o++] = (d1 << 4) | (d2 >>> 2);
    }
    if (codes > 127 || (digits & 0xc0) !== 0) return undefined;
    return out;
  },

  fromAscii(bytes) {
    return ascii.decode(bytes);
  },
};

/** Structural view of Node's `Buffer`, found on `globalThis` without importing it. */
interface BufferLike extends Uint8Array {
  toString(encoding?: 'base64url' | 'latin1'): string;
}
interface BufferStatic {
  from(text: string, encoding: 'base64url'): BufferLike;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): BufferLike;
}

/** Codec on Node's native `Buffer` (also in Bun and Deno's Node mode); `undefined` elsewhere. */
export function createBufferBase64(Buffer: BufferStatic | undefined): Base64Codec | undefined {
  if (typeof Buffer?.from !== 'function') return undefined;
  const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const encode = (bytes: Uint8Array) => view(bytes).toString('base64url') + PADDING[bytes.length % 3];
  return {
    encode,
    decode(text) {
      if (text.length % 4 !== 0) return undefined;
      // Node's decoder is lenient (whitespace, `+` `/`, junk); the round trip keeps only canonical text.
      const decoded = Buffer.from(text, 'base64url');
      if (encode(decoded) !== text) return undefined;
      return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
    },
    fromAscii(bytes) {
      return view(bytes).toString('latin1');
    },
  };
}

/** The codec this runtime uses: native `Buffer` when present, else the portable one. */
export const base64: Base64Codec =
  createBufferBase64((globalThis as { Buffer?: BufferStatic }).Buffer) ?? portableBase64;
