/**
 * Cross-check with Python's `cryptography` (the reference implementation): tokens made here decrypt
 * there and the other way round, on both backends, payloads of 0 bytes to 1 MiB; MultiFernet.rotate
 * keeps the timestamp on both sides; deriveFernetKey agrees. Every request of this file goes to one
 * python3 process, started in `beforeAll`; a missing python3 or `cryptography` fails the file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Fernet, MultiFernet, deriveFernetKey } from '../../src/crypto/index.js';
import {
  BACKENDS,
  PythonBatch,
  type PythonResult,
  b64,
  expectInvalidToken,
  expectSameBytes,
  fromB64,
  ok,
  randomBytes,
} from './helpers.js';

const python = new PythonBatch();
const text = (answer: () => PythonResult): string => String(ok(answer()));

const MIB = 1 << 20;
const RANDOM_SIZES = Array.from({ length: 6 }, () => Math.floor(Math.random() * 70_000));
const SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 255, 1024, 65_536, MIB, ...RANDOM_SIZES];
const NOW = 1_700_000_000;

/** Payload round trips: one per backend and size. */
const payloads = BACKENDS.flatMap((backend) =>
  SIZES.map((size) => {
    const key = Fernet.generateKey();
    const fernet = new Fernet(key, { backend });
    const data = randomBytes(size);
    const iv = randomBytes(16);
    const ours = fernet.encrypt(data);
    const oursFixed = fernet.encrypt(data, { now: NOW, iv });
    return {
      label: `${backend} ${size} B`,
      fernet,
      data,
      oursFixed,
      pyDecryptsOurs: python.ask({ op: 'decrypt', keys: [key], token: ours }),
      pyToken: python.ask({ op: 'encrypt', key, data: b64(data), now: NOW }),
      pyTokenFixed: python.ask({ op: 'encrypt', key, data: b64(data), now: NOW, iv: b64(iv) }),
    };
  }),
);

/** Rotation: an old-key token rotated here and in Python, per backend. */
const CREATED = 1_600_000_000;
const rotations = BACKENDS.map((backend) => {
  const [newKey, oldKey] = [Fernet.generateKey(), Fernet.generateKey()];
  const multi = new MultiFernet([new Fernet(newKey, { backend }), new Fernet(oldKey, { backend })]);
  const data = randomBytes(100);
  const ourOld = new Fernet(oldKey, { backend }).encrypt(data, { now: CREATED });
  const ourRotated = multi.rotate(ourOld);
  return {
    backend,
    multi,
    newest: new Fernet(newKey, { backend }),
    data,
    ourRotated,
    pyOld: python.ask({ op: 'encrypt', key: oldKey, data: b64(data), now: CREATED }),
    pyRotatesOurs: python.ask({ op: 'rotate', keys: [newKey, oldKey], token: ourOld }),
    pyTimestampOfOurs: python.ask({ op: 'timestamp', keys: [newKey], token: ourRotated }),
    pyDecryptsOurs: python.ask({ op: 'decrypt', keys: [newKey], token: ourRotated }),
  };
});

const SECRETS = ['any secret', 'x', 'pässwörd ✓ 🔑', 'a'.repeat(10_000), Buffer.from(randomBytes(24)).toString('hex')];
const derived = SECRETS.map((secret) => ({ secret, python: python.ask({ op: 'derive', secret }) }));

/** Variants of a valid token that Python's lenient base64 decoding accepts and we refuse. */
const lenientKey = Fernet.generateKey();
const lenientToken = new Fernet(lenientKey).encrypt('x'); // 73 bytes: ends in "==" with 4 unused bits
const lenientVariants = (() => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = lenientToken.length - 3;
  const bumped = alphabet[alphabet.indexOf(lenientToken[last]!) + 1]!; // same bytes, a non-zero unused bit
  return [
    `${lenientToken}\n`,
    ` ${lenientToken}`,
    `${lenientToken.slice(0, 20)}\n${lenientToken.slice(20)}`,
    lenientToken.slice(0, last) + bumped + lenientToken.slice(last + 1),
  ].map((variant) => ({ variant, python: python.ask({ op: 'decrypt', keys: [lenientKey], token: variant }) }));
})();

beforeAll(() => python.run(), 120_000);

describe('Fernet ⇄ Python cryptography', () => {
  it('Python decrypts our tokens', () => {
    for (const p of payloads) expectSameBytes(fromB64(text(p.pyDecryptsOurs)), p.data, p.label);
  });

  it('we decrypt Python tokens (as text and as bytes) and read their timestamp', () => {
    for (const p of payloads) {
      const token = text(p.pyToken);
      expectSameBytes(p.fernet.decrypt(token), p.data, p.label);
      expectSameBytes(p.fernet.decrypt(new TextEncoder().encode(token), { ttl: 10, now: NOW + 10 }), p.data, p.label);
      expect(p.fernet.extractTimestamp(token)).toBe(NOW);
    }
  });

  it('makes the very same token as Python for the same key, time and IV', () => {
    for (const p of payloads) expect(p.oursFixed === text(p.pyTokenFixed), p.label).toBe(true);
  });
});

describe.each(rotations)('MultiFernet.rotate ⇄ Python ($backend backend)', (r) => {
  it('Python reads our rotation: new key, same timestamp, same data', () => {
    expect(ok(r.pyTimestampOfOurs())).toBe(CREATED);
    expectSameBytes(fromB64(text(r.pyDecryptsOurs)), r.data);
  });

  it("we read Python's rotation of our token the same way", () => {
    expect(r.newest.extractTimestamp(text(r.pyRotatesOurs))).toBe(CREATED);
    expectSameBytes(r.newest.decrypt(text(r.pyRotatesOurs)), r.data);
  });

  it("we rotate Python's token and keep its timestamp", () => {
    const rotated = r.multi.rotate(text(r.pyOld));
    expect(r.multi.keyIndex(text(r.pyOld))).toBe(1);
    expect(r.multi.keyIndex(rotated)).toBe(0);
    expect(r.newest.extractTimestamp(rotated)).toBe(CREATED);
    expectSameBytes(r.newest.decrypt(rotated), r.data);
  });
});

describe('deriveFernetKey ⇄ Python', () => {
  it.each(derived)('equals urlsafe_b64encode(sha256(secret.encode())) #%#', ({ secret, python: answer }) => {
    const key = deriveFernetKey(secret);
    expect(key).toHaveLength(44);
    expect(key).toBe(text(answer));
  });
});

describe('strict decoding, where Python is lenient', () => {
  it.each(lenientVariants)('refuses a variant Python accepts #%#', ({ variant, python: answer }) => {
    expectSameBytes(fromB64(text(answer)), new TextEncoder().encode('x'));
    for (const backend of BACKENDS) expectInvalidToken(() => new Fernet(lenientKey, { backend }).decrypt(variant));
  });
});
