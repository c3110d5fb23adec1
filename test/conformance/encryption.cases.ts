/**
 * Encryption at rest: Fernet tokens in the value column, bound to their row, several keys, and key
 * rotation that loses no concurrent write.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { describe, expect } from 'vitest';
import { Fernet, deriveFernetKey } from '../../src/crypto/index.js';
import { DatabaseError, ExtensionStorage, ExtensionStorageError, type Dialect, type Scope } from '../../src/index.js';
import type { SuiteContext } from './suite.js';

const OLD = 'old secret: a long random string from the environment';
const NEW = 'new secret: another long random string';
const global = (extensionId: string): Scope => ({ extensionId, userId: '', resourceType: '', resourceId: '' });
const ascii = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  expect(error).toBeInstanceOf(ExtensionStorageError);
  return (error as ExtensionStorageError).code;
}

/** The row key of the documented derivation, computed independently with node:crypto. */
function documentedRowKey(secret: string, parts: string[]): Buffer {
  const identity = Buffer.concat(
    parts.flatMap((part) => {
      const bytes = Buffer.from(part, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  );
  const info = Buffer.concat([Buffer.from('extension-storage/row-key/v1\0'), createHash('sha256').update(identity).digest()]);
  const master = createHash('sha256').update(secret, 'utf8').digest();
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
}

export function encryptionCases({ storage, dialect, test }: SuiteContext): void {
  describe('encryption', () => {
    test('encrypted values are stored as Fernet tokens and read back transparently', async () => {
      const ext = storage({ encryptionKeys: NEW }).extension('acme.secret', { user: { id: 7 } });
      const info = await ext.user.set('token', 'hunter2', { encrypt: true, category: 'credentials', description: 'API token' });
      expect(info).toMatchObject({ encrypted: true, size: 7, category: 'credentials', description: 'API token' });
      expect(await ext.user.getText('token')).toBe('hunter2');
      const row = await dialect().get({ extensionId: 'acme.secret', userId: '7', resourceType: '', resourceId: '' }, 'token');
      expect(row?.isEncrypted).toBe(true);
      expect(ascii(row!.value)).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
      expect(ascii(row!.value)).not.toContain('hunter2');
      expect(row?.category).toBe('credentials');
      // Plain writes next to encrypted ones stay plain; an upsert may switch either way.
      await ext.user.set('token', 'in clear');
      expect((await dialect().get({ extensionId: 'acme.secret', userId: '7', resourceType: '', resourceId: '' }, 'token'))?.isEncrypted).toBe(false);
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
      await ext.global.set('bytes', bytes, { encrypt: true });
      expect(await ext.global.getValue('bytes')).toEqual(bytes);
    });

    test('the row key follows the documented derivation', async () => {
      const ext = storage({ encryptionKeys: NEW }).extension('acme.secret');
      await ext.resource('dashboard', 'D-1').set('state', 'bound', { encrypt: true });
      const row = await dialect().get({ extensionId: 'acme.secret', userId: '', resourceType: 'dashboard', resourceId: 'D-1' }, 'state');
      const rowKey = documentedRowKey(NEW, ['acme.secret', '', 'dashboard', 'D-1', 'state']);
      expect(ascii(new Fernet(rowKey).decrypt(row!.value))).toBe('bound');
      expect(() => new Fernet(deriveFernetKey(NEW)).decrypt(row!.value)).toThrow();
    });

    test('a token copied into another row does not decrypt there (binding "scope")', async () => {
      const s = storage({ encryptionKeys: NEW });
      await s.extension('acme.victim', { user: { id: 1 } }).user.set('secret', 'for user 1 only', { encrypt: true });
      const stolen = await dialect().get({ extensionId: 'acme.victim', userId: '1', resourceType: '', resourceId: '' }, 'secret');
      const targets: [Scope, string][] = [
        [{ extensionId: 'acme.victim', userId: '2', resourceType: '', resourceId: '' }, 'secret'],
        [{ extensionId: 'acme.attacker', userId: '1', resourceType: '', resourceId: '' }, 'secret'],
        [global('acme.victim'), 'secret'],
        [{ extensionId: 'acme.victim', userId: '1', resourceType: '', resourceId: '' }, 'other-key'],
      ];
      for (const [scope, key] of targets) {
        await dialect().upsert({ ...scope, key, value: stolen!.value, valueType: 'text/plain', category: null, description: null, isEncrypted: true, size: 15, uuid: crypto.randomUUID(), now: new Date(), writtenBy: null, expiresAt: null });
      }
      expect(await codeOf(s.extension('acme.victim', { user: { id: 2 } }).user.get('secret'))).toBe('DECRYPTION_FAILED');
      expect(await codeOf(s.extension('acme.attacker', { user: { id: 1 } }).user.get('secret'))).toBe('DECRYPTION_FAILED');
      expect(await codeOf(s.extension('acme.victim').global.get('secret'))).toBe('DECRYPTION_FAILED');
      expect(await codeOf(s.extension('acme.victim', { user: { id: 1 } }).user.get('other-key'))).toBe('DECRYPTION_FAILED');
      expect(await s.extension('acme.victim', { user: { id: 1 } }).user.getText('secret')).toBe('for user 1 only');
    });

    test('binding "none" uses the single derived key of the reference implementation', async () => {
      const s = storage({ encryptionKeys: NEW, encryptionKeyBinding: 'none' });
      await s.extension('acme.shared').global.set('k', 'reference-compatible', { encrypt: true });
      const row = await dialect().get(global('acme.shared'), 'k');
      expect(ascii(new Fernet(deriveFernetKey(NEW)).decrypt(row!.value))).toBe('reference-compatible');
      const reference = new Fernet(deriveFernetKey(NEW)).encrypt('written by the reference');
      await dialect().upsert({ ...global('acme.shared'), key: 'theirs', value: new TextEncoder().encode(reference), valueType: 'text/plain', category: null, description: null, isEncrypted: true, size: 24, uuid: crypto.randomUUID(), now: new Date(), writtenBy: null, expiresAt: null });
      expect(await s.extension('acme.shared').global.getText('theirs')).toBe('written by the reference');
    });

    test('errors: no key configured, wrong key; nothing written and no secret in messages', async () => {
      const plain = storage().extension('acme.secret');
      expect(await codeOf(plain.global.set('k', 'v', { encrypt: true }))).toBe('ENCRYPTION_KEY_MISSING');
      expect(await plain.global.count()).toBe(0);
      await storage({ encryptionKeys: OLD }).extension('acme.secret').global.set('k', 'v', { encrypt: true });
      expect(await codeOf(plain.global.get('k'))).toBe('ENCRYPTION_KEY_MISSING');
      const error = await storage({ encryptionKeys: NEW }).extension('acme.secret').global.get('k').catch((e: Error) => e);
      expect((error as ExtensionStorageError).code).toBe('DECRYPTION_FAILED');
      expect((error as Error).message).toContain('"k"');
      expect((error as Error).message).toContain('acme.secret');
      for (const secret of [NEW, OLD, 'v']) expect((error as Error).message).not.toContain(secret === 'v' ? '"v"' : secret);
      expect(await codeOf(storage().rotateKeys())).toBe('ENCRYPTION_KEY_MISSING');
    });

    test('a single string is one key; with a list the first encrypts and every key decrypts', async () => {
      await storage({ encryptionKeys: OLD }).extension('acme.secret').global.set('old', 'under old', { encrypt: true });
      const both = storage({ encryptionKeys: [NEW, OLD] }).extension('acme.secret');
      expect(await both.global.getText('old')).toBe('under old');
      await both.global.set('new', 'under new', { encrypt: true });
      expect(await storage({ encryptionKeys: NEW }).extension('acme.secret').global.getText('new')).toBe('under new');
      expect(await codeOf(storage({ encryptionKeys: NEW }).extension('acme.secret').global.get('old'))).toBe('DECRYPTION_FAILED');
      expect(await codeOf(storage({ encryptionKeys: [...OLD] }).extension('acme.secret').global.get('old'))).toBe('DECRYPTION_FAILED');
      const raw = new Uint8Array(32).fill(9);
      await storage({ encryptionKeys: raw }).extension('acme.secret').global.set('raw', 'raw key', { encrypt: true });
      expect(await storage({ encryptionKeys: [NEW, raw] }).extension('acme.secret').global.getText('raw')).toBe('raw key');
    });

    test('rotation re-encrypts every row under the first key, skips current ones, reports failures', async () => {
      const old = storage({ encryptionKeys: OLD });
      for (let i = 0; i < 23; i++) await old.extension('acme.rotate', { user: { id: i % 3 } }).user.set(`k${i}`, `value ${i}`, { encrypt: true });
      await old.extension('acme.rotate').global.set('plain', 'not encrypted');
      await storage({ encryptionKeys: NEW }).extension('acme.rotate').global.set('already', 'new', { encrypt: true });
      await storage({ encryptionKeys: 'lost key' }).extension('acme.rotate').global.set('lost', 'unreadable', { encrypt: true });
      const lost = await dialect().get(global('acme.rotate'), 'lost');
      const before = await dialect().get({ extensionId: 'acme.rotate', userId: '0', resourceType: '', resourceId: '' }, 'k0');

      const progress: number[] = [];
      const result = await storage({ encryptionKeys: [NEW, OLD] }).rotateKeys({ batchSize: 5, onProgress: (p) => progress.push(p.scanned) });
      expect(result).toEqual({ scanned: 25, rotated: 23, alreadyCurrent: 1, failed: 1, failedIds: [lost!.id] });
      expect(progress).toEqual([5, 10, 15, 20, 25]);

      const after = await dialect().get({ extensionId: 'acme.rotate', userId: '0', resourceType: '', resourceId: '' }, 'k0');
      expect(after!.version).toBe(before!.version);
      expect(after!.updatedAt.getTime()).toBe(before!.updatedAt.getTime());
      expect(new Fernet(documentedRowKey(NEW, ['acme.rotate', '0', '', '', 'k0'])).extractTimestamp(after!.value)).toBe(
        new Fernet(documentedRowKey(OLD, ['acme.rotate', '0', '', '', 'k0'])).extractTimestamp(before!.value),
      );
      const onlyNew = storage({ encryptionKeys: NEW });
      for (let i = 0; i < 23; i++) {
        expect(await onlyNew.extension('acme.rotate', { user: { id: i % 3 } }).user.getText(`k${i}`)).toBe(`value ${i}`);
      }
      expect(await onlyNew.rotateKeys()).toMatchObject({ scanned: 25, rotated: 0, alreadyCurrent: 24, failed: 1 });
    });

    test('rotation keeps every write the application makes while it runs', async () => {
      const keys = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      const old = storage({ encryptionKeys: OLD }).extension('acme.busy').global;
      for (const key of keys) await old.set(key, `${key}: 0`, { encrypt: true });
      const app = storage({ encryptionKeys: [NEW, OLD] }).extension('acme.busy').global;
      const last = new Map(keys.map((key) => [key, `${key}: 0`]));
      const write = async (key: string, round: number) => {
        const value = `${key}: ${round}`;
        await app.set(key, value, { encrypt: round % 2 === 0 });
        last.set(key, value);
      };
      // The race made certain: right after rotation reads a batch, the application rewrites two of its
      // even rows (once in clear, once under the new key), before rotation writes the batch back.
      const base = dialect();
      let raced = 0;
      const racing = new Proxy({} as Dialect, {
        get(_, property) {
          if (property === 'encryptedRows') {
            return async (afterId: number, limit: number) => {
              const rows = await base.encryptedRows(afterId, limit);
              for (const row of rows.filter((row) => Number(row.key.slice(1)) % 2 === 0).slice(0, 2)) await write(row.key, 10 + raced++);
              return rows;
            };
          }
          const value = Reflect.get(base, property);
          return typeof value === 'function' ? value.bind(base) : value;
        },
      });
      // And writers running freely alongside, on the odd keys (so they cannot hide a lost even one).
      let running = true;
      const writers = [0, 1, 2].map(async (writer) => {
        for (let round = 1; running; round++) {
          for (const key of keys.filter((_, i) => i % 2 === 1 && i % 3 === writer)) await write(key, 1000 * round + writer);
          // On a synchronous driver the writers would otherwise never leave the microtask queue, and
          // rotation, which waits for the event loop's next turn between batches, would never go on.
          await new Promise((resolve) => setImmediate(resolve));
        }
      });
      const result = await new ExtensionStorage({ dialect: racing, encryptionKeys: [NEW, OLD] }).rotateKeys({ batchSize: 4 });
      running = false;
      await Promise.all(writers);
      expect(raced).toBeGreaterThan(10);
      expect(result.failed).toBe(0);
      await storage({ encryptionKeys: [NEW, OLD] }).rotateKeys();
      const onlyNew = storage({ encryptionKeys: NEW }).extension('acme.busy').global;
      for (const key of keys) expect(await onlyNew.getText(key)).toBe(last.get(key));
    }, 60_000);

    test('rotation never writes into a row that took a deleted row’s id', async () => {
      // SQLite hands the largest id to the next insert once its row is deleted. Between a batch's read and
      // its write, the application deletes the newest encrypted row and another extension writes a new
      // entry (encrypted, then in clear), which may get that id at version 1: it must keep its own value.
      const base = dialect();
      const app = storage({ encryptionKeys: NEW, encryptionKeyBinding: 'none' });
      for (const encrypt of [true, false]) {
        const victim = storage({ encryptionKeys: OLD, encryptionKeyBinding: 'none' }).extension('acme.victim', { user: { id: 1 } }).user;
        await victim.set('first', 'first secret', { encrypt: true });
        await victim.set(`newest-${encrypt}`, 'newest secret', { encrypt: true });
        const newcomer = app.extension('acme.newcomer', { user: { id: 2 } }).user;
        let raced = false;
        const racing = new Proxy({} as Dialect, {
          get(_, property) {
            if (property === 'encryptedRows') {
              return async (afterId: number, limit: number) => {
                const rows = await base.encryptedRows(afterId, limit);
                if (!raced && rows.some((row) => row.key === `newest-${encrypt}`)) {
                  raced = true;
                  await victim.delete(`newest-${encrypt}`);
                  await newcomer.set(`mine-${encrypt}`, 'the newcomer’s own value', { encrypt });
                }
                return rows;
              };
            }
            const value = Reflect.get(base, property);
            return typeof value === 'function' ? value.bind(base) : value;
          },
        });
        const result = await new ExtensionStorage({ dialect: racing, encryptionKeys: [NEW, OLD], encryptionKeyBinding: 'none' }).rotateKeys();
        expect(raced).toBe(true);
        expect(result.failed).toBe(0);
        expect(await newcomer.getText(`mine-${encrypt}`)).toBe('the newcomer’s own value');
        const stored = await base.get({ extensionId: 'acme.newcomer', userId: '2', resourceType: '', resourceId: '' }, `mine-${encrypt}`);
        expect(stored).toMatchObject({ isEncrypted: encrypt, version: 1 });
        expect(await app.extension('acme.victim', { user: { id: 1 } }).user.getText('first')).toBe('first secret');
      }
    });

    test('a row the database refuses to take fails alone: the rest of its batch and later batches rotate', async () => {
      const old = storage({ encryptionKeys: OLD }).extension('acme.refused').global;
      for (let i = 0; i < 10; i++) await old.set(`k${i}`, `v${i}`, { encrypt: true });
      const refused = await dialect().get(global('acme.refused'), 'k3');
      const base = dialect();
      // As MariaDB refuses a statement over max_allowed_packet: every write that includes the row fails.
      const refusing = new Proxy({} as Dialect, {
        get(_, property) {
          if (property === 'replaceValues') {
            return async (updates: Parameters<Dialect['replaceValues']>[0]) => {
              if (updates.some((update) => update.id === refused!.id)) throw new DatabaseError('refused', new Error('packet too large'));
              return base.replaceValues(updates);
            };
          }
          const value = Reflect.get(base, property);
          return typeof value === 'function' ? value.bind(base) : value;
        },
      });
      const result = await new ExtensionStorage({ dialect: refusing, encryptionKeys: [NEW, OLD] }).rotateKeys({ batchSize: 4 });
      expect(result).toEqual({ scanned: 10, rotated: 9, alreadyCurrent: 0, failed: 1, failedIds: [refused!.id] });
      const onlyNew = storage({ encryptionKeys: NEW }).extension('acme.refused').global;
      for (let i = 0; i < 10; i++) if (i !== 3) expect(await onlyNew.getText(`k${i}`)).toBe(`v${i}`);
      expect(await storage({ encryptionKeys: [NEW, OLD] }).extension('acme.refused').global.getText('k3')).toBe('v3');
    });

    test('an aborted rotation stops between batches and a second run completes it', async () => {
      const old = storage({ encryptionKeys: OLD }).extension('acme.abort').global;
      for (let i = 0; i < 12; i++) await old.set(`k${i}`, `v${i}`, { encrypt: true });
      const controller = new AbortController();
      const rotating = storage({ encryptionKeys: [NEW, OLD] });
      const aborted = await rotating
        .rotateKeys({ batchSize: 3, onProgress: (p) => p.scanned >= 6 && controller.abort(new Error('stop')), signal: controller.signal })
        .catch((e: unknown) => e);
      expect(aborted).toMatchObject({ code: 'ABORTED', cause: { message: 'stop' } });
      expect(aborted).toBeInstanceOf(ExtensionStorageError);
      expect(await rotating.rotateKeys({ batchSize: 3 })).toMatchObject({ scanned: 12, rotated: 6, alreadyCurrent: 6 });
      const onlyNew = storage({ encryptionKeys: NEW }).extension('acme.abort').global;
      for (let i = 0; i < 12; i++) expect(await onlyNew.getText(`k${i}`)).toBe(`v${i}`);
    });
  });
}
