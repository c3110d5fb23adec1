/**
 * Every single-byte change to a token is rejected with the one InvalidTokenError: each byte of the
 * decoded token flipped in several ways, and each character of the text replaced by every other
 * character of the alphabet, padding and some junk. Strict base64 is what makes the text check hold.
 */
import { describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/index.js';
import { BACKENDS, expectInvalidToken, tokenText as toText } from './helpers.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const REPLACEMENTS = [...ALPHABET, '=', '+', '/', ' ', '\n', '.', 'é', '\u0000'];
const FLIPS = [0x01, 0x02, 0x10, 0x80, 0xff];


describe.each(BACKENDS)('tampering, %s backend', (backend) => {
  const fernet = new Fernet(Fernet.generateKey(), { backend });
  // 'x' pads to one block: 73 token bytes, 100 characters ending in "==".
  const token = fernet.encrypt('x');
  const bytes = new Uint8Array(Buffer.from(token, 'base64url'));

  it('starts from a valid short token', () => {
    expect(bytes.length).toBe(73);
    expect(token).toHaveLength(100);
    expect(toText(bytes)).toBe(token);
    expect(new TextDecoder().decode(fernet.decrypt(token))).toBe('x');
  });

  it('rejects every changed byte of the decoded token', () => {
    let checked = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of FLIPS) {
        const changed = bytes.slice();
        changed[i]! ^= flip;
        const text = toText(changed);
        expectInvalidToken(() => fernet.decrypt(text));
        expectInvalidToken(() => fernet.extractTimestamp(text));
        expect(fernet.verify(text)).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe(73 * FLIPS.length);
  });

  it('rejects every changed character of the text', () => {
    let checked = 0;
    for (let i = 0; i < token.length; i++) {
      for (const char of REPLACEMENTS) {
        if (char === token[i]) continue;
        const text = token.slice(0, i) + char + token.slice(i + 1);
        expectInvalidToken(() => fernet.decrypt(text));
        checked++;
      }
    }
    expect(checked).toBe(token.length * (REPLACEMENTS.length - 1));
  });

  it('rejects truncation and extension', () => {
    for (let end = 0; end < token.length; end++) expectInvalidToken(() => fernet.decrypt(token.slice(0, end)));
    for (const extra of ['=', 'A', 'AAAA', '====', '\n']) expectInvalidToken(() => fernet.decrypt(token + extra));
  });
});
