/**
 * Strict url-safe base64: both codecs (pure TS and Buffer) encode like Node's base64url plus padding,
 * and decode only canonical text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Base64Codec, base64, createBufferBase64, portableBase64 } from '../../src/crypto/base64.js';
import { expectSameBytes } from './helpers.js';

const codecs: [string, Base64Codec][] = [
  ['portable', portableBase64],
  ['Buffer', createBufferBase64(Buffer)!],
];

const reference = (bytes: Uint8Array) =>
  Buffer.from(bytes).toString('base64url') + '='.repeat((3 - (bytes.length % 3)) % 3);

describe('codec choice', () => {
  it('uses Buffer when present, and nothing without it', () => {
    expect(base64).not.toBe(portableBase64);
    expect(createBufferBase64(undefined)).toBeUndefined();
  });
});

describe.each(codecs)('%s codec', (_name, codec) => {
  it('round-trips every length 0..100 and matches Node', () => {
    for (let n = 0; n <= 100; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      const text = codec.encode(bytes);
      expect(text).toBe(reference(bytes));
      expectSameBytes(codec.decode(text)!, bytes);
    }
  });

  it('round-trips random bytes, including large ones and subarray views', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(3), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(codec.encode(view)).toBe(reference(view));
        expectSameBytes(codec.decode(codec.encode(view))!, view);
      }),
    );
  });

  it.each([
    ['missing padding', 'QQ'],
    ['missing one pad', 'QQ='],
    ['too much padding', 'QQ==='],
    ['padding only', '===='],
    ['padding inside', 'QQ==QUJD'],
    ['pad char mid-quad', 'Q=Q='],
    ['whitespace', 'QUJD QUJD'],
    ['newline at end', 'QUJD\n'],
    ['standard alphabet +', 'QUJ+'],
    ['standard alphabet /', 'QUJ/'],
    ['non-ASCII', 'QUJé'],
    ['non-ASCII high', 'QUJ\u0141'],
    ['NUL', 'QUJ\u0000'],
    ['non-zero unused bits, 1 byte', 'QR=='],
    ['non-zero unused bits, 2 bytes', 'QUJ='],
    ['length 5', 'QUJDR'],
  ])('refuses %s', (_case, text) => {
    expect(codec.decode(text)).toBeUndefined();
  });

  it('accepts the empty string as zero bytes', () => {
    expect(codec.decode('')).toEqual(new Uint8Array(0));
  });

  it('decodes only what it would itself encode', () => {
    const chars = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ '];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 16 }), (list) => {
        const text = list.join('');
        const bytes = codec.decode(text);
        if (bytes !== undefined) expect(codec.encode(bytes)).toBe(text);
        expect(bytes === undefined).toBe(portableBase64.decode(text) === undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads ASCII token bytes as text', () => {
    expect(codec.fromAscii(new TextEncoder().encode('gAAA-_=='))).toBe('gAAA-_==');
    expect(codec.decode(codec.fromAscii(new Uint8Array([0x51, 0x51, 0x3d, 0xbd])))).toBeUndefined();
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('QUJD')]);
    expect(codec.decode(codec.fromAscii(withBom.subarray(3)))).toEqual(new Uint8Array([0x41, 0x42, 0x43]));
    expect(codec.decode(codec.fromAscii(withBom))).toBeUndefined();
  });
});
