/**
 * Migrations move forward and back: migrate is idempotent, migrateDown removes every table the
 * library created, and upgrade → downgrade → upgrade leaves a working, empty store.
 */
import { describe, expect } from 'vitest';
import { ExtensionStorageError } from '../../src/index.js';
import type { SuiteContext } from './suite.js';

export function migrationCases({ storage, test, tables }: SuiteContext): void {
  describe('migrations', () => {
    test('upgrade, downgrade and upgrade again', async () => {
      const s = storage();
      const ext = s.extension('acme.migrations');
      await s.migrate();
      await s.migrate();
      await ext.global.set('kept', 'until downgrade');
      const before = await tables();
      expect(before).toEqual(expect.arrayContaining(['extension_storage', 'extension_storage_migrations']));

      await s.migrateDown();
      expect((await tables()).filter((name) => name.startsWith('extension_storage'))).toEqual([]);
      const error = await ext.global.get('kept').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExtensionStorageError);
      expect((error as ExtensionStorageError).code).toBe('NOT_MIGRATED');
      expect((error as Error).message).toContain('call storage.migrate()');
      await s.migrateDown();

      await s.migrate();
      expect((await tables()).sort()).toEqual(before.sort());
      expect(await ext.global.get('kept')).toBeNull();
      await ext.global.set('kept', 'again');
      expect(await ext.global.getText('kept')).toBe('again');
    });
  });
}
