/**
 * Authorization: the host's hook is asked before every operation with what it is about to do, and only
 * `true` lets it happen; a refusal touches nothing.
 */
import { describe, expect } from 'vitest';
import { ForbiddenError, type AuthorizationRequest } from '../../src/index.js';
import type { SuiteContext } from './suite.js';

export function authorizationCases({ storage, test }: SuiteContext): void {
  describe('authorization', () => {
    test('the hook sees each operation: action, scope kind, extension, key, user and resource', async () => {
      const seen: AuthorizationRequest[] = [];
      const s = storage({ authorize: (request) => (seen.push(request), true) });
      const ext = s.extension('acme.auth', { user: { id: 9 } });
      await ext.global.set('g', 'v');
      await ext.user.get('u');
      await ext.resource('dashboard', 'AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee').delete('r');
      await ext.resource('chart', 7).list({ prefix: 'p' });
      await ext.global.count();
      expect(seen).toEqual([
        { action: 'write', scope: 'global', extensionId: 'acme.auth', key: 'g', userId: '9' },
        { action: 'read', scope: 'user', extensionId: 'acme.auth', key: 'u', userId: '9' },
        {
          action: 'delete',
          scope: 'resource',
          extensionId: 'acme.auth',
          key: 'r',
          userId: '9',
          resource: { type: 'dashboard', id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' },
        },
        { action: 'list', scope: 'resource', extensionId: 'acme.auth', userId: '9', resource: { type: 'chart', id: '7' } },
        { action: 'list', scope: 'global', extensionId: 'acme.auth', userId: '9' },
      ]);
    });

    test('anything but true refuses with FORBIDDEN and touches nothing; a failing hook refuses too', async () => {
      const open = storage();
      await open.extension('acme.auth').global.set('k', 'before');
      for (const answer of [false, undefined, 'yes', 1, Promise.resolve(false)] as unknown[]) {
        const s = storage({ authorize: () => answer as boolean });
        const global = s.extension('acme.auth').global;
        await expect(global.set('k', 'after')).rejects.toBeInstanceOf(ForbiddenError);
        await expect(global.set('new', 'x')).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(global.get('k')).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(global.delete('k')).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(global.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
      const failing = storage({
        authorize: async () => {
          throw new Error('permission service down');
        },
      });
      const error = await failing.extension('acme.auth').global.set('k', 'after').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FORBIDDEN', cause: { message: 'permission service down' } });
      expect(await open.extension('acme.auth').global.getText('k')).toBe('before');
      expect(await open.extension('acme.auth').global.count()).toBe(1);
    });

    test('batches, counters and transactions are checked per entry, before anything is written', async () => {
      const seen: string[] = [];
      const s = storage({ authorize: ({ action, key }) => (seen.push(`${action}:${key ?? '*'}`), key !== 'locked') });
      const global = s.extension('acme.auth').global;
      await expect(global.setMany([{ key: 'a', value: '1' }, { key: 'locked', value: '2' }])).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await storage().extension('acme.auth').global.count()).toBe(0); // not even 'a'
      await expect(global.getMany(['a', 'locked'])).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(global.deleteMany(['locked'])).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(global.increment('locked')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await global.increment('n', 2)).toBe(2);
      await expect(
        s.transaction(async (tx) => {
          await tx.extension('acme.auth').global.set('b', 'in tx');
          await tx.extension('acme.auth').global.set('locked', 'refused');
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await storage().extension('acme.auth').global.get('b')).toBeNull();
      expect(seen).toContain('read:n'); // an increment returns the value: read is asked too
    });

    test('an async hook decides per resource; the user scope stays the caller’s own whatever it says', async () => {
      const s = storage({
        authorize: async ({ scope, resource, action }) => scope !== 'resource' || (resource!.id === '1' && action !== 'delete'),
      });
      const ext = s.extension('acme.auth', { user: { id: 'alice' } });
      await ext.resource('dashboard', 1).set('k', 'v');
      await expect(ext.resource('dashboard', 2).set('k', 'v')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(ext.resource('dashboard', 1).delete('k')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await ext.user.set('mine', 'alice');
      expect(await s.extension('acme.auth', { user: { id: 'bob' } }).user.get('mine')).toBeNull();
    });
  });
}
